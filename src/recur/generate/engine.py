"""Step-by-step inference without a framework in the loop: a language model packed once, then run
one token at a time on preallocated buffers.

Generating one character at a time calls the network T times with a batch of one; PyTorch's per-call
overhead then dwarfs the arithmetic (a 2×512 ``nn.LSTM`` stepped under ``no_grad`` manages about 130
steps/s here). The engine packs the weights once (``kernels.PackedMatrix``: gates fused, one row per
pre-activation, stored in fp32, bf16 or int8) and runs each step as a few compiled loops:

    layer 1: z = T[x_t] + W_hh h_{t-1}             T = E W_ihᵀ + b, one row per token: the input
                                                   product of the first layer is looked up, not computed
    layer l: z = W_ih h^{l-1}_t + W_hh h_{t-1} + b
    LSTM  : i, f, g, o = σ, σ, tanh, σ of z's four blocks;  c = f ⊙ c + i ⊙ g;  h = o ⊙ tanh(c)
    GRU   : z_x = x W_ihᵀ + b_ih and z_h = h W_hhᵀ + b_hh apart, as r multiplies W_hn h + b_hn:
            r, u = σ(z_x + z_h) over their blocks;  n = tanh(n_x + r ⊙ n_h);  h = (1 − u) ⊙ n + u ⊙ h
    Elman : h = tanh(z) or relu(z)
    logits = W_out h_top + b_out                   (the read-out in the same format: with a large
                                                   vocabulary it is most of the bytes a step reads)

In ``fp64`` the engine is the training model's arithmetic (tested to 1e-12); ``fp32`` agrees to 1e-5;
``bf16`` and ``int8`` round the recurrent weights and the read-out (and, on the AVX-512 loops, the
activations that meet them: ``csrc/panel.c``), and ``bench/generate_quality.py`` measures what that
costs in validation loss. It serves cells equivalent to a fused kernel (``lstm``, ``gru``, ``elman``,
``elman-relu``, ``irnn``); ``StepEngine.supports`` says whether a model can use it. Other cells are
sampled through the model itself.
"""

from __future__ import annotations

import numpy as np

from recur.generate import kernels
from recur.generate.kernels import FORMATS, PackedMatrix, elman_cell, gru_cell, lstm_cell

SUPPORTED = {"lstm", "gru", "rnn_tanh", "rnn_relu"}
KIND_CODES = {"lstm": 0, "gru": 1, "rnn_tanh": 2, "rnn_relu": 3}  # stack.c's layer kinds
PRECISIONS = tuple(FORMATS)
TABLE_MAX_ENTRIES = 8_000_000  # a first-layer lookup table up to 32 MB in fp32; larger vocabularies multiply


def as_numpy(tensor) -> np.ndarray:
    return tensor.detach().double().numpy()


class PackedLayer:
    """One layer's weights in the engine's storage format, and its state buffers."""

    def __init__(self, cell, precision: str, table_from: np.ndarray | None = None):
        """``table_from``: the embedding ``E [V, D]`` when this first layer looks its input product up."""
        self.kind, self.hidden_size, self.input_size = cell.fused_kind, cell.hidden_size, cell.input_size
        self.dtype = np.float64 if precision == "fp64" else np.float32
        w_ih, w_hh = as_numpy(cell.weight_ih), as_numpy(cell.weight_hh)
        G = w_hh.shape[0]
        b_ih = np.zeros(G) if cell.bias_ih is None else as_numpy(cell.bias_ih)
        b_hh = np.zeros(G) if cell.bias_hh is None else as_numpy(cell.bias_hh)
        # GRU keeps b_hh with W_hh h (r multiplies both); the other cells add the two biases up front
        self.bias_x = (b_ih if self.kind == "gru" else b_ih + b_hh).astype(self.dtype)
        self.bias_h = b_hh.astype(self.dtype) if self.kind == "gru" else None
        self.table = None if table_from is None else (table_from @ w_ih.T + self.bias_x).astype(self.dtype)
        self.weight_ih = None if table_from is not None else PackedMatrix(w_ih, precision)
        self.weight_hh = PackedMatrix(w_hh, precision)

    @property
    def nbytes(self) -> int:
        """Weight bytes read per step (a table row is negligible)."""
        return self.weight_hh.nbytes + (0 if self.weight_ih is None else self.weight_ih.nbytes)

    def reset(self, batch: int) -> None:
        G, H = self.weight_hh.rows, self.hidden_size
        self.h = np.zeros((batch, H), self.dtype)
        self.c = np.zeros((batch, H), self.dtype)
        self.z = np.zeros((batch, G), self.dtype)
        self.zh = np.zeros((batch, G), self.dtype) if self.kind == "gru" else None

    def reorder(self, index: np.ndarray) -> None:
        self.h[:] = self.h[index]
        self.c[:] = self.c[index]

    def stack_spec(self) -> tuple:
        """This layer for the compiled ``Stack`` (stack.c): its kind, sizes, weights and buffers."""
        def matrix(m):
            return (-1, None, None) if m is None else (m.code, m.stored, m.scale)

        ih_fmt, ih, ih_scale = matrix(self.weight_ih)
        hh_fmt, hh, hh_scale = matrix(self.weight_hh)
        return (KIND_CODES[self.kind], self.input_size, self.hidden_size, self.table, ih_fmt, ih, ih_scale,
                self.bias_x, hh_fmt, hh, hh_scale, self.bias_h, self.h, self.c, self.z, self.zh)

    def step(self, x: np.ndarray) -> np.ndarray:
        """``x``: ids ``[B]`` for a table layer, else the layer below's ``h [B, D]``.
        Returns this layer's ``h [B, H]``: its own buffer, valid until its next step."""
        z, h = self.z, self.h
        if self.table is not None:
            np.take(self.table, x, axis=0, out=z)
        else:
            z[:] = self.bias_x
            self.weight_ih.matmul_t(x, z)
        if self.kind == "gru":
            self.zh[:] = self.bias_h
            self.weight_hh.matmul_t(h, self.zh)
            gru_cell(z, self.zh, h)
            return h
        self.weight_hh.matmul_t(h, z)
        if self.kind == "lstm":
            lstm_cell(z, self.c, h)
        else:
            elman_cell(z, h, relu=self.kind == "rnn_relu")
        return h


