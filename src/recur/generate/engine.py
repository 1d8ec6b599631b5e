"""Step-by-step inference without a framework in the loop: a language model packed into NumPy arrays.

Generating one character at a time calls the network T times with a batch of one; PyTorch's per-call
overhead then dwarfs the arithmetic (a 2×512 ``nn.LSTM`` stepped under ``no_grad`` manages under 100
steps/s here). This engine packs the weights once and runs each step as a few BLAS calls and ufuncs
on preallocated buffers:

    xh    = [x_t, h_{t-1}]                          one buffer per layer, written in place
    z     = xh @ W + b                              W = [W_ih | W_hh]ᵀ: one matmul for all gates
    LSTM  : i, f, g, o = σ, σ, tanh, σ of z's four blocks;  c = f ⊙ c + i ⊙ g;  h = o ⊙ tanh(c)
    GRU   : z_x = x W_ihᵀ + b_ih, z_h = h W_hhᵀ + b_hh apart, as r multiplies W_hn h + b_hn:
            r, u = σ(z_x + z_h) over their blocks;  n = tanh(n_x + r ⊙ n_h);  h = (1 − u) ⊙ n + u ⊙ h
    Elman : h = tanh(z) or relu(z)
    logits = h_top @ W_outᵀ + b_out

The numbers are the training model's (tested to 1e-12 in float64, 1e-5 in float32). It serves
cells equivalent to a fused kernel (``lstm``, ``gru``, ``elman``, ``elman-relu``, ``irnn``);
``StepEngine.supports`` says whether a model can use it. Other cells are sampled through the
model itself.
"""

from __future__ import annotations

import numpy as np

SUPPORTED = {"lstm", "gru", "rnn_tanh", "rnn_relu"}


def sigmoid(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^{-x}), in place into ``out``."""
    np.negative(x, out=out)
    np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


class PackedLayer:
    """One layer's weights, transposed for ``x @ W``, and its state buffers."""

    def __init__(self, cell, dtype):
        kind, H, D = cell.fused_kind, cell.hidden_size, cell.input_size
        w_ih = cell.weight_ih.detach().double().numpy()
        w_hh = cell.weight_hh.detach().double().numpy()
        b_ih = np.zeros(w_ih.shape[0]) if cell.bias_ih is None else cell.bias_ih.detach().double().numpy()
        b_hh = np.zeros(w_hh.shape[0]) if cell.bias_hh is None else cell.bias_hh.detach().double().numpy()
        self.kind, self.input_size, self.hidden_size = kind, D, H
        if kind == "gru":  # r multiplies W_hn h + b_hn: the input and hidden products stay apart
            self.weight = np.ascontiguousarray(w_ih.T, dtype=dtype)  # [D, 3H]
            self.bias = b_ih.astype(dtype)
            self.weight_h = np.ascontiguousarray(w_hh.T, dtype=dtype)  # [H, 3H]
            self.bias_h = b_hh.astype(dtype)
        else:  # one matmul over [x, h]
            self.weight = np.ascontiguousarray(np.concatenate([w_ih, w_hh], axis=1).T, dtype=dtype)  # [D+H, G*H]
            self.bias = (b_ih + b_hh).astype(dtype)

    def reset(self, batch: int) -> None:
        dtype, H = self.weight.dtype, self.hidden_size
        self.xh = np.zeros((batch, self.input_size + H), dtype)
        self.z = np.zeros((batch, self.weight.shape[1]), dtype)
        self.zh = np.zeros((batch, self.weight.shape[1]), dtype) if self.kind == "gru" else None
        self.c = np.zeros((batch, H), dtype)
        self.scratch = np.zeros((batch, H), dtype)

    @property
    def h(self) -> np.ndarray:
        return self.xh[:, self.input_size :]

    def step(self, x: np.ndarray) -> np.ndarray:
        """``x [B, D] -> h [B, H]`` (a view of this layer's buffer, valid until its next step)."""
        H, xh, z, h = self.hidden_size, self.xh, self.z, self.h
        if self.kind == "gru":
            np.matmul(x, self.weight, out=z)
            z += self.bias
            np.matmul(h, self.weight_h, out=self.zh)
            self.zh += self.bias_h
            z[:, : 2 * H] += self.zh[:, : 2 * H]
            r, u, n_x = (z[:, k * H : (k + 1) * H] for k in range(3))
            n_h = self.zh[:, 2 * H :]
            sigmoid(r, r), sigmoid(u, u)
            n_h *= r
            n_x += n_h
            np.tanh(n_x, out=n_x)  # n
            h -= n_x  # h_{t-1} − n
            h *= u
            h += n_x  # h = n + u ⊙ (h_{t-1} − n) = (1 − u) ⊙ n + u ⊙ h_{t-1}
            return h
        xh[:, : self.input_size] = x
        np.matmul(xh, self.weight, out=z)
        z += self.bias
        if self.kind == "lstm":
            i, f, g, o = (z[:, k * H : (k + 1) * H] for k in range(4))
            sigmoid(i, i), sigmoid(f, f), np.tanh(g, out=g), sigmoid(o, o)
            self.c *= f
            self.c += i * g
            np.tanh(self.c, out=self.scratch)
            np.multiply(o, self.scratch, out=h)
        elif self.kind == "rnn_tanh":
            np.tanh(z, out=h)
        else:
            np.maximum(z, 0, out=h)
        return h


class StepEngine:
    """``engine.step(ids [B]) -> logits [B, V]`` for a ``LanguageModel``, carrying its state.

    ``reset(batch)`` zeroes the state; the engine is a snapshot of the weights at construction.
    """

    def __init__(self, model, dtype=np.float32):
        if not self.supports(model):
            raise ValueError("StepEngine needs a LanguageModel whose cell has a fused kernel")
        self.embedding = model.embed.weight.detach().double().numpy().astype(dtype)
        self.layers = [PackedLayer(cell, dtype) for cell in model.rnn.cells]
        self.head_weight = np.ascontiguousarray(model.head.weight.detach().double().numpy().T, dtype=dtype)
        self.head_bias = model.head.bias.detach().double().numpy().astype(dtype)
        self.reset(1)

    @staticmethod
    def supports(model) -> bool:
        """True for a unidirectional recur language model on a cell with a fused kernel."""
        rnn = getattr(model, "rnn", None)
        return (hasattr(model, "embed") and hasattr(model, "head") and rnn is not None
                and not getattr(rnn, "bidirectional", True)
                and all(getattr(cell, "fused_kind", None) in SUPPORTED for cell in rnn.cells))

    def reset(self, batch: int = 1) -> None:
        for layer in self.layers:
            layer.reset(batch)
        self.logits = np.zeros((batch, self.head_weight.shape[1]), self.head_weight.dtype)

    def reorder(self, index: np.ndarray) -> None:
        """Row b of every state becomes old row ``index[b]`` (beam search keeping its best)."""
        for layer in self.layers:
            layer.xh[:] = layer.xh[index]
            layer.c[:] = layer.c[index]

    def step(self, ids: np.ndarray) -> np.ndarray:
        """Feed one id per sequence; returns the next-token logits ``[B, V]`` (reused buffer)."""
        x = self.embedding[ids]
        for layer in self.layers:
            x = layer.step(x)
        np.matmul(x, self.head_weight, out=self.logits)
        self.logits += self.head_bias
        return self.logits
