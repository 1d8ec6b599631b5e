"""The Recurrent layer: every executor agrees with the loop; lengths, directions and carried state."""

import pytest
import torch

from recur import Recurrent
from recur.cells import CELLS
from recur.errors import RecurError

FUSED = ["lstm", "gru", "elman", "elman-relu", "irnn"]
ONE_WAY = {"depth-gated"}  # links each layer's memory cell to the layer below
B, T, D, H = 3, 7, 4, 5


def both_executors(cell, executor="fused", **options):
    fast = Recurrent(cell, D, H, executor=executor, **options).double()
    loop = Recurrent(cell, D, H, executor="loop", **options).double()
    loop.load_state_dict(fast.state_dict())
    return fast, loop


def outputs_and_grads(layer, x, lengths, state=None):
    x = x.clone().requires_grad_()
    out, final = layer(x, state, lengths)
    # a loss touching every output and every final state field
    loss = (out ** 2).sum() + sum((s * torch.linspace(0.5, 1.5, s.shape[-1], dtype=s.dtype)).sum() for s in final)
    grads = torch.autograd.grad(loss, [x, *(p for p in layer.parameters() if p.requires_grad)])
    return out, final, grads


EXECUTOR_CELLS = [("fused", cell) for cell in FUSED] + [("scan", cell) for cell in sorted(CELLS)]


