"""Depth-gated LSTM (Yao, Cohn, Vylomova, Duh & Dyer 2015, "Depth-Gated LSTM", arXiv:1508.03790),
named in seed 000.

A stack of peephole LSTMs (Graves 2013, the form the paper builds on) in which a *depth gate* d
lets the memory cell of the layer below, c_t^L, flow linearly into this layer's cell c_t^{L+1}.
For layer L+1, with input x_t = h_t^L (the layer below's output) and ⊙ elementwise:

    i_t = σ(W_xi x_t + W_hi h_{t-1} + w_ci ⊙ c_{t-1} + b_i)            input gate
    f_t = σ(W_xf x_t + W_hf h_{t-1} + w_cf ⊙ c_{t-1} + b_f)            forget gate
    d_t = σ(W_xd x_t + w_cd ⊙ c_{t-1} + w_ld ⊙ c_t^L + b_d)            depth gate
    c_t = d_t ⊙ c_t^L + f_t ⊙ c_{t-1} + i_t ⊙ tanh(W_xc x_t + W_hc h_{t-1} + b_c)
    o_t = σ(W_xo x_t + W_ho h_{t-1} + w_co ⊙ c_t + b_o)                output gate (peeps at c_t)
    h_t = o_t ⊙ tanh(c_t)

As the paper's abstract puts it, the depth gate is "a function of the lower layer memory cell,
the input to and the past memory cell of this layer"; it has no h_{t-1} term. The bottom layer
has no layer below, so it has no depth gate (c^0 = 0 would close it anyway): a peephole LSTM.

Layout: ``weight_hh [4H, H]`` rows i, f, g, o (g = the tanh candidate); ``weight_ih`` the same
four blocks plus d (``[5H, D]``) for linked layers; peepholes ``w_c* [H]`` are vectors. Because
c_t^L is known before this layer runs, ``w_ld ⊙ c_t^L`` is hoisted with the input projection,
and c_t^L rides along in the projected tensor. Each layer's step output is ``[h_t, c_t]`` so the
layer above can read both; ``Recurrent`` shows the user only h_t.
"""

from __future__ import annotations

import torch
from torch import nn

from recur.cells.base import Cell
from recur.cells.lstm import LSTMState


class DepthGatedLSTMCell(Cell):
    state_type = LSTMState
    gates = 4
    gate_names = ("i", "f", "g", "o")
    fused_kind = None
    takes_lower_memory = True

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, lower_memory: bool = False):
        self.lower_memory = lower_memory
        self.input_gates = 5 if lower_memory else 4
        super().__init__(input_size, hidden_size, bias)
        H = hidden_size
        self.peephole = nn.Parameter(torch.zeros(3, H))  # w_ci, w_cf, w_co
        if lower_memory:
            self.depth_peephole = nn.Parameter(torch.zeros(2, H))  # w_cd (own c_{t-1}), w_ld (c_t^L)

    def visible(self, output):
        return output[..., : self.hidden_size]

    def pass_up(self, output, dropout, training):
        """Dropout between layers touches h only; the memory cell passes up intact."""
        h, c = output.split(self.hidden_size, dim=-1)
        return torch.cat([super().pass_up(h, dropout, training), c], dim=-1)

    def project_input(self, x):
        """``[..., D (+H)] -> [..., 4H]`` (bottom) or ``[..., 6H]``: W_x x + b, then w_ld ⊙ c^L added
        to the d block, then c^L itself for the step."""
        if not self.lower_memory:
            return nn.functional.linear(x, self.weight_ih, self.bias_ih)
        x, lower = x[..., : self.input_size], x[..., self.input_size :]
        i, f, g, o, d = nn.functional.linear(x, self.weight_ih, self.bias_ih).chunk(5, dim=-1)
        return torch.cat([i, f, g, o, d + self.depth_peephole[1] * lower, lower], dim=-1)

    def step(self, projected, state, hidden):
        H = self.hidden_size
        w_ci, w_cf, w_co = self.peephole
        x_i, x_f, x_g, x_o = projected[..., : 4 * H].chunk(4, dim=-1)
        h_i, h_f, h_g, h_o = hidden(state.h).chunk(4, dim=-1)
        i = torch.sigmoid(x_i + h_i + w_ci * state.c)
        f = torch.sigmoid(x_f + h_f + w_cf * state.c)
        c = f * state.c + i * torch.tanh(x_g + h_g)
        if self.lower_memory:
            x_d, lower = projected[..., 4 * H :].chunk(2, dim=-1)
            d = torch.sigmoid(x_d + self.depth_peephole[0] * state.c)
            c = c + d * lower
        o = torch.sigmoid(x_o + h_o + w_co * c)
        h = o * torch.tanh(c)
        return torch.cat([h, c], dim=-1), LSTMState(h, c)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, lower_memory={self.lower_memory}"
