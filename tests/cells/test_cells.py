"""Every cell against its equations, PyTorch's own cell where one exists, and finite differences."""

import pytest
import torch
from torch import nn

from recur.cells import CELLS, build_cell
from recur.errors import RecurError

D, H, B = 4, 5, 3


def copy_into(torch_cell, cell):
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(torch_cell, name).copy_(getattr(cell, name))


@pytest.mark.parametrize("name, torch_cell", [
    ("lstm", lambda: nn.LSTMCell(D, H)),
    ("gru", lambda: nn.GRUCell(D, H)),
    ("elman", lambda: nn.RNNCell(D, H, nonlinearity="tanh")),
    ("elman-relu", lambda: nn.RNNCell(D, H, nonlinearity="relu")),
])
def test_matches_pytorch_cell(name, torch_cell):
    cell, ref = build_cell(name, D, H).double(), torch_cell().double()
    copy_into(ref, cell)
    x = torch.randn(B, D, dtype=torch.float64)
    state = cell.init_state(B, x)
    state = type(state)(*[torch.randn_like(s) for s in state])
    h, new = cell(x, state)
    expected = ref(x, tuple(state) if len(state) > 1 else state.h)
    expected = expected if isinstance(expected, tuple) else (expected,)
    torch.testing.assert_close(h, expected[0], rtol=0, atol=1e-12)
    for got, want in zip(new, expected):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-12)


def split_rows(w, parts):
    return w.chunk(parts, dim=0)


def test_lstm_follows_seed_003_gate_by_gate():
    """i, f, o, c~ computed separately as seed 003 writes them (PyTorch row order i, f, g, o)."""
    cell = build_cell("lstm", D, H).double()
    x, m, c = (torch.randn(B, n, dtype=torch.float64) for n in (D, H, H))
    U, W = split_rows(cell.weight_ih, 4), split_rows(cell.weight_hh, 4)
    b = [bi + bh for bi, bh in zip(split_rows(cell.bias_ih, 4), split_rows(cell.bias_hh, 4))]
    gate = {k: b[j] + x @ U[j].T + m @ W[j].T for j, k in enumerate("ifgo")}
    i, f, o = (torch.sigmoid(gate[k]) for k in "ifo")
    c_tilde = torch.tanh(gate["g"])
    c_new = f * c + i * c_tilde
    m_new = torch.tanh(c_new) * o
    h, state = cell(x, cell.state_type(m, c))
    torch.testing.assert_close(h, m_new, rtol=0, atol=1e-12)
    torch.testing.assert_close(state.c, c_new, rtol=0, atol=1e-12)


def test_seed_gru_follows_seeds_002_003():
    """z = σ(W_z·[h, x]), r = σ(W_r·[h, x]), h~ = tanh(W·[r*h, x]), h = (1-z)*h + z*h~."""
    cell = build_cell("gru-seed", D, H).double()
    x, h = torch.randn(B, D, dtype=torch.float64), torch.randn(B, H, dtype=torch.float64)
    # the seeds' W_· acting on the concatenation [h, x]: columns H of weight_hh, then D of weight_ih
    W_z, W_r, W = (torch.cat([wh, wx], dim=1) for wh, wx in zip(split_rows(cell.weight_hh, 3), split_rows(cell.weight_ih, 3)))
    b_z, b_r, b = (bi + bh for bi, bh in zip(split_rows(cell.bias_ih, 3), split_rows(cell.bias_hh, 3)))
    z = torch.sigmoid(torch.cat([h, x], 1) @ W_z.T + b_z)
    r = torch.sigmoid(torch.cat([h, x], 1) @ W_r.T + b_r)
    h_tilde = torch.tanh(torch.cat([r * h, x], 1) @ W.T + b)
    expected = (1 - z) * h + z * h_tilde
    got, _ = cell(x, cell.state_type(h))
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-12)


def test_seed_gru_differs_from_pytorch_form():
    """The reset gate before the product is a different function, not a relabelling."""
    seed, torch_form = build_cell("gru-seed", D, H).double(), build_cell("gru", D, H).double()
    torch_form.load_state_dict(seed.state_dict())
    x, h = torch.randn(B, D, dtype=torch.float64), torch.randn(B, H, dtype=torch.float64)
    assert not torch.allclose(seed(x, seed.state_type(h))[0], torch_form(x, torch_form.state_type(h))[0])


@pytest.mark.parametrize("name", list(CELLS))
def test_gradients_match_finite_differences(name):
    cell = build_cell(name, 3, 4).double()
    x = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    state = cell.init_state(2, x)
    state = type(state)(*[torch.randn_like(s).requires_grad_() for s in state])
    params = list(cell.parameters())

    def f(x, *tensors):
        st = type(state)(*tensors[: len(state)])
        return cell(x, st)[0]

    assert torch.autograd.gradcheck(f, (x, *state), eps=1e-6, atol=1e-7)
    # parameters too: perturb each weight through a functional call
    def g(*ps):
        return torch.func.functional_call(cell, dict(zip([n for n, _ in cell.named_parameters()], ps)), (x.detach(), state))[0]
    assert torch.autograd.gradcheck(g, tuple(p.detach().requires_grad_() for p in params), eps=1e-6, atol=1e-7)


def test_irnn_starts_from_identity_and_relu():
    cell = build_cell("irnn", 3, 6)
    torch.testing.assert_close(cell.weight_hh.detach(), torch.eye(6))
    assert cell.nonlinearity == "relu" and cell.fused_kind == "rnn_relu"
    assert not cell.bias_ih.any() and not cell.bias_hh.any()
    # with zero input, identity recurrence keeps a non-negative state unchanged
    h = torch.rand(2, 6)
    torch.testing.assert_close(cell.step(torch.zeros(2, 6), cell.state_type(h), cell.hidden_projection())[0], h)


def test_registry_refuses_unknown_names_listing_valid_ones():
    with pytest.raises(RecurError, match="unknown cell 'lstmm'.*lstm, gru"):
        build_cell("lstmm", 3, 4)


@pytest.mark.parametrize("size", [0, -3])
def test_bad_sizes_refused(size):
    with pytest.raises(RecurError, match="must be positive"):
        build_cell("lstm", 3, size)
