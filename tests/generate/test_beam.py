"""Beam search: width 1 is greedy, wider beams find sequences at least as likely, stop tokens end them."""

import pytest
import torch

from recur.errors import RecurError
from recur.generate import generate_ids
from recur.generate.beam import beam_search, length_penalty
from recur.models import LanguageModel, LanguageModelConfig

V = 7


def model_for(cell):
    torch.manual_seed(3)
    return LanguageModel(LanguageModelConfig(vocab_size=V, cell=cell, hidden=8, layers=2, embedding=4)).eval()


def log_probability(model, prime, continuation):
    ids = torch.tensor([prime + continuation])
    with torch.no_grad():
        logp = torch.log_softmax(model(ids)[0][0].double(), -1)
    return sum(float(logp[len(prime) - 1 + k, token]) for k, token in enumerate(continuation))


@pytest.mark.parametrize("cell", ["lstm", "gru-seed"])  # the engine and the model's own step
def test_width_one_is_greedy(cell):
    model = model_for(cell)
    prime = torch.tensor([1, 2])
    assert beam_search(model, prime, 10, width=1) == generate_ids(model, prime, 10, temperature=0)


@pytest.mark.parametrize("cell", ["lstm", "gru", "clockwork"])
def test_wider_beams_are_at_least_as_likely_as_greedy(cell):
    model = model_for(cell)
    prime = [0, 3]
    greedy = beam_search(model, torch.tensor(prime), 8, width=1)
    wide = beam_search(model, torch.tensor(prime), 8, width=6)
    assert len(wide) == 8
    assert log_probability(model, prime, wide) >= log_probability(model, prime, greedy) - 1e-9


def test_stop_token_ends_hypotheses_and_length_penalty_is_gnmts():
    model = model_for("lstm")
    out = beam_search(model, torch.tensor([1]), 30, width=4, stop=0, alpha=0.6)
    assert 0 < len(out) <= 30 and (out[-1] == 0 or len(out) == 30) and 0 not in out[:-1]
    assert length_penalty(1, 0.6) == 1.0 and length_penalty(7, 0.0) == 1.0
    assert length_penalty(13, 1.0) == pytest.approx(3.0)


def test_more_beams_than_tokens_and_bad_settings():
    model = model_for("gru")
    assert len(beam_search(model, torch.tensor([1]), 5, width=20)) == 5
    with pytest.raises(RecurError, match="beam width"):
        beam_search(model, torch.tensor([1]), 5, width=0)
    for alpha in (-1, float("nan"), float("inf"), 11):  # past 10, lp(n) = ((5 + n) / 6)^alpha overflows
        with pytest.raises(RecurError, match="alpha"):
            beam_search(model, torch.tensor([1]), 5, alpha=alpha)
