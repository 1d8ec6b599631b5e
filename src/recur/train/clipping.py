"""Gradient clipping as pure functions over a list of gradient tensors (modified in place).

By global norm, seed 003's pseudocode (Pascanu, Mikolov & Bengio 2013):

    g <- dL/dw
    if ||g|| > θ0:  g <- θ0 / ||g|| · g

where ||g|| is the norm of all gradients together. By value: every entry clamped to [-θ0, θ0].
"""

from __future__ import annotations

import torch

CLIP_MODES = ("norm", "value")


def global_norm(grads: list[torch.Tensor]) -> torch.Tensor:
    """||g||: the 2-norm of all gradients concatenated."""
    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))


def clip_by_global_norm(grads: list[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Rescale in place when ||g|| > max_norm; returns ||g|| before clipping."""
    norm = global_norm(grads)
    if norm > max_norm:
        torch._foreach_mul_(grads, max_norm / norm)
    return norm


def clip_by_value(grads: list[torch.Tensor], limit: float) -> torch.Tensor:
    """Clamp every entry to [-limit, limit]; returns ||g|| before clipping."""
    norm = global_norm(grads)
    for g in grads:
        g.clamp_(-limit, limit)
    return norm


def clip_gradients(grads: list[torch.Tensor], threshold: float, mode: str = "norm") -> torch.Tensor:
    """Clip by ``mode``; a threshold of 0 or less means no clipping. Returns ||g|| before."""
    if threshold <= 0:
        return global_norm(grads)
    return {"norm": clip_by_global_norm, "value": clip_by_value}[mode](grads, threshold)
