"""Generating a sequence from a language model: prime it, then sample one token at a time."""

from __future__ import annotations

import torch

from recur.generate.sampling import check_sampling, sample_next


@torch.no_grad()
def generate_ids(model, prime: torch.Tensor, length: int, temperature: float = 1.0, top_k: int | None = None,
                 top_p: float | None = None, seed: int | None = None) -> list[int]:
    """``length`` ids following ``prime [P]`` (P >= 1). The same seed gives the same ids.

    ``model(ids [B, T], state) -> (logits [B, T, V], state)``.
    """
    check_sampling(temperature, top_k, top_p)
    model.eval()
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    logits, state = model(prime[None, :], None)  # [1, P, V]
    last = logits[:, -1]  # [1, V]
    out = []
    for _ in range(length):
        nxt = sample_next(last, temperature, top_k, top_p, generator)  # [1]
        out.append(int(nxt))
        logits, state = model(nxt[:, None], state)
        last = logits[:, -1]
    return out
