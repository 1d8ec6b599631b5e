"""The packed inference engine gives the training model's next-token distribution, step by step."""

import numpy as np
import pytest
import torch

from recur.generate import generate_ids
from recur.generate.engine import StepEngine
from recur.models import LanguageModel, LanguageModelConfig

V = 11
ENGINE_CELLS = ["lstm", "gru", "elman", "elman-relu", "irnn"]


def model_for(cell, layers=2, **options):
    torch.manual_seed(0)
    return LanguageModel(LanguageModelConfig(vocab_size=V, cell=cell, hidden=6, layers=layers, embedding=4,
                                             **options)).eval()


@pytest.mark.parametrize("cell", ENGINE_CELLS)
@pytest.mark.parametrize("dtype, tolerance", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_engine_matches_the_training_model(cell, dtype, tolerance):
    model = model_for(cell).double()
    ids = torch.randint(V, (3, 9))
    with torch.no_grad():
        expected = model(ids)[0].numpy()  # [B, T, V], the fused kernel over the whole sequence
    engine = StepEngine(model, dtype=dtype)
    engine.reset(batch=3)
    got = np.stack([engine.step(ids[:, t].numpy()).copy() for t in range(ids.shape[1])], axis=1)
    np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)


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
