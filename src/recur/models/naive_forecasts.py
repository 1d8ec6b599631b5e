"""The forecasting yardsticks that need no fitting, applied to windows of history.

For a window ending at step t−1 (the last observed value) and forecast steps j = 0 … H−1 (time t+j):

    persistence:     ŷ_{t+j} = y_{t−1}
    seasonal naive:  ŷ_{t+j} = y_{t+j−s·(⌊j/s⌋+1)}      the same point of the last observed season s

``history`` is ``[N, L, C]`` with its last row at t−1; seasonal naive needs L ≥ s.
"""

from __future__ import annotations

import torch

from recur.errors import RecurError


def persistence(history: torch.Tensor, horizon: int) -> torch.Tensor:
    return history[:, -1:].expand(-1, horizon, -1).clone()


def seasonal_naive(history: torch.Tensor, horizon: int, season: int) -> torch.Tensor:
    length = history.shape[1]
    if season < 1 or length < season:
        raise RecurError(f"seasonal naive with a season of {season} needs at least {season} steps of history, "
                         f"got {length}")
    steps = torch.arange(horizon)
    index = length + steps - season * (steps // season + 1)
    return history[:, index]
