"""Clockwork RNN (Koutník, Greff, Gomez & Schmidhuber 2014, "A Clockwork RNN"), named in seed 000.

The hidden layer is split into g modules of k units each (H/g; when g does not divide H, sizes
differ by at most one), module i ticking with period T_i
(default exponential, T_i = 2^(i-1): 1, 2, 4, ...). Modules are ordered fastest first and the
recurrent matrix is block upper triangular, so a module hears itself and *slower* modules only:

    W_H = [[W_11, W_12, ..., W_1g],
           [ 0,   W_22, ..., W_2g],
           ...
           [ 0,    0,   ..., W_gg]]

At step t (t = 0, 1, ... from the start of the state) module i updates only if t mod T_i = 0:

    h_t[i] = tanh(W_H[i] h_{t-1} + W_I[i] x_t + b[i])   if t mod T_i = 0
    h_t[i] = h_{t-1}[i]                                   otherwise

The output is h_t (the paper's output layer is the model's read-out). The step counter is part of
the state (field ``clock``), so truncated BPTT and step-by-step generation keep the schedule; it
is kept modulo the least common multiple of the periods, an exact small integer in any float type.
Every row is computed at every step and the inactive ones are discarded, which gives the paper's
numbers; skipping the rows that do not tick, the paper's saving, is not done yet.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import torch

from recur.cells.base import Cell
from recur.errors import RecurError


class ClockworkState(NamedTuple):
    h: torch.Tensor  # [B, H]
    clock: torch.Tensor  # [B, H], steps taken modulo lcm(periods), the same in every column


def exponential_periods(modules: int) -> tuple[int, ...]:
    """1, 2, 4, ..., 2^(modules-1): the paper's default schedule."""
    return tuple(2**i for i in range(modules))


class ClockworkCell(Cell):
    state_type = ClockworkState
    gates = 1
    fused_kind = None

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, modules: int = 4,
                 periods: Sequence[int] | None = None):
        if periods is None:
            if not (isinstance(modules, int) and modules >= 1):
                raise RecurError(f"clockwork modules must be a positive integer, got {modules!r}")
            periods = exponential_periods(modules)
        periods = tuple(periods) if isinstance(periods, (list, tuple)) else (periods,)
        if not periods or any(not isinstance(p, (int, float)) or int(p) != p or p < 1 for p in periods):
            raise RecurError(f"clockwork periods must be positive integers, got {list(periods)}")
        if list(periods) != sorted(periods):
            raise RecurError(f"clockwork periods must be in increasing order (fastest module first), "
                             f"got {list(periods)}")
        if hidden_size < len(periods):
            raise RecurError(f"hidden size {hidden_size} is too small for {len(periods)} clockwork modules")
        self.periods = periods
        super().__init__(input_size, hidden_size, bias)
        module = torch.arange(hidden_size) * len(periods) // hidden_size  # module of each unit, sizes differ by <= 1
        self.register_buffer("period", torch.tensor(periods, dtype=torch.float32)[module], persistent=False)
        # row i (receiver) hears column j (sender) when the sender's module is as slow or slower
        self.register_buffer("connection_mask", (module[None, :] >= module[:, None]).float(), persistent=False)
        self.cycle = math.lcm(*periods)

    def recurrent_weight(self) -> torch.Tensor:
        """W_H with the blocks below the diagonal held at zero."""
        return self.weight_hh * self.connection_mask.to(self.weight_hh.dtype)

    def active(self, clock: torch.Tensor) -> torch.Tensor:
        """[B, H] True where the unit's module ticks at this step (t mod T_i = 0)."""
        return torch.remainder(clock, self.period.to(clock.dtype)) == 0

    def step(self, projected, state, hidden):
        candidate = torch.tanh(projected + hidden(state.h))
        h = torch.where(self.active(state.clock), candidate, state.h)
        return h, ClockworkState(h, torch.remainder(state.clock + 1, self.cycle))

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, periods={self.periods}"
