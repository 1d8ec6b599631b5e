"""Weight storage for the generation engine, and the loops that run a step: compiled where built,
NumPy everywhere.

A matrix ``W [G, K]`` (PyTorch's layout: one row per output) is stored in one of four formats:

* ``fp64``: float64, computed in float64 by NumPy alone (the reference, for tests);
* ``fp32``: as is;
* ``bf16``: each weight rounded to the nearest bfloat16 (the top 16 bits of its float32, ties to
  even): half the bytes, about 3 significant digits;
* ``int8``: per row, ``s_g = max_k |W_gk| / 127`` and ``q_gk = round(W_gk / s_g)`` in [-127, 127]:
  a quarter of the bytes, ``W ≈ q ⊙ s``.

``PackedMatrix.matmul_t(x, y)`` accumulates ``y [B, G] += x [B, K] · Wᵀ`` with the stored values.
With recur's compiled module (``recur/generate/csrc/``, built by ``pip install``) small batches
run its compiled loops, chosen at run time for what the CPU has (``kernel_path``): AVX-512 dot
products (``vdpbf16ps``, ``vpdpbusd``) over bf16 / int8 weights packed in panels of 16 rows, else
AVX2, else plain C; ``RECUR_KERNELS=plain|avx2|avx512`` (or ``set_kernel_path``) caps the choice.
Without the module, or for large batches where a BLAS matrix multiply wins, NumPy multiplies the
dequantised float32 copy. Every path reads the same rounded weights, so the format, not the path,
decides the numbers: fp32 agrees to 1e-5. The AVX-512 loops also round the activations that meet
bf16 and int8 weights (bf16: to about 16 bits; int8: to int8 with one scale per batch row,
``csrc/panel.c``), and tests bound what that adds. The gate functions of one step (``lstm_cell``,
``gru_cell``, ``elman_cell``) and the sampler (``sample``) dispatch the same way; their NumPy
versions here and in ``sampling.py`` are the reference the compiled ones are tested against.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from recur.generate.sampling import is_greedy, sample_next

try:
    from recur.generate import _kernels
except ImportError:  # no C compiler at install time: NumPy serves every format
    _kernels = None

FORMATS = {"fp64": -1, "fp32": 0, "bf16": 1, "int8": 2}  # the compiled loops' codes; fp64 has none
BLOCK = {"fp32": 1, "bf16": 16, "int8": 32}  # rows padded to whole blocks, interleaved inside (csrc/matmul.c)
PANEL_FORMATS = {"bf16": 3, "int8": 4}  # the same weights in AVX-512's panels (csrc/panel.c)
PANEL_ROWS, PANEL_LANE = 16, {"bf16": 2, "int8": 4}  # 16 rows a panel, 2 or 4 weights per 32-bit lane
PANEL_MAX_COLS = 65_536  # int8 sums stay exact in int32 up to here (csrc/panel.c)
LEVELS = {"plain": 0, "avx2": 1, "avx512": 2}  # csrc/kernels.h's kernel levels

# Above this batch, a BLAS matrix multiply over the float32 copy beats the compiled loops, which
# reread each weight row per batch row (bench/generate.py, --batches 1,8,64). The AVX-512 int8 panels
# take one vpdpbusd per 64 weights per batch row, and at batch 64 step 4.6-6.4× faster than the fp32
# engine on BLAS (bench/results/generate.json), so they keep batches up to 64; bf16's panels take two
# instructions per 32 weights and stop at 8.
COMPILED_MAX_BATCH = 8
PANEL_MAX_BATCH = {"bf16": 8, "int8": 64}


def _use_requested_kernels() -> None:
    """``RECUR_KERNELS=plain|avx2|avx512`` caps the compiled loops (how CI reaches the lower paths). This
    runs at ``import recur``, before any command can refuse in one line, so an unknown value is said in
    one line on stderr and the CPU's best loops serve (the results are the same, only slower or faster)."""
    requested = os.environ.get("RECUR_KERNELS")
    if requested and requested not in LEVELS:
        sys.stderr.write(f"recur: RECUR_KERNELS={requested!r} is not a kernel path ({', '.join(LEVELS)}); "
                         "using the best this CPU runs\n")
    elif requested:
        set_kernel_path(requested)


def compiled_stack(*spec):
    """The compiled whole step (``csrc/stack.c``) over the engine's buffers."""
    return _kernels.Stack(*spec)


def usable_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def set_threads(threads: int) -> int:
    """Split the compiled loops' large products over ``threads`` cores (this thread and helpers that
    spin briefly between products, then sleep). Returns the number in use: 1 without the extension."""
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    return _kernels.set_threads(threads) if _kernels is not None else 1


def set_vectorised(flag: bool) -> bool:
    """Run the compiled loops' best vector versions the CPU has, up to ``RECUR_KERNELS`` where it is set
    (the default at import), or the plain-C versions that serve every other CPU (False: how tests reach
    that path on a vector machine). Returns whether vector loops are in use: False without the extension."""
    if _kernels is None:
        return False
    best_allowed = os.environ.get("RECUR_KERNELS") or "avx512"
    return set_kernel_path(best_allowed if flag else "plain") != "plain"


