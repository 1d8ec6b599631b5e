"""Which loops ran: the compiled whole step at batch ≤ 8 (64 for int8 on AVX-512) and BLAS above, helper threads on products of
65,536 weights or more (sharing chunks of 16-row panels, claimed by whichever thread is free), and the
plain-C loops that serve CPUs without AVX2. Each test reads the
compiled module's counts (``kernels.compiled_counts``), so a path that silently stops running fails."""

import numpy as np
import pytest
import torch

from recur.generate.engine import StepEngine
from recur.generate.kernels import PackedMatrix

T = 6


def run_engine(engine: StepEngine, ids: np.ndarray) -> np.ndarray:
    engine.reset(batch=ids.shape[0])
    return np.stack([engine.step(ids[:, t]).astype(np.float64) for t in range(ids.shape[1])], axis=1)  # [B, T, V]


def training_model_logits(model, ids: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model.double()(torch.from_numpy(ids))[0].numpy()  # [B, T, V]; the model is float64 after


@pytest.mark.parametrize("batch, whole_step", [(1, True), (3, True), (8, True), (9, False)])
def test_whole_compiled_step_up_to_batch_8_then_blas(compiled, seeded_lm, batch, whole_step):
    model = seeded_lm()  # 2 layers: per step W_hh¹, W_ih², W_hh² and the read-out
    ids = np.random.default_rng(batch).integers(11, size=(batch, T))
    vectorised = compiled.set_vectorised(True)
    got = run_engine(StepEngine(model, "fp32"), ids)
    ran = compiled.compiled_counts(reset=True)
    if whole_step:
        assert ran["steps"] == T and ran["products"] == 4 * T, ran
        assert ran["plain"] == (0 if vectorised else ran["products"]), ran
    else:  # BLAS multiplies the float32 copies: no compiled product, no compiled step
        assert ran["steps"] == 0 and ran["products"] == 0, ran
    np.testing.assert_allclose(got, training_model_logits(model, ids), rtol=0, atol=1e-5)


@pytest.mark.parametrize("fmt", ["fp32", "int8"])
@pytest.mark.parametrize("past_limit", [-1, 0, 1])  # batch 1, the format's largest compiled batch, one more
def test_matmul_is_compiled_up_to_its_largest_batch(compiled, rounding_bound, fmt, past_limit):
    rng = np.random.default_rng(past_limit + 1)
    packed = PackedMatrix(rng.standard_normal((40, 24)).astype(np.float32), fmt)
    assert packed.max_batch == (64 if packed.code == 4 else 8)  # int8 on AVX-512's panels: 64
    batch = {-1: 1, 0: packed.max_batch, 1: packed.max_batch + 1}[past_limit]
    x, y = rng.standard_normal((batch, 24)).astype(np.float32), np.zeros((batch, 40), np.float32)
    packed.matmul_t(x, y)
    assert compiled.compiled_counts()["products"] == (past_limit < 1)
    np.testing.assert_array_less(np.abs(y - x @ packed.dense.T), 1e-5 + rounding_bound(packed, x))


@pytest.mark.parametrize("rows, cols, batch, split", [
    (512, 128, 1, True),  # 65,536 weights: shared with a helper
    (508, 128, 1, False),  # 65,024: too small to be worth a handover
    (128, 128, 4, True),  # the threshold counts weights times batch rows
])
def test_two_threads_split_products_from_65536_weights(compiled, rounding_bound, rows, cols, batch, split):
    assert compiled.set_threads(2) == 2
    compiled.compiled_counts(reset=True)
    rng = np.random.default_rng(rows)
    packed = PackedMatrix(rng.standard_normal((rows, cols)).astype(np.float32), "bf16")
    x, y = rng.standard_normal((batch, cols)).astype(np.float32), np.zeros((batch, rows), np.float32)
    packed.matmul_t(x, y)
    ran = compiled.compiled_counts(reset=True)
    assert ran["products"] == 1 and ran["split"] == split, ran
    # the helper claims whole chunks if it is awake in time (a sleeping one may miss this product)
    assert ran["helper_rows"] % 16 == 0 and ran["helper_rows"] <= (rows if split else 0), ran
    np.testing.assert_array_less(np.abs(y - x @ packed.dense.T), 1e-4 + rounding_bound(packed, x))


def test_two_threads_share_a_large_lstm_step(compiled, seeded_lm):
    """Hidden 256: W_hh is 1024×256 = 262,144 weights, shared in 8 chunks of 128 rows; the helper
    computes some of them, and the logits are one thread's, bit for bit (each row's sum runs the same
    on either thread)."""
    model = seeded_lm(hidden=256, layers=1, width=0.2)  # the input product is a table lookup: W_hh, read-out
    ids = np.random.default_rng(0).integers(11, size=(1, T))
    one = run_engine(StepEngine(model, "fp32"), ids)
    ran = compiled.compiled_counts(reset=True)
    assert ran["split"] == 0 and ran["helper_rows"] == 0, ran
    assert compiled.set_threads(2) == 2
    two = run_engine(StepEngine(model, "fp32"), ids)
    ran = compiled.compiled_counts(reset=True)
    assert ran["steps"] == T and ran["split"] == T, ran
    assert ran["helper_rows"] % 128 == 0 and ran["helper_rows"] <= 1024 * T, ran
    np.testing.assert_array_equal(two, one)
    engine, tries = StepEngine(model, "fp32"), 0
    while compiled.compiled_counts()["helper_rows"] == 0 and tries < 1000:  # a helper busy elsewhere may miss some
        engine.step(ids[:, 0])
        tries += 1
    assert compiled.compiled_counts()["helper_rows"] > 0, "the helper never took a chunk"
    np.testing.assert_allclose(two, training_model_logits(model, ids), rtol=0, atol=1e-5)


@pytest.mark.parametrize("precision", ["fp32", "bf16", "int8"])
@pytest.mark.parametrize("cell", ["lstm", "gru", "elman"])
def test_plain_c_loops_match_avx2(compiled, seeded_lm, cell, precision):
    """The plain-C loops (chosen at import on CPUs without AVX2+FMA) forced on: the same logits as the
    AVX2 loops to 5e-6 (measured: at most 1.9e-6, logits to ±4.6), with hidden 37 so both run their partial blocks."""
    if compiled.set_kernel_path("avx2") != "avx2":
        pytest.skip("this CPU has no AVX2+FMA: the plain-C loops are the only compiled ones, run by every test")
    model = seeded_lm(cell=cell, vocab=13, hidden=37)
    ids = np.random.default_rng(2).integers(13, size=(3, T))
    avx2 = run_engine(StepEngine(model, precision), ids)
    ran = compiled.compiled_counts(reset=True)
    assert ran["products"] == 4 * T and ran["plain"] == 0, ran
    assert compiled.set_vectorised(False) is False
    plain = run_engine(StepEngine(model, precision), ids)
    ran = compiled.compiled_counts(reset=True)
    assert ran["products"] == 4 * T and ran["plain"] == 4 * T, ran
    assert np.abs(plain - avx2).max() > 0  # really another path: the sums round differently
    np.testing.assert_allclose(plain, avx2, rtol=0, atol=5e-6)
    if precision == "fp32":
        np.testing.assert_allclose(plain, training_model_logits(model, ids), rtol=0, atol=1e-5)
