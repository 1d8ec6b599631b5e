"""Generating a sequence from a language model: prime it, then sample one token at a time."""

from __future__ import annotations

import torch

from recur.generate.engine import StepEngine
from recur.generate.sampling import check_sampling, sample_next


@torch.no_grad()
def generate_ids(model, prime: torch.Tensor, length: int, temperature: float = 1.0, top_k: int | None = None,
                 top_p: float | None = None, seed: int | None = None) -> list[int]:
    """``length`` ids following ``prime [P]`` (P >= 1). The same seed gives the same ids.

    ``model(ids [B, T], state) -> (logits [B, T, V], state)``. A recur language model on a cell
    with a fused kernel runs on the packed ``StepEngine``; any other model steps itself.
    """
    check_sampling(temperature, top_k, top_p)
    model.eval()
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    step = engine_stepper(model) if StepEngine.supports(model) else model_stepper(model)
    for token in prime[:-1].tolist():
        step(token)
    last = step(int(prime[-1]))  # [1, V]
    out = []
    for _ in range(length):
        nxt = int(sample_next(last, temperature, top_k, top_p, generator))
        out.append(nxt)
        last = step(nxt)
    return out


def engine_stepper(model):
    """``token -> logits [1, V]`` through a fresh ``StepEngine``."""
    engine = StepEngine(model)

    def step(token: int) -> torch.Tensor:
        return torch.from_numpy(engine.step([token]))

    return step


def model_stepper(model):
    """``token -> logits [1, V]`` through the model itself, carrying its state."""
    state = None

    def step(token: int) -> torch.Tensor:
        nonlocal state
        logits, state = model(torch.tensor([[token]]), state)
        return logits[:, -1]

    return step
