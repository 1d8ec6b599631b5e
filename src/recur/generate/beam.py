"""Beam search: the most likely continuation under the model, approximately.

Keep the ``width`` best partial sequences by total log-probability. At each step, extend every
one by every token and keep the best ``width`` of the ``width × V`` extensions:

    score(y_1..y_t) = Σ_k log p(y_k | prime, y_<k)

A hypothesis that emits the ``stop`` token is finished. Finished hypotheses of different lengths
are compared by the length-normalised score of Wu et al. (2016, GNMT, eq. 14):

    score / lp(n),   lp(n) = ((5 + n) / 6)^α

α = 0 compares raw log-probabilities, which favour short outputs; larger α favours longer ones
(GNMT tunes α in [0.6, 1]; α is taken from 0 to ``MAX_ALPHA``, past which lp(n) overflows for long
outputs). Without a stop token every hypothesis has the same length, and the raw score decides.
Width 1 is greedy decoding.
"""

from __future__ import annotations

import torch

from recur.checks import check_value
from recur.generate.stepper import stepper_for

MAX_ALPHA = 10.0


def length_penalty(length: int, alpha: float) -> float:
    return ((5 + length) / 6) ** alpha


@torch.no_grad()
def beam_search(model, prime: torch.Tensor, length: int, width: int = 5, alpha: float = 0.6,
                stop: int | None = None, precision: str = "fp32") -> list[int]:
    """At most ``length`` ids after ``prime [P]``: the best hypothesis found (ending with ``stop`` if
    it stopped). ``precision``: the engine's weights, where the model runs on it."""
    check_value("beam width", width, int, {"at_least": 1})
    check_value("length-penalty alpha", alpha, float, {"at_least": 0, "at_most": MAX_ALPHA})
    model.eval()
    step = stepper_for(model, width, precision)
    for token in prime[:-1].tolist():
        step([token] * width)
    logits = torch.from_numpy(step([int(prime[-1])] * width))  # [W, V], every row the same so far
    vocab = logits.shape[-1]  # with fewer than ``width`` live extensions, the rest stay at -inf: dead
    scores = torch.full((logits.shape[0],), float("-inf"), dtype=torch.float64)
    scores[0] = 0.0  # one live hypothesis to start: the others would only duplicate it
    sequences: list[list[int]] = [[] for _ in range(logits.shape[0])]
    finished: list[tuple[float, list[int]]] = []
    for _ in range(length):
        total = scores[:, None] + torch.log_softmax(logits.double(), dim=-1)  # [W, V]
        best, flat = total.flatten().topk(width)
        parents, tokens = flat // vocab, flat % vocab
        sequences = [sequences[p] + [t] for p, t in zip(parents.tolist(), tokens.tolist())]
        scores = best.clone()
        if stop is not None:
            for i in (tokens == stop).nonzero().flatten().tolist():
                finished.append((float(scores[i]) / length_penalty(len(sequences[i]), alpha), sequences[i]))
                scores[i] = float("-inf")
        if torch.isinf(scores).all():
            break
        step.reorder(parents.numpy())
        logits = torch.from_numpy(step(tokens.numpy()))
    finished += [(float(s) / length_penalty(len(seq), alpha), seq)
                 for s, seq in zip(scores.tolist(), sequences) if s != float("-inf")]
    return max(finished, key=lambda item: item[0])[1] if finished else []
