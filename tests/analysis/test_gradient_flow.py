"""Gradient flow through time: seed 003's Jacobian product, row independence, the spectral radius
rescaling, and what clipping does and does not change."""

import pytest
import torch
from torch.nn import functional as F

from recur.analysis.gradient_flow import gradient_flow, spectral_radius, text_windows, with_spectral_radius
from recur.errors import RecurError
from recur.models.language_model import LanguageModel, LanguageModelConfig


def elman_lm(hidden=12, layers=1):
    return LanguageModel(LanguageModelConfig(vocab_size=9, cell="elman", hidden=hidden, layers=layers,
                                             embedding=5)).double()


def test_the_norms_follow_seed_003s_jacobian_product():
    """δ_T = ∂L_T/∂c_T from the read-out, then δ_{k-1} = Wᵀ diag(1 − c_k²) δ_k (c_k = tanh(...))."""
    model = elman_lm()
    window = torch.randint(0, 9, (1, 21))
    flow = gradient_flow(model, window)
    cell = model.rnn.cells[0]
    h, hs = torch.zeros(1, 12, dtype=torch.float64), []
    for t in range(20):
        h = torch.tanh(F.linear(model.embed(window[:, t]), cell.weight_ih, cell.bias_ih)
                       + F.linear(h, cell.weight_hh, cell.bias_hh))
        hs.append(h.detach())
    last = hs[-1].clone().requires_grad_()
    (delta,) = torch.autograd.grad(F.cross_entropy(model.head(last), window[:, -1]), last)
    expected = [0.0] * 20
    for k in range(19, -1, -1):
        expected[k] = float(delta.detach().norm())
        delta = (delta * (1 - hs[k] ** 2)) @ cell.weight_hh  # Wᵀ diag(1 − c_k²) δ_k, as a row vector
    assert flow.norms["h"][0] == pytest.approx(expected, rel=1e-9)
    assert flow.relative()[-1] == 1.0 and flow.span == 20 and flow.windows == 1


def test_each_window_is_its_own_and_every_layer_and_field_is_measured():
    model = LanguageModel(LanguageModelConfig(vocab_size=9, cell="lstm", hidden=8, layers=2, embedding=4)).double()
    windows = torch.randint(0, 9, (3, 16))
    together = gradient_flow(model, windows)
    alone = [gradient_flow(model, w[None]) for w in windows]
    assert set(together.norms) == {"h", "c"} and len(together.norms["h"]) == 2
    for field in ("h", "c"):
        for layer in range(2):
            mean = [sum(a.norms[field][layer][k] for a in alone) / 3 for k in range(15)]
            assert together.norms[field][layer] == pytest.approx(mean, rel=1e-9)


def test_spectral_radius_rescaling_makes_gradients_vanish_or_explode():
    torch.manual_seed(3)
    model = elman_lm(hidden=32)
    windows = torch.randint(0, 9, (4, 61))
    flows = {}
    for radius in (0.5, 1.5):
        scaled = with_spectral_radius(model, radius)
        assert spectral_radius(scaled.rnn.cells[0].weight_hh) == pytest.approx(radius, rel=1e-9)
        flows[radius] = gradient_flow(scaled, windows, clip=1.0)
    assert spectral_radius(model.rnn.cells[0].weight_hh) != pytest.approx(0.5)  # the original is untouched
    assert flows[0.5].relative()[0] < 1e-8  # 60 steps back, almost nothing survives
    assert flows[1.5].norms["h"][0][0] > 1e6 * flows[0.5].norms["h"][0][0]
    # clipping rescales the whole gradient: the factor is θ/‖g‖ when ‖g‖ > θ, and the shape is kept
    exploding = flows[1.5]
    assert exploding.gradient_norm > 1.0 and exploding.clip_factor == pytest.approx(1.0 / exploding.gradient_norm)


def test_refusals():
    lstm = LanguageModel(LanguageModelConfig(vocab_size=9, cell="lstm", hidden=8, layers=1, embedding=4))
    with pytest.raises(RecurError, match="'lstm' has gated blocks"):
        with_spectral_radius(lstm, 1.0)
    with pytest.raises(RecurError, match="must be positive"):
        with_spectral_radius(elman_lm(), 0.0)
    with pytest.raises(RecurError, match="the text has 10 tokens; a window of 10 steps needs 11"):
        text_windows(torch.arange(10), 10, 2)
    assert text_windows(torch.arange(100), 9, 4)[:, 0].tolist() == [0, 30, 60, 90]
