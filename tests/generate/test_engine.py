"""The packed inference engine gives the training model's next-token distribution, step by step."""

import numpy as np
import pytest
import torch

from recur.generate import generate_ids, kernels
from recur.generate.engine import StepEngine
from recur.models import LanguageModel, LanguageModelConfig

V = 11
ENGINE_CELLS = ["lstm", "gru", "elman", "elman-relu", "irnn"]


def model_for(cell, layers=2, hidden=6, **options):
    torch.manual_seed(0)
    return LanguageModel(LanguageModelConfig(vocab_size=V, cell=cell, hidden=hidden, layers=layers, embedding=4,
                                             **options)).eval()


def run_engine(engine: StepEngine, ids: torch.Tensor) -> np.ndarray:
    engine.reset(batch=ids.shape[0])
    return np.stack([engine.step(ids[:, t].numpy()).copy() for t in range(ids.shape[1])], axis=1)


@pytest.mark.parametrize("cell", ENGINE_CELLS)
@pytest.mark.parametrize("precision, tolerance", [("fp64", 1e-12), ("fp32", 1e-5)])
@pytest.mark.parametrize("batch", [1, 3, 12])  # 12: past the compiled loops, through BLAS
def test_engine_matches_the_training_model(path, cell, precision, tolerance, batch):
    model = model_for(cell).double()
    ids = torch.randint(V, (batch, 9))
    with torch.no_grad():
        expected = model(ids)[0].numpy()  # [B, T, V], the fused kernel over the whole sequence
    np.testing.assert_allclose(run_engine(StepEngine(model, precision), ids), expected, rtol=tolerance,
                               atol=tolerance)


@pytest.mark.parametrize("cell", ENGINE_CELLS)
@pytest.mark.parametrize("precision, tolerance", [("bf16", 0.05), ("int8", 0.05)])
def test_reduced_precision_stays_close(path, cell, precision, tolerance):
    """bf16 keeps ~3 significant digits of each weight, int8 ~2.4 per row: logits move by ~1e-2."""
    model = model_for(cell, hidden=32).double()
    ids = torch.randint(V, (2, 20))
    with torch.no_grad():
        expected = model(ids)[0].numpy()
    got = run_engine(StepEngine(model, precision), ids)
    error = np.abs(got - expected).max()
    assert 0 < error < tolerance, error  # rounded (not identical), and close


def test_engine_without_a_lookup_table_matches(monkeypatch):
    """Large vocabularies multiply the embedding by W_ih each step instead of looking the product up."""
    monkeypatch.setattr("recur.generate.engine.TABLE_MAX_ENTRIES", 0)
    model = model_for("lstm").double()
    ids = torch.randint(V, (2, 6))
    with torch.no_grad():
        expected = model(ids)[0].numpy()
    engine = StepEngine(model, "fp32")
    assert engine.layers[0].table is None
    np.testing.assert_allclose(run_engine(engine, ids), expected, rtol=1e-5, atol=1e-5)


def test_compiled_step_refuses_ids_outside_the_vocabulary(path):
    engine = StepEngine(model_for("gru"), "fp32")
    engine.reset(2)
    with pytest.raises((ValueError, IndexError), match=f"{V}"):
        engine.step(np.array([0, V]))


def test_compiled_step_is_one_call_for_small_batches():
    if not kernels.compiled_available():
        pytest.skip("recur's C extension was not built (no C compiler at install)")
    for precision in ("fp32", "bf16", "int8"):
        engine = StepEngine(model_for("lstm"), precision)
        assert engine.max_batch == (kernels.PANEL_MAX_BATCH[precision] if kernels.use_panels(precision, 4)
                                    else kernels.COMPILED_MAX_BATCH)
        engine.reset(engine.max_batch)
        assert engine.stack is not None
        engine.reset(engine.max_batch + 1)  # larger batches: BLAS over the float32 copies
        assert engine.stack is None


def test_unknown_precision_refused():
    with pytest.raises(ValueError, match="precision 'fp16'.*fp64, fp32, bf16, int8"):
        StepEngine(model_for("lstm"), "fp16")


def test_engine_only_for_fused_cells():
    assert StepEngine.supports(model_for("lstm"))
    assert not StepEngine.supports(model_for("gru-seed"))
    with pytest.raises(ValueError, match="fused kernel"):
        StepEngine(model_for("clockwork"))


@pytest.mark.parametrize("cell", ["lstm", "gru-seed"])
def test_generation_is_seeded_and_greedy_follows_the_model(cell):
    model = model_for(cell)
    prime = torch.tensor([1, 2, 3])
    assert generate_ids(model, prime, 30, seed=4) == generate_ids(model, prime, 30, seed=4)
    greedy = generate_ids(model, prime, 12, temperature=0)
    ids = prime.tolist()
    with torch.no_grad():
        for _ in range(12):  # argmax of the full-sequence forward, one token at a time
            ids.append(int(model(torch.tensor([ids]))[0][0, -1].argmax()))
    assert greedy == ids[len(prime):]
