"""Generating sequences from a language model: prime it, then sample one token at a time.

``stream_ids`` is the one loop: it yields each step's ids for a batch of samples as soon as they
are drawn, so callers can print as it goes (``recur sample --stream``) or collect many samples at
once (``--samples N``); ``generate_ids`` collects one. The step and the draw both run in compiled
loops where recur's extension is built (``kernels.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from recur.errors import require_positive
from recur.generate.kernels import sample
from recur.generate.sampling import check_sampling
from recur.generate.stepper import stepper_for


@torch.no_grad()
def stream_ids(model, prime: torch.Tensor, length: int, temperature: float = 1.0, top_k: int | None = None,
               top_p: float | None = None, seed: int | None = None, samples: int = 1,
               precision: str = "fp32") -> Iterator[list[int]]:
    """``length`` steps after ``prime [P]`` (P >= 1), each a list of ``samples`` ids, one per sample.
    The same seed gives the same ids.

    ``model(ids [B, T], state) -> (logits [B, T, V], state)``. A recur language model on a cell
    with a fused kernel runs on the packed ``StepEngine`` with ``precision`` weights; any other
    model steps itself.
    """
    check_sampling(temperature, top_k, top_p)
    require_positive("number of samples", samples)
    model.eval()
    rng = np.random.default_rng(seed)
    step = stepper_for(model, samples, precision)
    for token in prime[:-1].tolist():
        step([token] * samples)
    last = step([int(prime[-1])] * samples)  # [B, V]
    for t in range(length):
        ids = sample(last, temperature, top_k, top_p, rng.random(samples))
        yield ids.tolist()
        if t + 1 < length:  # the last ids need no logits after them
            last = step(ids)


def generate_ids(model, prime: torch.Tensor, length: int, temperature: float = 1.0, top_k: int | None = None,
                 top_p: float | None = None, seed: int | None = None, precision: str = "fp32") -> list[int]:
    """``length`` ids following ``prime [P]``: one sample of ``stream_ids``."""
    return [ids[0] for ids in stream_ids(model, prime, length, temperature, top_k, top_p, seed, 1, precision)]
