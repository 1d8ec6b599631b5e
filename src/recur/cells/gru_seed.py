"""Gated recurrent unit in the lectures' form (seeds 002 and 003; Cho et al. 2014, eq. 5-8).

    z_t = σ(W_z · [h_{t-1}, x_t])
    r_t = σ(W_r · [h_{t-1}, x_t])
    h~_t = tanh(W · [r_t * h_{t-1}, x_t])
    h_t = (1 − z_t) * h_{t-1} + z_t * h~_t

The reset gate multiplies h_{t-1} *before* the matrix product, which no fused kernel (cuDNN,
PyTorch) implements; it runs on recur's scan executor. Each ``W_· [h, x]`` is split into a
recurrent part ``weight_hh`` and an input part ``weight_ih`` (rows z, r, h~), plus biases.
Note the update gate weighs the *new* candidate here, the opposite convention to ``gru``.
"""

from __future__ import annotations

import torch

from recur.cells.base import Cell
from recur.cells.elman import ElmanState


class SeedGRUCell(Cell):
    state_type = ElmanState
    gates = 3
    gate_names = ("z", "r", "h~")
    fused_kind = None

    def step(self, projected, state, hidden):
        h_prev = state.h
        H = self.hidden_size
        x_z, x_r, x_n = projected.chunk(3, dim=-1)
        # z and r see h_{t-1} directly: one matmul for both gate blocks.
        h_z, h_r = hidden(h_prev, slice(0, 2 * H)).chunk(2, dim=-1)
        z = torch.sigmoid(x_z + h_z)
        r = torch.sigmoid(x_r + h_r)
        # the candidate sees r * h_{t-1}: the reset happens before the product.
        h_n = hidden(r * h_prev, slice(2 * H, 3 * H))
        h = (1 - z) * h_prev + z * torch.tanh(x_n + h_n)
        return h, ElmanState(h)
