"""Beam search: the most likely continuation under the model, approximately, for one problem or a
batch of independent ones (a language model's prime; every sentence of a translation batch).

Keep the ``width`` best partial sequences of each problem by total log-probability. At each step,
extend every one by every token and keep the best ``width`` of the ``width × V`` extensions:

    score(y_1..y_t) = Σ_k log p(y_k | prime, y_<k)

A hypothesis that emits the ``stop`` token is finished, and the best ``width`` extensions of the
live ones take its place. Finished hypotheses of different lengths are compared by the
length-normalised score of Wu et al. (2016, GNMT, eq. 14):

    score / lp(n),   lp(n) = ((5 + n) / 6)^α

α = 0 compares raw log-probabilities, which favour short outputs; larger α favours longer ones
(GNMT tunes α in [0.6, 1]; α is taken from 0 to ``MAX_ALPHA``, past which lp(n) overflows for long
outputs). Without a stop token every hypothesis has the same length, and the raw score decides.
Width 1 is greedy decoding. A problem is done once no live hypothesis can overtake its best finished
one: log-probabilities only fall as a hypothesis grows, so the best a live score s (< 0) can reach is
s / lp(length); stopping there gives the result of searching to ``length`` steps, sooner.

The search drives a *row stepper*: ``step(tokens [G·W]) -> logits [G·W, V]`` (torch tensors) and
``step.reorder(rows [G·W])``, which makes row ``i`` continue from the state of row ``rows[i]``; row
``g·W + k`` is hypothesis ``k`` of problem ``g``.
"""

from __future__ import annotations

import numpy as np
import torch

from recur.checks import check_value, number_flag
from recur.generate.stepper import stepper_for

MAX_ALPHA = 10.0


def length_penalty(length: int, alpha: float) -> float:
    return ((5 + length) / 6) ** alpha


def add_beam_flags(parser) -> None:
    """``--beam W`` and ``--alpha A``: what every command that decodes by beam search takes."""
    parser.add_argument("--beam", type=number_flag(int, at_least=1, at_most=100), default=5,
                        help="beam width; 1 is greedy (default 5)")
    parser.add_argument("--alpha", type=number_flag(float, at_least=0, at_most=MAX_ALPHA), default=0.6,
                        help="length normalisation of beam search, GNMT's alpha (default 0.6)")


def check_beam(width: int, alpha: float) -> None:
    check_value("beam width", width, int, {"at_least": 1})
    check_value("length-penalty alpha", alpha, float, {"at_least": 0, "at_most": MAX_ALPHA})


@torch.no_grad()
def search_rows(step, logits: torch.Tensor, problems: int, width: int, length: int | list[int], alpha: float = 0.6,
                stop: int | None = None) -> list[list[int]]:
    """The best hypothesis of each of ``problems`` independent problems: at most ``length`` ids each
    (one limit for all, or a list of one per problem), ending with ``stop`` where it stopped.
    ``logits [problems·width, V]``: the first step's, every row of a problem the same so far;
    ``step`` is a row stepper (module docstring)."""
    check_beam(width, alpha)
    limits = [length] * problems if isinstance(length, int) else [int(n) for n in length]
    if len(limits) != problems or min(limits, default=0) < 0:
        raise ValueError(f"search_rows: {len(limits)} length limits (none negative) for {problems} problems")
    vocab = logits.shape[-1]
    # one live hypothesis per problem to start (the others would only duplicate it); -inf rows are dead
    scores = torch.full((problems, width), float("-inf"), dtype=torch.float64)
    scores[:, 0] = 0.0
    scores[[g for g in range(problems) if limits[g] == 0]] = float("-inf")  # no room: the empty output
    sequences: list[list[list[int]]] = [[[] for _ in range(width)] for _ in range(problems)]
    finished: list[list[tuple[float, list[int]]]] = [[] for _ in range(problems)]
    offsets = torch.arange(problems)[:, None] * width
    for steps in range(1, max(limits, default=0) + 1):
        total = scores[..., None] + torch.log_softmax(logits.double(), dim=-1).view(problems, width, vocab)
        best, flat = total.view(problems, width * vocab).topk(width, dim=-1)  # [G, W]
        parents, tokens = flat // vocab, flat % vocab
        sequences = [[sequences[g][p] + [t] for p, t in zip(ps, ts)]
                     for g, (ps, ts) in enumerate(zip(parents.tolist(), tokens.tolist()))]
        scores = best.clone()
        if stop is not None:
            for g, k in (tokens == stop).nonzero().tolist():
                if scores[g, k] > float("-inf"):
                    finished[g].append((float(scores[g, k]) / length_penalty(len(sequences[g][k]), alpha),
                                        sequences[g][k]))
                scores[g, k] = float("-inf")
            for g in range(problems):  # done once no live hypothesis can overtake the best finished one
                if finished[g] and max(f[0] for f in finished[g]) >= \
                        float(scores[g].max()) / length_penalty(limits[g], alpha):
                    scores[g] = float("-inf")
        for g in range(problems):  # at its limit a problem's live hypotheses end where they are
            if steps == limits[g]:
                finished[g] += [(s / length_penalty(len(seq), alpha), seq)
                                for s, seq in zip(scores[g].tolist(), sequences[g]) if s != float("-inf")]
                scores[g] = float("-inf")
        if torch.isinf(scores).all():
            break
        step.reorder((parents + offsets).flatten())
        logits = step(tokens.flatten())
    return [max(candidates, key=lambda item: item[0])[1] if candidates else [] for candidates in finished]


class _TorchRows:
    """A language model's NumPy stepper (``recur.generate.stepper``) as a row stepper of tensors."""

    def __init__(self, step):
        self.step = step

    def __call__(self, tokens: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(self.step(tokens.numpy()))

    def reorder(self, rows: torch.Tensor) -> None:
        self.step.reorder(rows.numpy())


@torch.no_grad()
def beam_search(model, prime: torch.Tensor, length: int, width: int = 5, alpha: float = 0.6,
                stop: int | None = None, precision: str = "fp32") -> list[int]:
    """At most ``length`` ids after ``prime [P]`` of a language model: the best hypothesis found
    (ending with ``stop`` if it stopped). ``precision``: the engine's weights, where the model runs on it."""
    check_beam(width, alpha)
    model.eval()
    step = stepper_for(model, width, precision)
    for token in prime[:-1].tolist():
        step([token] * width)
    logits = torch.from_numpy(step(np.full(width, int(prime[-1]))))  # [W, V], every row the same so far
    return search_rows(_TorchRows(step), logits, 1, width, length, alpha, stop)[0]
