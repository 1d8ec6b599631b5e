"""The glass box against recur's own cells run by the loop executor (not PyTorch's layers)."""

import numpy as np
import pytest
import torch

from recur import Recurrent
from recur.reference import elman_bptt, gru_bptt, lstm_bptt

BPTT = {"elman": elman_bptt, "lstm": lstm_bptt, "gru": gru_bptt}
T, D, H, O = 6, 4, 5, 3


@pytest.mark.parametrize("cell", list(BPTT))
def test_hand_written_bptt_equals_autograd_through_recur_cells(cell):
    layer = Recurrent(cell, D, H, executor="loop").double()
    readout = torch.nn.Linear(H, O).double()
    xs = torch.randn(1, T, D, dtype=torch.float64)
    targets = torch.randint(0, O, (T,))
    out, _ = layer(xs)
    loss = torch.nn.functional.cross_entropy(readout(out[0]), targets, reduction="sum")
    loss.backward()

    cell_params = {k: v.detach().numpy() for k, v in layer.cells[0].named_parameters()}
    params = {**cell_params, "V": readout.weight.detach().numpy(), "a": readout.bias.detach().numpy()}
    ref_loss, grads = BPTT[cell](params, xs[0].numpy(), targets.numpy())
    assert ref_loss == pytest.approx(loss.item(), rel=1e-12)
    for name, p in layer.cells[0].named_parameters():
        np.testing.assert_allclose(grads[name], p.grad.numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(grads["V"], readout.weight.grad.numpy(), rtol=1e-9, atol=1e-11)