def kernel_path() -> str:
    """The compiled loops in use: ``avx512``, ``avx2`` or ``plain`` (``none`` without the extension)."""
    return "none" if _kernels is None else {c: n for n, c in LEVELS.items()}[_kernels.level()]


def best_kernel_path() -> str:
    """The best compiled loops this CPU runs."""
    return "none" if _kernels is None else {c: n for n, c in LEVELS.items()}[_kernels.best_level()]


def set_kernel_path(name: str) -> str:
    """Use the compiled loops ``name`` (``plain``, ``avx2``, ``avx512``) or the best below it that the CPU
    runs; returns the path in use. Matrices packed afterwards take that path's layout (``PackedMatrix``)."""
    if name not in LEVELS:
        raise ValueError(f"unknown kernel path {name!r}; choose one of {', '.join(LEVELS)}")
    if _kernels is None:
        return "none"
    _kernels.set_level(LEVELS[name])
    return kernel_path()


def compiled_counts(reset: bool = False) -> dict[str, int]:
    """What the compiled loops ran since the last reset, so tests can tell which path served a call:
    ``products`` (matrix products), ``plain`` (of which on the plain-C loops), ``avx512`` (of which on
    the AVX-512 panel loops), ``split`` (of which shared with helper threads), ``helper_rows`` (rows
    the helpers computed), ``steps`` (whole-stack steps).
    Empty without the extension."""
    return _kernels.counts(reset) if _kernels is not None else {}


def compiled_available() -> bool:
    """True when recur's compiled module was built, and ``RECUR_NO_COMPILED`` is not set."""
    return _kernels is not None and not os.environ.get("RECUR_NO_COMPILED")


