"""Depth-gated LSTM: the paper's equations step by step, and the memory link between layers."""

import pytest
import torch
from torch import nn

from recur import Recurrent
from recur.cells import build_cell
from recur.errors import RecurError

D, H, B = 3, 4, 2


def rand(*shape):
    return torch.randn(*shape, dtype=torch.float64)


def test_bottom_layer_without_peepholes_is_pytorchs_lstm():
    cell = build_cell("depth-gated", D, H).double()
    ref = nn.LSTMCell(D, H).double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(ref, name).copy_(getattr(cell, name))
    x, h, c = rand(B, D), rand(B, H), rand(B, H)
    out, state = cell(x, cell.state_type(h, c))
    want_h, want_c = ref(x, (h, c))
    torch.testing.assert_close(out, torch.cat([want_h, want_c], 1))
    torch.testing.assert_close(state.c, want_c)


def test_linked_layer_follows_the_equations():
    cell = build_cell("depth-gated", H, H, lower_memory=True).double()
    with torch.no_grad():
        cell.peephole.normal_()
        cell.depth_peephole.normal_()
    x, lower, h, c = rand(B, H), rand(B, H), rand(B, H), rand(B, H)
    Wx = dict(zip("ifgod", cell.weight_ih.chunk(5)))
    bx = dict(zip("ifgod", cell.bias_ih.chunk(5)))
    Wh = dict(zip("ifgo", cell.weight_hh.chunk(4)))
    bh = dict(zip("ifgo", cell.bias_hh.chunk(4)))
    w_ci, w_cf, w_co = cell.peephole
    w_cd, w_ld = cell.depth_peephole

    def gate(k):
        return x @ Wx[k].T + bx[k] + h @ Wh[k].T + bh[k]

    i = torch.sigmoid(gate("i") + w_ci * c)
    f = torch.sigmoid(gate("f") + w_cf * c)
    d = torch.sigmoid(x @ Wx["d"].T + bx["d"] + w_cd * c + w_ld * lower)  # no h_{t-1} term
    c_new = d * lower + f * c + i * torch.tanh(gate("g"))
    o = torch.sigmoid(gate("o") + w_co * c_new)
    h_new = o * torch.tanh(c_new)
    out, state = cell(torch.cat([x, lower], 1), cell.state_type(h, c))
    torch.testing.assert_close(out, torch.cat([h_new, c_new], 1))
    torch.testing.assert_close(state.h, h_new)


def test_open_depth_gate_carries_the_lower_memory_up():
    """With the depth gate open and the input and forget gates shut, c^2_t = c^1_t."""
    layer = Recurrent("depth-gated", D, H, layers=2).double()
    upper = layer.cells[1]
    with torch.no_grad():
        i, f, g, o, d = upper.bias_ih.chunk(5)
        i.fill_(-50), f.fill_(-50), d.fill_(50)
    x = rand(B, 5, D)
    _, state = layer(x)
    torch.testing.assert_close(state.c[1], state.c[0])


def test_user_sees_hidden_state_only():
    layer = Recurrent("depth-gated", D, H, layers=3, dropout=0.5)
    out, state = layer(torch.randn(B, 6, D))
    assert out.shape == (B, 6, H) and state.c.shape == (3, B, H)
    torch.testing.assert_close(out[:, -1], state.h[-1])


def test_bidirectional_refused():
    with pytest.raises(RecurError, match="one direction only"):
        Recurrent("depth-gated", D, H, layers=2, bidirectional=True)
