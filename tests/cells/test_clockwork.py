"""Clockwork RNN: the block-triangular mask and the update schedule, worked by hand."""

import pytest
import torch

from recur import Recurrent
from recur.cells import build_cell
from recur.errors import RecurError


def test_default_periods_are_exponential():
    assert build_cell("clockwork", 2, 8).periods == (1, 2, 4, 8)
    assert build_cell("clockwork", 2, 12, modules=3).periods == (1, 2, 4)


def test_recurrent_matrix_is_block_upper_triangular():
    """Modules (1, 2, 4) of two units: a module hears itself and slower modules only."""
    cell = build_cell("clockwork", 1, 6, periods=(1, 2, 4))
    with torch.no_grad():
        cell.weight_hh.fill_(1.0)
    expected = torch.tensor([
        [1, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1, 1],
        [0, 0, 1, 1, 1, 1],
        [0, 0, 1, 1, 1, 1],
        [0, 0, 0, 0, 1, 1],
        [0, 0, 0, 0, 1, 1],
    ], dtype=torch.float32)
    torch.testing.assert_close(cell.recurrent_weight().detach(), expected)


def test_uneven_modules_differ_by_at_most_one_unit():
    cell = build_cell("clockwork", 1, 7, periods=(1, 2, 4))
    assert cell.period.tolist() == [1, 1, 1, 2, 2, 4, 4]


def changed_units(periods, steps):
    layer = Recurrent("clockwork", 1, len(periods), periods=periods).double()
    out, _ = layer(torch.randn(1, steps, 1, dtype=torch.float64))
    previous = torch.cat([torch.zeros(1, 1, len(periods), dtype=torch.float64), out[:, :-1]], dim=1)
    return (out != previous)[0].T.int().tolist()  # [unit][t]


def test_update_schedule_by_hand():
    """t mod T_i = 0 updates module i; the others copy h_{t-1}."""
    assert changed_units((1, 2, 4), 8) == [
        [1, 1, 1, 1, 1, 1, 1, 1],  # T = 1
        [1, 0, 1, 0, 1, 0, 1, 0],  # T = 2
        [1, 0, 0, 0, 1, 0, 0, 0],  # T = 4
    ]


def test_one_step_by_hand():
    """At t = 1 only the fast module updates, from the masked product."""
    cell = build_cell("clockwork", 2, 2, periods=(1, 2)).double()
    x0, x1 = torch.randn(1, 2, dtype=torch.float64), torch.randn(1, 2, dtype=torch.float64)
    h0, state = cell(x0)  # t = 0: everything ticks, from h = 0
    b = cell.bias_ih + cell.bias_hh
    torch.testing.assert_close(h0, torch.tanh(x0 @ cell.weight_ih.T + b))
    h1, state = cell(x1, state)
    W = cell.weight_hh
    fast = torch.tanh(x1 @ cell.weight_ih[0] + h0 @ W[0] + b[0])  # row 0 hears both modules
    torch.testing.assert_close(h1, torch.stack([fast, h0[:, 1]], dim=1))
    assert state.clock.tolist() == [[0.0, 0.0]], "the clock wraps at lcm(1, 2) = 2"


def test_slow_module_never_hears_fast_one():
    layer = Recurrent("clockwork", 1, 2, periods=(1, 2)).double()
    x = torch.randn(1, 6, 1, dtype=torch.float64)
    start = layer.init_state(1, x)
    h0 = torch.zeros(1, 1, 2, dtype=torch.float64, requires_grad=True)
    out, _ = layer(x, type(start)(h0, start.clock))
    (grad,) = torch.autograd.grad(out[0, -1, 1], h0)
    assert grad[0, 0, 0] == 0 and grad[0, 0, 1] != 0


@pytest.mark.parametrize("periods", [(2, 1), (0, 1), (1.5,), ()])
def test_bad_periods_refused(periods):
    with pytest.raises(RecurError, match="periods"):
        build_cell("clockwork", 1, 4, periods=periods)
