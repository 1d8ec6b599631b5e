"""Elman (vanilla) RNN and IRNN.

Seed 002 / seed 003 write the vanilla recurrence as

    h_t = tanh(W_hh h_{t-1} + W_xh x_t)                 (seed 002)
    c_t = tanh(b + U x_t + W c_{t-1})                    (seed 003)

Here ``U = weight_ih [H, D]``, ``W = weight_hh [H, H]``, ``b = bias_ih + bias_hh`` (two biases so
the parameters match ``torch.nn.RNN`` one for one), and the nonlinearity is tanh or ReLU.

IRNN (Le, Jaitly & Hinton 2015, "A Simple Way to Initialize Recurrent Networks of Rectified
Linear Units"): ReLU nonlinearity, ``W`` initialised to the identity (scaled), biases to zero,
``U`` small Gaussian (std 0.001). Seed 001's practical advice: "Initialize parameters with
identity matrices ... Use ReLU to combat instability".
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from recur.cells.base import Cell
from recur.errors import RecurError

ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu}


class ElmanState(NamedTuple):
    h: torch.Tensor  # [B, H]


class ElmanCell(Cell):
    """h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), output h_t."""

    state_type = ElmanState
    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh"):
        if nonlinearity not in ACTIVATIONS:
            raise RecurError(f"unknown nonlinearity {nonlinearity!r}; choose one of {sorted(ACTIVATIONS)}")
        self.nonlinearity = nonlinearity
        self.fused_kind = f"rnn_{nonlinearity}"
        super().__init__(input_size, hidden_size, bias)

    def step(self, projected, state, hidden):
        h = ACTIVATIONS[self.nonlinearity](projected + hidden(state.h))
        return h, ElmanState(h)


class IRNNCell(ElmanCell):
    """Elman with ReLU and the identity-initialised recurrent matrix of Le et al. (2015)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, identity_scale: float = 1.0):
        self.identity_scale = identity_scale
        super().__init__(input_size, hidden_size, bias, nonlinearity="relu")

    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.weight_hh.copy_(self.identity_scale * torch.eye(self.hidden_size))
            nn.init.normal_(self.weight_ih, std=0.001)
            for b in (self.bias_ih, self.bias_hh):
                if b is not None:
                    b.zero_()
