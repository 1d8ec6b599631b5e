"""Run-time kernel choice: every compiled path the CPU has, forced in turn, gives the reference's logits
(fp32 to 1e-5; bf16 and int8 within their measured error, yet visibly rounded), runs the loops it
names (the compiled module's counts), and ``RECUR_KERNELS`` caps the choice from the environment."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from recur.generate import kernels
from recur.generate.engine import StepEngine

PATHS = ["plain", "avx2", "avx512"]
T = 5
# max |Δlogit| from the fp32 engine for a seeded 2×32 model (hidden 37 for the partial blocks) over
# these ids, measured per path (lstm, gru, elman): bf16 ≤ 3.6e-2 and int8 ≤ 1.9e-1 (the Elman model's
# logits reach ±8); the bounds leave ~1.5× headroom.
REDUCED_BOUNDS = {"bf16": 6e-2, "int8": 3e-1}


def run_engine(engine: StepEngine, ids: np.ndarray) -> np.ndarray:
    engine.reset(batch=ids.shape[0])
    return np.stack([engine.step(ids[:, t]).astype(np.float64) for t in range(ids.shape[1])], axis=1)  # [B, T, V]


@pytest.fixture(params=PATHS)
def forced(request, compiled):
    """The compiled loops capped at one path; skips where the CPU lacks it (the best path runs everywhere)."""
    if compiled.set_kernel_path(request.param) != request.param:
        pytest.skip(f"this CPU has no {request.param} loops (best: {compiled.best_kernel_path()})")
    compiled.compiled_counts(reset=True)
    return request.param


@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("cell", ["lstm", "gru", "elman"])
def test_every_path_matches_the_reference(forced, compiled, seeded_lm, cell, batch):
    model = seeded_lm(cell=cell, vocab=13, hidden=37)
    ids = np.random.default_rng(batch).integers(13, size=(batch, T))
    with torch.no_grad():
        reference = model.double()(torch.from_numpy(ids))[0].numpy()  # [B, T, V]; float64 from here
    fp32 = run_engine(StepEngine(model, "fp32"), ids)
    np.testing.assert_allclose(fp32, reference, rtol=0, atol=1e-5)
    products = 4 * T  # W_hh¹, W_ih², W_hh² and the read-out each step
    ran = compiled.compiled_counts(reset=True)
    assert ran["products"] == products and ran["avx512"] == 0, ran  # fp32 has no panel loops
    assert ran["plain"] == (products if forced == "plain" else 0), ran
    for precision, bound in REDUCED_BOUNDS.items():
        got = run_engine(StepEngine(model, precision), ids)
        ran = compiled.compiled_counts(reset=True)
        assert ran["avx512"] == (products if forced == "avx512" else 0), (precision, ran)
        error = np.abs(got - fp32).max()
        assert 0 < error < bound, (precision, error)  # rounded, so the flag was not ignored, and close


def test_matrices_are_packed_for_the_path_in_use(compiled):
    """AVX-512 reads panels, AVX2 and plain C interleaved blocks; a matrix packed for the panels still
    multiplies correctly (plain-C panel loop) after the path is lowered."""
    w = np.random.default_rng(0).standard_normal((40, 24)).astype(np.float32)
    x = np.random.default_rng(1).standard_normal((2, 24)).astype(np.float32)
    best = compiled.best_kernel_path()
    for path in PATHS[: PATHS.index(best) + 1]:
        compiled.set_kernel_path(path)
        codes = {fmt: kernels.PackedMatrix(w, fmt).code for fmt in ("fp32", "bf16", "int8")}
        expected = {"fp32": 0, "bf16": 3, "int8": 4} if path == "avx512" else {"fp32": 0, "bf16": 1, "int8": 2}
        assert codes == expected, (path, codes)
    if best != "avx512":
        pytest.skip("no AVX-512 panels on this CPU")
    compiled.set_kernel_path("avx512")
    packed = kernels.PackedMatrix(w, "int8")
    compiled.set_kernel_path("plain")
    y = np.zeros((2, 40), np.float32)
    packed.matmul_t(x, y)
    np.testing.assert_allclose(y, x @ packed.dense.T, rtol=1e-5, atol=1e-5)  # fp32 activations on this loop


def test_unknown_path_refused(compiled):
    with pytest.raises(ValueError, match="unknown kernel path 'sse'; choose one of plain, avx2, avx512"):
        compiled.set_kernel_path("sse")


def kernel_path_in_child(value: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, RECUR_KERNELS=value)
    return subprocess.run([sys.executable, "-c", "from recur.generate import kernels; print(kernels.kernel_path())"],
                          env=env, capture_output=True, text=True, timeout=60)


def test_recur_kernels_caps_the_path_from_the_environment(compiled):
    child = kernel_path_in_child("plain")
    assert child.returncode == 0 and child.stdout.strip() == "plain", child.stderr
    child = kernel_path_in_child("avx")  # said in one line at import; the best loops serve
    assert child.returncode == 0 and child.stdout.strip() == compiled.best_kernel_path(), child.stderr
    assert child.stderr == ("recur: RECUR_KERNELS='avx' is not a kernel path (plain, avx2, avx512); "
                            "using the best this CPU runs\n")
