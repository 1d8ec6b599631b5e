"""Fixtures shared by the generation tests."""

import numpy as np
import pytest
import torch

from recur.generate import kernels
from recur.models import LanguageModel, LanguageModelConfig


@pytest.fixture(params=["compiled", "compiled-2-threads", "numpy"])
def path(request, monkeypatch):
    """Run a test through the compiled loops (on one thread and on two) and through NumPy alone."""
    if request.param.startswith("compiled") and not kernels.compiled_available():
        pytest.skip("recur's C extension was not built (no C compiler at install)")
    if request.param == "numpy":
        monkeypatch.setenv("RECUR_NO_COMPILED", "1")
    threads = 2 if request.param == "compiled-2-threads" else 1
    kernels.set_threads(threads)
    yield request.param
    kernels.set_threads(1)


@pytest.fixture
def compiled():
    """The compiled loops on one thread with their counts reset; skips, saying why, without them.
    Leaves the module as found: one thread, the best vector loops the CPU has."""
    if not kernels.compiled_available():
        pytest.skip("recur's C extension was not built (no C compiler at install): no compiled path to check")
    kernels.set_threads(1)
    kernels.compiled_counts(reset=True)
    yield kernels
    kernels.set_threads(1)
    kernels.set_vectorised(True)


def seeded_language_model(cell: str = "lstm", vocab: int = 11, hidden: int = 32, layers: int = 2, seed: int = 1,
                          width: float = 0.5) -> LanguageModel:
    """A small language model whose every weight is U(-width, width) from a seeded NumPy generator, so
    measured errors do not move with torch's initialisation. Width 0.5 at hidden 32 gives logits of
    about ±1.5 with a spread-out next-token distribution (top probability ~0.2 of 11)."""
    model = LanguageModel(LanguageModelConfig(vocab_size=vocab, cell=cell, hidden=hidden, layers=layers,
                                              embedding=8)).eval()
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-width, width, tuple(p.shape))))
    return model


@pytest.fixture(scope="session")
def seeded_lm():
    """``seeded_language_model``, as a fixture: ``seeded_lm(cell=..., hidden=...)``."""
    return seeded_language_model


# How far the AVX-512 loops' rounding of the activations may move y = x·Wᵀ (csrc/panel.c): int8 rounds
# x to s·a with s = max|x|/127, so |Δx_k| ≤ max|x|/254; bf16 splits x into hi + lo, |Δx_k| ≤ 2⁻¹⁷|x_k|.
def activation_rounding_bound(packed, x: np.ndarray) -> np.ndarray:
    """``[B, G]`` bound on |Δy| from the activations' rounding for ``packed``'s loops (0 off the panels)."""
    if packed.code not in kernels.PANEL_FORMATS.values() or kernels.kernel_path() != "avx512" \
            or x.shape[0] > packed.max_batch:
        return np.zeros((x.shape[0], packed.rows))
    w = np.abs(packed.dense.astype(np.float64))  # [G, K]
    if packed.fmt == "int8":
        return np.abs(x).max(axis=1, keepdims=True) / 254 * w.sum(axis=1)[None]
    return np.abs(x.astype(np.float64)) @ w.T * 2.0**-17


@pytest.fixture(scope="session")
def rounding_bound():
    """``activation_rounding_bound``, as a fixture."""
    return activation_rounding_bound
