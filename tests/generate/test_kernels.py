"""The engine's storage formats and compiled loops against NumPy references."""

import numpy as np
import pytest
import torch

from recur.generate import kernels
from recur.generate.kernels import PackedMatrix, compiled_available
from recur.generate.sampling import sample_next

needs_compiled = pytest.mark.skipif(not compiled_available(), reason="recur's C extension was not built")


def test_bf16_rounds_like_torch():
    w = (np.random.default_rng(0).standard_normal((5, 300)) * 10.0 ** np.arange(-3, 2)[:, None]).astype(np.float32)
    w[0, :4] = [1 + 2**-8, 1 + 3 * 2**-8, -(1 + 2**-8), 0.0]  # ties: to even
    ours = (kernels.round_to_bf16(w).astype(np.uint32) << 16).view(np.float32)
    theirs = torch.from_numpy(w).to(torch.bfloat16).float().numpy()
    np.testing.assert_array_equal(ours, theirs)


def test_int8_rows_use_their_own_scale():
    w = np.array([[0.5, -1.0, 0.25], [100.0, 0.0, -40.0], [0.0, 0.0, 0.0]])
    q, s = kernels.quantise_int8(w)
    np.testing.assert_allclose(s, [1 / 127, 100 / 127, 1.0], rtol=1e-6)
    assert q[0].tolist() == [64, -127, 32] and q[1].tolist() == [127, 0, -51] and not q[2].any()


@pytest.mark.parametrize("fmt", ["fp32", "bf16", "int8"])
@pytest.mark.parametrize("batch", [1, 3, 8, 9])
@pytest.mark.parametrize("rows, cols", [(64, 256), (7, 13), (9, 45), (130, 100), (300, 257)])  # 300x257: split
def test_matmul_uses_the_stored_values(path, rounding_bound, fmt, batch, rows, cols):
    rng = np.random.default_rng(rows * cols)
    w = rng.standard_normal((rows, cols)).astype(np.float32)
    x = rng.standard_normal((batch, cols)).astype(np.float32)
    packed = PackedMatrix(w, fmt)
    y = np.ones((batch, rows), np.float32)
    packed.matmul_t(x, y)
    expected = 1 + x.astype(np.float64) @ packed.dense.T.astype(np.float64)
    bound = rounding_bound(packed, x)  # 0 but on the AVX-512 loops
    np.testing.assert_array_less(np.abs(y - expected), 1e-5 * np.abs(expected) + 1e-5 * np.sqrt(cols) + bound)
    if fmt != "fp32":
        assert np.abs(packed.dense - w).max() > 0  # really rounded
        if cols >= 100:  # int8's scales weigh on narrow rows
            assert packed.nbytes < w.nbytes / (1.9 if fmt == "bf16" else 3.5)


def test_unknown_format_refused():
    with pytest.raises(ValueError, match="format 'fp8'"):
        PackedMatrix(np.zeros((2, 2)), "fp8")


@pytest.mark.parametrize("loops", ["plain", "avx2", "avx512"])
def test_pointwise_cells_match_numpy(monkeypatch, compiled, loops):
    """Each path's gate loops (gates.c, gates512.c) against NumPy's."""
    if compiled.set_kernel_path(loops) != loops:
        pytest.skip(f"this CPU has no {loops} loops")
    rng = np.random.default_rng(1)
    B, H = 3, 37  # a vector tail
    z = (rng.standard_normal((B, 4 * H)) * 4).astype(np.float32)
    zx, zh = (rng.standard_normal((B, 3 * H)) * 4).astype(np.float32), rng.standard_normal((B, 3 * H)).astype(np.float32)
    c0, h0 = rng.standard_normal((B, H)).astype(np.float32), rng.standard_normal((B, H)).astype(np.float32)

    def run():
        c, h, g = c0.copy(), h0.copy(), h0.copy()
        kernels.lstm_cell(z.copy(), c, h)
        kernels.gru_cell(zx.copy(), zh, g)
        e = np.empty_like(z)
        kernels.elman_cell(z, e, relu=False)
        return c, h, g, e

    compiled = run()
    monkeypatch.setenv("RECUR_NO_COMPILED", "1")
    for got, want in zip(compiled, run()):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


@needs_compiled
def test_compiled_sampler_follows_the_reference_rule():
    rng = np.random.default_rng(2)
    for trial in range(500):
        V, B = int(rng.integers(1, 70)), int(rng.integers(1, 4))
        logits = (rng.standard_normal((B, V)) * rng.uniform(0.1, 5)).astype(np.float32)
        if trial % 4 == 0:
            logits = np.round(logits)  # ties at the top-k and top-p boundaries
        temperature = float(rng.choice([0.0, 0.5, 1.0, 2.0]))
        top_k = int(rng.integers(1, V + 2)) if trial % 2 else None
        top_p = float(rng.uniform(0.05, 1.0)) if trial % 3 else None
        u = rng.random(B)
        assert kernels.sample(logits, temperature, top_k, top_p, u).tolist() == \
            sample_next(logits, temperature, top_k, top_p, u).tolist()


@needs_compiled
def test_compiled_loops_refuse_short_buffers():
    from recur.generate import _kernels
    with pytest.raises(ValueError, match="W holds 16 bytes, needs 32"):
        _kernels.matmul_t(0, np.zeros(4, np.float32), None, np.zeros(2, np.float32), np.zeros(4, np.float32), 1, 4, 2)
    with pytest.raises(ValueError, match="h holds"):
        _kernels.lstm_cell(np.zeros(8, np.float32), np.zeros(2, np.float32), np.zeros(1, np.float32), 1, 2)
