"""LayerNorm-LSTM (Ba et al. 2016, eq. 20-22) against the equations, and LN's rescaling invariance."""

import torch
from torch.nn import functional as F

from recur import Recurrent
from recur.cells import build_cell

D, H, B = 3, 4, 2


def layer_norm(z, norm):
    return F.layer_norm(z, z.shape[-1:], norm.weight, norm.bias)


def test_step_follows_the_equations():
    cell = build_cell("layernorm-lstm", D, H).double()
    with torch.no_grad():
        for norm in (cell.norm_input, cell.norm_hidden, cell.norm_cell):
            norm.weight.normal_()
            norm.bias.normal_()
    x, h, c = (torch.randn(B, n, dtype=torch.float64) for n in (D, H, H))
    pre = layer_norm(h @ cell.weight_hh.T, cell.norm_hidden) + layer_norm(x @ cell.weight_ih.T, cell.norm_input)
    i, f, g, o = (pre + cell.bias_ih).chunk(4, dim=1)
    c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h_new = torch.sigmoid(o) * torch.tanh(layer_norm(c_new, cell.norm_cell))
    out, state = cell(x, cell.state_type(h, c))
    torch.testing.assert_close(out, h_new)
    torch.testing.assert_close(state.c, c_new)
    assert cell.bias_hh is None, "a bias inside LN(W_h h) would be normalised away"


def test_invariant_to_rescaling_the_weights():
    """LN's point: multiplying W_x or W_h by a constant leaves the network's function unchanged."""
    layer = Recurrent("layernorm-lstm", D, H, layers=2).double()
    for norm in (m for m in layer.modules() if isinstance(m, torch.nn.LayerNorm)):
        norm.eps = 1e-12  # the ε guarding σ = 0 is the only thing that sees the scale
    x = torch.randn(B, 6, D, dtype=torch.float64)
    before, _ = layer(x)
    with torch.no_grad():
        for cell in layer.cells:
            cell.weight_ih.mul_(7.0)
            cell.weight_hh.mul_(0.3)
    after, _ = layer(x)
    torch.testing.assert_close(after, before)
