"""The polyphonic models against their equations: the NADE's all-at-once logits against the
sequential definition, its probabilities as a distribution over every chord of a few keys, the
Bernoulli NLL against a hand-computed value, and finite differences through the NADE."""

import itertools
import math

import pytest
import torch

from recur.models.polyphonic import KEYS, PolyphonicConfig, PolyphonicRNN


def nade(hidden=8, seed=0):
    torch.manual_seed(seed)
    model = PolyphonicRNN(PolyphonicConfig(cell="gru", hidden=hidden, output="nade", nade_hidden=5)).double()
    with torch.no_grad():  # weights large enough that the keys below matter
        model.nade_in.normal_(0, 1.0)
        model.nade_out.normal_(0, 1.0)
    return model


def sequential_logits(model, h, notes):
    """``b_i + V_i · σ(c + Σ_{j<i} W_{:,j} v_j)``, one key at a time."""
    b, c = model.out(h).split([KEYS, model.config.nade_hidden], dim=-1)
    logits = []
    for i in range(KEYS):
        a = c + notes[..., :i] @ model.nade_in[:, :i].t()
        logits.append(b[..., i] + torch.sigmoid(a) @ model.nade_out[i])
    return torch.stack(logits, dim=-1)


def test_nade_logits_equal_the_sequential_definition():
    model = nade()
    h = torch.randn(3, 4, 8, dtype=torch.float64)
    notes = (torch.rand(3, 4, KEYS) < 0.1).double()
    torch.testing.assert_close(model.nade_logits(h, notes), sequential_logits(model, h, notes), rtol=1e-12, atol=1e-12)


def test_nade_is_a_distribution_over_chords():
    """Keys other than the lowest three are fixed silent: the 8 chords of those three keys then hold
    probability p(rest silent | chord) · p(chord), and summed over chords with the rest fixed the
    lowest three keys' marginal probabilities sum to one."""
    model = nade(seed=1)
    h = torch.randn(1, 8, dtype=torch.float64)
    total = 0.0
    for chord in itertools.product([0, 1], repeat=3):
        notes = torch.zeros(1, KEYS, dtype=torch.float64)
        notes[0, :3] = torch.tensor(chord, dtype=torch.float64)
        logits = model.nade_logits(h, notes)[0, :3]  # the first three keys see only keys below them
        log_p = -torch.nn.functional.binary_cross_entropy_with_logits(logits, notes[0, :3], reduction="sum")
        total += math.exp(float(log_p.detach()))
    assert total == pytest.approx(1.0, abs=1e-12)


def test_bernoulli_nll_by_hand():
    """Every key at p = 0.25: a step with k keys sounding costs −(k log 0.25 + (88 − k) log 0.75)."""
    model = PolyphonicRNN(PolyphonicConfig(cell="lstm", hidden=4))
    with torch.no_grad():
        model.out.weight.zero_()
        model.out.bias.fill_(math.log(0.25 / 0.75))
    notes = torch.zeros(2, KEYS)
    notes[0, [10, 20, 30]] = 1
    nll = model.step_nll(torch.randn(2, 4), notes)
    expected = [-(k * math.log(0.25) + (KEYS - k) * math.log(0.75)) for k in (3, 0)]
    torch.testing.assert_close(nll, torch.tensor(expected), rtol=1e-6, atol=1e-5)


def test_nade_gradients_match_finite_differences():
    model = nade(hidden=3, seed=2)
    rolls = (torch.rand(2, 5, KEYS, dtype=torch.float64) < 0.08).double()
    names = ["nade_in", "nade_out", "out.weight"]
    params = dict(model.named_parameters())

    def loss(*values):  # the RNN's forward and the NADE's NLL, with the weights swapped for ``values``
        swapped = {**params, **dict(zip(names, values))}
        h, _ = torch.func.functional_call(model, swapped, (rolls[:, :-1],))
        return torch.func.functional_call(Scorer(model), {f"m.{k}": v for k, v in swapped.items()}, (h, rolls[:, 1:]))

    assert torch.autograd.gradcheck(loss, [params[n].detach().clone().requires_grad_() for n in names],
                                    eps=1e-6, atol=1e-5)


class Scorer(torch.nn.Module):
    """``step_nll`` as a module's forward, so ``functional_call`` can swap the weights it reads."""

    def __init__(self, model):
        super().__init__()
        self.m = model

    def forward(self, h, notes):
        return self.m.step_nll(h, notes).sum()


@pytest.mark.parametrize("output", ["bernoulli", "nade"])
def test_sampling_draws_notes_and_greedy_is_repeatable(output):
    torch.manual_seed(0)
    model = PolyphonicRNN(PolyphonicConfig(cell="gru", hidden=6, output=output, nade_hidden=4))
    h = torch.randn(2, 6)
    notes = model.sample_step(h, 1.0, torch.Generator().manual_seed(0))
    assert notes.shape == (2, KEYS) and set(notes.unique().tolist()) <= {0.0, 1.0}
    torch.testing.assert_close(model.sample_step(h, 0.0, None), model.sample_step(h, 0.0, None))
