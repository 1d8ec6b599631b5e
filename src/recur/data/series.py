"""Synthetic time series with known dynamics, for checking forecasters (no files needed)."""

from __future__ import annotations

import torch

from recur.errors import require_positive


def sine(length: int, period: float = 31.4, phase: float = 0.0) -> torch.Tensor:
    """``sin(2π t / period + phase)`` for t = 0 .. length-1, ``[length]`` float64."""
    require_positive("series length", length)
    t = torch.arange(length, dtype=torch.float64)
    return torch.sin(2 * torch.pi * t / period + phase)


def mackey_glass(length: int, tau: int = 17, beta: float = 0.2, gamma: float = 0.1, n: float = 10.0,
                 substeps: int = 10, warmup: int = 500, start: float = 1.2) -> torch.Tensor:
    """The Mackey-Glass delay equation, the classic echo-state benchmark (Jaeger 2001, tau = 17):

        dx/dt = β x(t − τ) / (1 + x(t − τ)^n) − γ x(t)

    integrated by Euler with ``substeps`` steps per unit time from a constant history ``start``,
    sampled once per unit time after ``warmup`` units. ``[length]`` float64.
    """
    require_positive("series length", length)
    dt = 1.0 / substeps
    lag = tau * substeps
    total = (warmup + length) * substeps
    x = [start] * (lag + 1)
    for _ in range(total):
        delayed = x[-lag - 1]
        x.append(x[-1] + dt * (beta * delayed / (1 + delayed**n) - gamma * x[-1]))
    samples = x[lag + 1 :][warmup * substeps :: substeps][:length]
    return torch.tensor(samples, dtype=torch.float64)