def round_to_bf16(w: np.ndarray) -> np.ndarray:
    """float32 -> the bf16 bit patterns (uint16), rounded to nearest, ties to even."""
    bits = np.ascontiguousarray(w, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def quantise_int8(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row symmetric int8: ``(q [G, K] int8, s [G] float32)`` with ``W ≈ q ⊙ s``."""
    w = np.asarray(w, dtype=np.float64)
    scale = np.abs(w).max(axis=1) / 127.0
    scale[scale == 0] = 1.0  # an all-zero row stays zero
    q = np.clip(np.rint(w / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def interleave(w: np.ndarray, block: int) -> np.ndarray:
    """Pad each row to whole blocks, then within a block place element ``j + 8m`` at ``j·(block/8) + m``.

    One 32-bit lane then holds ``block/8`` elements eight apart, which the AVX2 loop widens to float32
    with shifts and masks (``csrc/matmul.c``)."""
    G, K = w.shape
    padded = np.zeros((G, -(-K // block) * block), w.dtype)
    padded[:, :K] = w
    # [G, blocks, m, j] -> [G, blocks, j, m]: element j + 8m moves to lane j, slot m
    return np.ascontiguousarray(padded.reshape(G, -1, block // 8, 8).transpose(0, 1, 3, 2).reshape(G, -1))


def pack_panels(stored: np.ndarray, fmt: str) -> np.ndarray:
    """bf16 bits (uint16) or int8 ``[G, K]`` in AVX-512's panel layout (csrc/panel.c): rows padded to
    panels of 16 and K to whole lanes with zeros; within a panel, the 64-byte block j holds row r's
    weights ``P·j .. P·j+P−1`` in 32-bit lane r. int8 appends each padded row's int32 sum of weights."""
    G, K = stored.shape
    P = PANEL_LANE[fmt]
    Gp, Kp = -(-G // PANEL_ROWS) * PANEL_ROWS, -(-K // P) * P
    padded = np.zeros((Gp, Kp), stored.dtype)
    padded[:G, :K] = stored
    # [panel, row, block, P] -> [panel, block, row, P]: a block is one register's 16 lanes of P weights
    panels = padded.reshape(Gp // PANEL_ROWS, PANEL_ROWS, Kp // P, P).transpose(0, 2, 1, 3).reshape(-1)
    if fmt == "bf16":
        return np.ascontiguousarray(panels)
    sums = padded.astype(np.int32).sum(axis=1).astype(np.int32)  # [Gp]: takes the +128 of the activations out
    return np.concatenate([panels, sums.view(np.int8)])


def use_panels(fmt: str, cols: int) -> bool:
    """bf16 and int8 take the panel layout where the AVX-512 loops run (and int8 sums stay exact)."""
    return fmt in PANEL_FORMATS and kernel_path() == "avx512" and (fmt == "bf16" or cols <= PANEL_MAX_COLS)


class PackedMatrix:
    """``W [G, K]`` in one storage format, ready for ``y += x · Wᵀ``, laid out once for the compiled
    loops in use at construction (``code``: csrc's format; AVX-512's panels or AVX2's blocks)."""

    def __init__(self, w: np.ndarray, fmt: str = "fp32"):
        if fmt not in FORMATS:
            raise ValueError(f"unknown weight format {fmt!r}; choose one of {', '.join(FORMATS)}")
        self.fmt, (self.rows, self.cols) = fmt, w.shape
        self.scale = None
        if fmt in ("fp64", "fp32"):
            stored = np.ascontiguousarray(w, dtype=np.float64 if fmt == "fp64" else np.float32)
            self.dense = stored
        elif fmt == "bf16":
            stored = round_to_bf16(w)
            self.dense = (stored.astype(np.uint32) << 16).view(np.float32)
        else:
            stored, self.scale = quantise_int8(w)
            self.dense = stored.astype(np.float32) * self.scale[:, None]
        self.code, self.max_batch = FORMATS[fmt], COMPILED_MAX_BATCH  # the largest batch for the compiled loops
        if use_panels(fmt, self.cols):
            self.code, self.max_batch = PANEL_FORMATS[fmt], PANEL_MAX_BATCH[fmt]
            self.stored = pack_panels(stored, fmt)
            if self.scale is not None:  # the loop loads 16 scales a panel
                self.scale = np.concatenate([self.scale, np.ones(-self.rows % PANEL_ROWS, np.float32)])
        else:
            self.stored = interleave(stored, BLOCK[fmt]) if fmt in ("bf16", "int8") else stored
        self.dense_t = self.dense.T  # [K, G] view: NumPy hands BLAS the transpose flag, no copy

    @property
    def nbytes(self) -> int:
        """Bytes read per matrix-vector product (stored weights and scales, no padding)."""
        item = {"fp64": 8, "fp32": 4, "bf16": 2, "int8": 1}[self.fmt]
        return self.rows * self.cols * item + (0 if self.scale is None else 4 * self.rows)

    def matmul_t(self, x: np.ndarray, y: np.ndarray) -> None:
        """``y [B, G] += x [B, K] · Wᵀ``; x and y C-contiguous, float64 for fp64 and float32 otherwise."""
        batch = x.shape[0]
        if self.fmt != "fp64" and batch <= self.max_batch and compiled_available():
            _kernels.matmul_t(self.code, self.stored, self.scale, x, y, batch, self.rows, self.cols)
        else:
            y += x @ self.dense_t


def _compiled(*arrays: np.ndarray) -> bool:
    return compiled_available() and all(a.dtype == np.float32 and a.flags.c_contiguous for a in arrays)


def sigmoid(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^{-x}), in place into ``out``."""
    np.negative(x, out=out)
    np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


def lstm_cell(z: np.ndarray, c: np.ndarray, h: np.ndarray) -> None:
    """From pre-activations ``z [B, 4H]`` (i, f, g, o; overwritten): c = f ⊙ c + i ⊙ g; h = o ⊙ tanh(c)."""
    if _compiled(z, c, h):
        _kernels.lstm_cell(z, c, h, *h.shape)
        return
    H = h.shape[1]
    i, f, g, o = (z[:, k * H : (k + 1) * H] for k in range(4))
    sigmoid(i, i), sigmoid(f, f), np.tanh(g, out=g), sigmoid(o, o)
    c *= f
    c += i * g
    np.tanh(c, out=h)
    h *= o


def gru_cell(zx: np.ndarray, zh: np.ndarray, h: np.ndarray) -> None:
    """From ``zx = x W_ihᵀ + b_ih`` and ``zh = h W_hhᵀ + b_hh`` (r, u, n blocks; zx overwritten):
    r, u = σ(zx + zh);  n = tanh(zx_n + r ⊙ zh_n);  h = (1 − u) ⊙ n + u ⊙ h."""
    if _compiled(zx, zh, h):
        _kernels.gru_cell(zx, zh, h, *h.shape)
        return
    H = h.shape[1]
    zx[:, : 2 * H] += zh[:, : 2 * H]
    r, u, n = (zx[:, k * H : (k + 1) * H] for k in range(3))
    sigmoid(r, r), sigmoid(u, u)
    r *= zh[:, 2 * H :]
    n += r
    np.tanh(n, out=n)
    h -= n  # h − n
    h *= u
    h += n  # n + u ⊙ (h − n)


def elman_cell(z: np.ndarray, h: np.ndarray, relu: bool) -> None:
    """h = tanh(z) or max(z, 0)."""
    if relu:
        np.maximum(z, 0, out=h)
    elif _compiled(z, h):
        _kernels.tanh_into(z, h, z.size)
    else:
        np.tanh(z, out=h)


def sample(logits: np.ndarray, temperature: float, top_k: int | None, top_p: float | None,
           uniforms: np.ndarray) -> np.ndarray:
    """``sampling.sample_next``'s rule, in the compiled loop when it is built: ids ``[B]`` int64."""
    if not _compiled(logits):
        return sample_next(logits, temperature, top_k, top_p, uniforms)
    ids = np.empty(logits.shape[0], np.int64)
    temperature = 0.0 if is_greedy(temperature) else float(temperature)
    top_k = 0 if top_k is None or top_k >= logits.shape[1] else top_k  # a top-k of V or more keeps every token
    _kernels.sample(logits, *logits.shape, temperature, top_k, 1.0 if top_p is None else float(top_p),
                    np.ascontiguousarray(uniforms, np.float64), ids)
    return ids


_use_requested_kernels()  # here, once set_kernel_path is defined
