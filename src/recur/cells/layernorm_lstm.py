"""LSTM with layer normalisation (Ba, Kiros & Hinton 2016, "Layer Normalization", §3.1 and eq. 20-22).

The summed inputs from x and from h are normalised separately, and so is the memory cell before
the output squashing:

    (i, f, g, o) = LN(W_h h_{t-1}; α_1, β_1) + LN(W_x x_t; α_2, β_2) + b
    c_t = σ(f) ⊙ c_{t-1} + σ(i) ⊙ tanh(g)
    h_t = σ(o) ⊙ tanh(LN(c_t; α_3, β_3))

    LN(z; α, β) = α ⊙ (z − μ) / σ + β,   μ, σ: mean and standard deviation over z's units

Each LN normalises the whole 4H gate vector, as in the paper. ``W_x = weight_ih``,
``W_h = weight_hh`` (no bias of its own: a bias inside LN would be normalised away), ``b = bias_ih``;
rows in LSTM order i, f, g, o. ``LN(W_x x)`` needs no state, so it is hoisted out of the time loop
with the input projection. No fused kernel exists; it runs on the scan executor.
"""

from __future__ import annotations

import torch
from torch import nn

from recur.cells.base import Cell
from recur.cells.lstm import LSTMState


class LayerNormLSTMCell(Cell):
    state_type = LSTMState
    gates = 4
    gate_names = ("i", "f", "g", "o")
    fused_kind = None

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__(input_size, hidden_size, bias)
        self.bias_hh = None
        self.norm_input = nn.LayerNorm(4 * hidden_size)  # α_2, β_2
        self.norm_hidden = nn.LayerNorm(4 * hidden_size)  # α_1, β_1
        self.norm_cell = nn.LayerNorm(hidden_size)  # α_3, β_3

    def project_input(self, x):
        """LN(W_x x_t) + b for every step at once."""
        projected = self.norm_input(nn.functional.linear(x, self.weight_ih))
        return projected if self.bias_ih is None else projected + self.bias_ih

    def step(self, projected, state, hidden):
        pre = projected + self.norm_hidden(hidden(state.h))
        i, f, g, o = pre.chunk(4, dim=-1)
        c = torch.sigmoid(f) * state.c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(self.norm_cell(c))
        return h, LSTMState(h, c)
