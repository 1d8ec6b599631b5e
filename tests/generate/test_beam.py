"""Beam search: width 1 is greedy, wider beams find sequences at least as likely, stop tokens end them."""

import pytest
import torch

from recur.errors import RecurError
from recur.generate import generate_ids
from recur.generate.beam import beam_search, length_penalty, search_rows
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


class TableStepper:
    """A row stepper over a fixed Markov table per problem: p(next | previous) = TABLES[g][previous]."""

    def __init__(self, tables: torch.Tensor, width: int):
        self.tables, self.width = tables.log(), width  # [G, V, V]
        self.previous = torch.zeros(tables.shape[0] * width, dtype=torch.long)

    def __call__(self, tokens: torch.Tensor) -> torch.Tensor:
        self.previous = tokens
        problem = torch.arange(len(tokens)) // self.width
        return self.tables[problem, tokens]

    def reorder(self, rows: torch.Tensor) -> None:
        self.previous = self.previous[rows]


START, STOP = 3, 2  # tokens 0 and 1 are words


def table(start: list[float], after_0: list[float], after_1: list[float]) -> torch.Tensor:
    """p(next | previous) over 4 tokens, one row per previous token (STOP's and START's are never
    left for a word: START is only the first input)."""
    uniform = [0.25, 0.25, 0.25, 0.25]
    return torch.tensor([after_0, after_1, uniform, start]).clamp_min(1e-12)


def test_search_rows_finds_what_greedy_misses_in_each_problem_of_a_batch():
    """Problem 0: greedy takes word 0 (p .6) and then keeps it (p .55 against stopping, .45), while
    word 1 (p .4) would stop at once (p .95): beam 2 finds [1, stop] (.38 against .27). Problem 1 is
    its mirror image. Batched, each problem gets the answer it gets alone."""
    tables = torch.stack([table([0.6, 0.4, 0, 0], [0.55, 0, 0.45, 0], [0, 0, 0.95, 0.05]),
                          table([0.4, 0.6, 0, 0], [0, 0, 0.95, 0.05], [0, 0.55, 0.45, 0])])
    for width, expected in ((1, [[0] * 5, [1] * 5]), (2, [[1, STOP], [0, STOP]])):
        start = torch.full((2 * width,), START)
        step = TableStepper(tables, width)
        together = search_rows(step, step(start), 2, width, 5, alpha=0.0, stop=STOP)
        alone = []
        for g in range(2):
            one = TableStepper(tables[g:g + 1], width)
            alone += search_rows(one, one(start[:width]), 1, width, 5, alpha=0.0, stop=STOP)
        assert together == alone == expected, (width, together, alone)