@pytest.mark.parametrize("executor, cell", EXECUTOR_CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("padded", [False, True])
def test_every_executor_matches_the_loop(executor, cell, bidirectional, padded):
    """Outputs, final states and the gradients of input and every parameter, in float64."""
    if bidirectional and cell in ONE_WAY:
        pytest.skip(f"{cell} runs one direction only")
    fast, loop = both_executors(cell, executor, layers=2, bidirectional=bidirectional)
    x = torch.randn(B, T, D, dtype=torch.float64)
    lengths = torch.tensor([T, 3, 5]) if padded else None
    a, b = outputs_and_grads(fast, x, lengths), outputs_and_grads(loop, x, lengths)
    torch.testing.assert_close(a[0], b[0], rtol=1e-10, atol=1e-12)
    for s, t in zip(a[1], b[1]):
        torch.testing.assert_close(s, t, rtol=1e-10, atol=1e-12)
    for g, h in zip(a[2], b[2]):
        torch.testing.assert_close(g, h, rtol=1e-9, atol=1e-11)


def test_scan_gradient_passes_finite_differences():
    layer = Recurrent("gru-seed", 2, 3, layers=2, executor="scan").double()
    x = torch.randn(2, 4, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: layer(x)[0], (x,))


def test_auto_picks_the_measured_fastest_executor():
    assert Recurrent("lstm", D, H).chosen_executor() == "fused"
    assert Recurrent("gru-seed", D, H).chosen_executor() == "scan"
    gru = Recurrent("gru", D, H)
    assert gru.chosen_executor() == "scan", "on a CPU the deferred weight gradient beats torch.gru in training"
    with torch.no_grad():
        assert gru.chosen_executor() == "fused", "no weight gradient to defer: the kernel's forward is faster"
    dropping = Recurrent("lstm", D, H, recurrent_dropout=0.3)
    assert dropping.chosen_executor(training=True) == "scan", "the fused kernel cannot mask h_{t-1}"
    assert dropping.chosen_executor(training=False) == "fused"
    with pytest.raises(RecurError, match="no fused kernel"):
        Recurrent("gru-seed", D, H, executor="fused")
    with pytest.raises(RecurError, match="recurrent dropout"):
        Recurrent("lstm", D, H, executor="fused", recurrent_dropout=0.2)
    with pytest.raises(RecurError, match="unknown executor 'jit'"):
        Recurrent("lstm", D, H, executor="jit")


@pytest.mark.parametrize("cell, executor", [("lstm", "fused"), ("lstm", "loop"), ("gru-seed", "loop"),
                                            ("gru-seed", "scan")])
def test_padding_matches_running_each_sequence_alone(cell, executor):
    layer = Recurrent(cell, D, H, layers=2, bidirectional=True, executor=executor).double().eval()
    x = torch.randn(B, T, D, dtype=torch.float64)
    lengths = torch.tensor([T, 2, 5])
    out, final = layer(x, lengths=lengths)
    for b, n in enumerate(lengths.tolist()):
        alone, alone_final = layer(x[b : b + 1, :n])
        torch.testing.assert_close(out[b, :n], alone[0], rtol=1e-10, atol=1e-12)
        assert not out[b, n:].any(), "outputs past a sequence's end are masked to zero"
        for field, alone_field in zip(final, alone_final):
            torch.testing.assert_close(field[:, b], alone_field[:, 0], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_carried_state_splits_a_sequence_exactly(cell):
    """Truncated BPTT's premise: two halves with the state carried equal one whole pass."""
    layer = Recurrent(cell, D, H, layers=2).double()
    x = torch.randn(B, T, D, dtype=torch.float64)
    whole, whole_final = layer(x)
    first, state = layer(x[:, :3])
    second, final = layer(x[:, 3:], state)
    torch.testing.assert_close(torch.cat([first, second], 1), whole, rtol=1e-12, atol=1e-12)
    for a, b in zip(final, whole_final):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_dropout_between_layers_only_in_training():
    layer = Recurrent("lstm", D, H, layers=2, dropout=0.5).double()
    x = torch.randn(B, T, D, dtype=torch.float64)
    layer.eval()
    torch.testing.assert_close(layer(x)[0], layer(x)[0])
    layer.train()
    assert not torch.allclose(layer(x)[0], layer(x)[0])


def test_output_and_state_shapes():
    layer = Recurrent("lstm", D, H, layers=3, bidirectional=True)
    out, state = layer(torch.randn(B, T, D))
    assert out.shape == (B, T, 2 * H) and layer.output_size == 2 * H
    assert state.h.shape == state.c.shape == (6, B, H)


@pytest.mark.parametrize("bad, message", [
    (dict(layers=0), "number of layers must be positive"),
    (dict(dropout=1.0), "dropout must be in"),
    (dict(executor="warp"), "unknown executor"),
])
def test_bad_settings_refused(bad, message):
    with pytest.raises(RecurError, match=message):
        Recurrent("lstm", D, H, **bad)


def test_bad_lengths_refused():
    layer = Recurrent("lstm", D, H)
    with pytest.raises(ValueError, match="lengths"):
        layer(torch.randn(B, T, D), lengths=torch.tensor([T + 1, 1, 1]))


def test_recurrent_dropout_keeps_one_mask_per_sequence():
    """Gal & Ghahramani: the same units are dropped at every step of a sequence."""
    torch.manual_seed(0)
    layer = Recurrent("elman", 16, 16, recurrent_dropout=0.5, executor="loop").double()
    with torch.no_grad():
        layer.cells[0].weight_ih.zero_()
        layer.cells[0].weight_hh.copy_(torch.eye(16))
        layer.cells[0].bias_ih.zero_()
        layer.cells[0].bias_hh.zero_()
    start = layer.state_type(torch.ones(1, 2, 16, dtype=torch.float64))
    out, _ = layer(torch.randn(2, 6, 16, dtype=torch.float64), start)  # h_t = tanh(h_{t-1} ⊙ m)
    dropped = out == 0
    assert dropped[:, 0].any() and (~dropped[:, 0]).any()
    assert torch.equal(dropped[:, 0], dropped[:, -1]), "a per-step mask would drop more units as t grows"
    layer.eval()
    assert not (layer(torch.randn(2, 6, 16, dtype=torch.float64), start)[0] == 0).any()


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_recurrent_dropout_same_in_scan_and_loop(cell):
    scan, loop = both_executors(cell, "scan", layers=2, recurrent_dropout=0.3)
    x = torch.randn(B, T, D, dtype=torch.float64)
    torch.manual_seed(1)
    a = outputs_and_grads(scan, x, None)
    torch.manual_seed(1)
    b = outputs_and_grads(loop, x, None)
    torch.testing.assert_close(a[0], b[0])
    for g, h in zip(a[2], b[2]):
        torch.testing.assert_close(g, h)
