"""Echo state network: the reservoir is what was asked, fixed, and the ridge read-out fits known series."""

import pytest
import torch

from recur import Recurrent
from recur.cells import build_cell
from recur.cells.esn import spectral_radius
from recur.errors import RecurError


@pytest.mark.parametrize("radius", [0.5, 0.9, 1.2])
def test_spectral_radius_is_the_one_asked_for(radius):
    cell = build_cell("esn", 2, 60, spectral_radius=radius, density=0.2, seed=3)
    assert spectral_radius(cell.weight_hh) == pytest.approx(radius, rel=1e-5)
    per_row = (cell.weight_hh != 0).sum(1)
    assert (per_row == 12).all(), "density 0.2 of 60 units: 12 links into each unit"


def test_reservoir_is_fixed_and_seeded():
    a, b = build_cell("esn", 2, 30, seed=7), build_cell("esn", 2, 30, seed=7)
    assert not any(p.requires_grad for p in a.parameters())
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)
    assert not torch.equal(a.weight_hh, build_cell("esn", 2, 30, seed=8).weight_hh)


def test_leak_follows_the_equation_and_full_leak_is_fused():
    cell = build_cell("esn", 2, 8, leak=0.3).double()
    x, h = torch.randn(3, 2, dtype=torch.float64), torch.randn(3, 8, dtype=torch.float64)
    pre = x @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh
    torch.testing.assert_close(cell(x, cell.state_type(h))[0], 0.7 * h + 0.3 * torch.tanh(pre))
    assert cell.fused_kind is None and build_cell("esn", 2, 8).fused_kind == "rnn_tanh"
    assert Recurrent("esn", 2, 8).chosen_executor() == "fused"


@pytest.mark.parametrize("bad", [dict(leak=0.0), dict(density=1.5), dict(spectral_radius=-1.0)])
def test_bad_reservoir_settings_refused(bad):
    with pytest.raises(RecurError, match="ESN"):
        build_cell("esn", 2, 8, **bad)

