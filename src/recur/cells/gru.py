"""Gated recurrent unit, PyTorch / cuDNN form (Cho et al. 2014, as in seed 001).

Seed 001 writes it with the reset gate applied *after* the recurrent matrix product:

    r_t = σ(W^(r) x_t + U^(r) h_{t-1})
    z_t = σ(W^(z) x_t + U^(z) h_{t-1})
    h_t = z_t ⊙ h_{t-1} + (1 − z_t) ⊙ tanh(W x_t + r_t ⊙ U h_{t-1})

With biases this is exactly ``torch.nn.GRU``: rows of ``weight_ih [3H, D]`` / ``weight_hh [3H, H]``
in order r, z, n, and the candidate ``n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))``.
For the lectures' other form, with r applied before the product, see ``gru_seed``.
"""

from __future__ import annotations

import torch

from recur.cells.base import Cell
from recur.cells.elman import ElmanState


class GRUCell(Cell):
    state_type = ElmanState
    gates = 3
    gate_names = ("r", "z", "n")
    fused_kind = "gru"

    def step(self, projected, state, hidden):
        h_prev = state.h
        x_r, x_z, x_n = projected.chunk(3, dim=-1)
        h_r, h_z, h_n = hidden(h_prev).chunk(3, dim=-1)
        r = torch.sigmoid(x_r + h_r)
        z = torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * h_n)
        h = (1 - z) * n + z * h_prev
        return h, ElmanState(h)