class StepEngine:
    """``engine.step(ids [B]) -> logits [B, V]`` for a ``LanguageModel``, carrying its state.

    ``precision``: ``fp64`` (reference), ``fp32`` (default), ``bf16`` or ``int8`` recurrent and read-out weights.
    ``reset(batch)`` zeroes the state; the engine is a snapshot of the weights at construction.
    """

    def __init__(self, model, precision: str = "fp32"):
        if precision not in PRECISIONS:
            raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
        if not self.supports(model):
            raise ValueError("StepEngine needs a LanguageModel whose cell has a fused kernel")
        self.precision = precision
        self.dtype = np.float64 if precision == "fp64" else np.float32
        embedding = as_numpy(model.embed.weight)  # [V, D]
        first = model.rnn.cells[0]
        use_table = embedding.shape[0] * first.weight_ih.shape[0] <= TABLE_MAX_ENTRIES
        self.embedding = None if use_table else embedding.astype(self.dtype)
        self.layers = [PackedLayer(cell, precision, embedding if use_table and k == 0 else None)
                       for k, cell in enumerate(model.rnn.cells)]
        self.head = PackedMatrix(as_numpy(model.head.weight), precision)
        self.head_bias = as_numpy(model.head.bias).astype(self.dtype)
        self.reset(1)

    @staticmethod
    def supports(model) -> bool:
        """True for a unidirectional recur language model on a cell with a fused kernel."""
        rnn = getattr(model, "rnn", None)
        return (hasattr(model, "embed") and hasattr(model, "head") and rnn is not None
                and not getattr(rnn, "bidirectional", True)
                and all(getattr(cell, "fused_kind", None) in SUPPORTED for cell in rnn.cells))

    @property
    def max_batch(self) -> int:
        """The largest batch that runs as one compiled call: the smallest its matrices' loops allow."""
        matrices = [self.head] + [m for layer in self.layers for m in (layer.weight_ih, layer.weight_hh) if m]
        return min(m.max_batch for m in matrices)

    @property
    def weight_bytes(self) -> int:
        """Bytes of weights read per step: the recurrent layers and the read-out."""
        return sum(layer.nbytes for layer in self.layers) + self.head.nbytes

    def reset(self, batch: int = 1) -> None:
        """Zero state for ``batch`` sequences. Batches up to ``max_batch`` then run each step as one
        compiled call; larger ones multiply in BLAS."""
        for layer in self.layers:
            layer.reset(batch)
        self.logits = np.zeros((batch, self.head.rows), self.dtype)
        self.stack = None
        if self.precision != "fp64" and batch <= self.max_batch and kernels.compiled_available():
            embedding = self.embedding
            x0 = None if embedding is None else np.zeros((batch, embedding.shape[1]), np.float32)
            self.stack = kernels.compiled_stack(batch, self.head.rows, embedding, x0,
                                                [layer.stack_spec() for layer in self.layers],
                                                (self.head.code, self.head.stored, self.head.scale,
                                                 self.head_bias, self.logits))

    def reorder(self, index: np.ndarray) -> None:
        """Row b of every state becomes old row ``index[b]`` (beam search keeping its best)."""
        for layer in self.layers:
            layer.reorder(index)

    def step(self, ids: np.ndarray) -> np.ndarray:
        """Feed one id per sequence; returns the next-token logits ``[B, V]`` (a reused buffer)."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if self.stack is not None and kernels.compiled_available():
            self.stack.step(ids)
            return self.logits
        x = ids if self.embedding is None else np.ascontiguousarray(self.embedding[ids])
        for layer in self.layers:
            x = layer.step(x)
        self.logits[:] = self.head_bias
        self.head.matmul_t(x, self.logits)
        return self.logits
