"""Choosing the next token from logits: pure functions, easy to test alone.

    temperature T:  p_i ∝ exp(z_i / T)          (T = 0 means greedy: argmax z)
    top-k:          keep the k largest z_i, drop the rest
    top-p (nucleus, Holtzman et al. 2020): keep the smallest set of most likely tokens whose
                    probability sums to at least p
"""

from __future__ import annotations

import torch

from recur.errors import RecurError


def check_sampling(temperature: float, top_k: int | None, top_p: float | None) -> None:
    if temperature < 0:
        raise RecurError(f"temperature must be 0 (greedy) or positive, got {temperature}")
    if top_k is not None and top_k < 1:
        raise RecurError(f"top-k must be at least 1, got {top_k}")
    if top_p is not None and not 0 < top_p <= 1:
        raise RecurError(f"top-p must be in (0, 1], got {top_p}")


def filter_logits(logits: torch.Tensor, top_k: int | None = None, top_p: float | None = None) -> torch.Tensor:
    """Set the logits outside the top-k / nucleus to -inf. ``logits [B, V]``."""
    if top_k is not None and top_k < logits.shape[-1]:
        kth = logits.topk(top_k, dim=-1).values[..., -1:]  # [B, 1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1.0:
        sorted_logits, order = logits.sort(dim=-1, descending=True)
        cumulative = sorted_logits.softmax(-1).cumsum(-1)
        # drop a token when the tokens before it already reach p (the first token always stays)
        drop_sorted = (cumulative - sorted_logits.softmax(-1)) >= top_p
        drop = drop_sorted.scatter(-1, order, drop_sorted)
        logits = logits.masked_fill(drop, float("-inf"))
    return logits


def sample_next(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                top_p: float | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    """One id per row of ``logits [B, V]`` -> ``[B]``."""
    if temperature == 0:
        return logits.argmax(-1)
    probs = filter_logits(logits.float() / temperature, top_k, top_p).softmax(-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)
