"""Long short-term memory with a forget gate (Hochreiter & Schmidhuber 1997; Gers et al. 2000).

Seed 003 writes it as

    i_t  = σ(b^(i) + U^(i) x_t + W^(i) m_{t-1})        input gate
    f_t  = σ(b^(f) + U^(f) x_t + W^(f) m_{t-1})        forget gate
    o_t  = σ(b^(o) + U^(o) x_t + W^(o) m_{t-1})        output gate
    c~_t = tanh(b^(g) + U^(g) x_t + W^(g) m_{t-1})     candidate memory
    c_t  = f_t ⊙ c_{t-1} + i_t ⊙ c~_t
    m_t  = tanh(c_t) ⊙ o_t                              output (the "hidden state" h_t)

The four U's are stacked in ``weight_ih [4H, D]`` and the four W's in ``weight_hh [4H, H]`` in
PyTorch's row order i, f, g, o (g = c~), so the parameters are exactly ``torch.nn.LSTM``'s.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from recur.cells.base import Cell


class LSTMState(NamedTuple):
    h: torch.Tensor  # m_t, [B, H]
    c: torch.Tensor  # memory cell c_t, [B, H]


class LSTMCell(Cell):
    state_type = LSTMState
    gates = 4
    gate_names = ("i", "f", "g", "o")
    fused_kind = "lstm"

    def step(self, projected, state, hidden):
        pre = projected + hidden(state.h)
        i, f, g, o = pre.chunk(4, dim=-1)
        c = torch.sigmoid(f) * state.c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.tanh(c) * torch.sigmoid(o)
        return h, LSTMState(h, c)
