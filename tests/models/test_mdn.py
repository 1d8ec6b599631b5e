"""The mixture density network of Graves (2013) against its equations: the NLL on hand-computed
cases and against SciPy's bivariate normal, gradients by finite differences, the bias and
temperature as Graves and Ha & Eck define them, sampling's moments, and what each ``--memory``
lets the mixture see."""

import math

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal

from recur.models.mdn import SIGMA_MIN, StrokeConfig, StrokeMDN, mixture, point_nll, sample_point


def raw_of(pen, pi_hat, mu, log_sigma, rho_hat) -> torch.Tensor:
    """The network's output vector in its layout: [ê, π̂ (M), μ (M×2), log σ (M×2), ρ̂ (M)]."""
    return torch.tensor([pen, *pi_hat, *np.ravel(mu), *np.ravel(log_sigma), *rho_hat], dtype=torch.float64)


def test_one_round_gaussian_by_hand():
    """M = 1, μ = 0, σ = 1 (+ the floor), ρ = 0, pen logit 0: the offset (1, 0) costs
    log(2π σ²) + 1/(2σ²), the pen log 2 whichever way it goes."""
    raw = raw_of(0.0, [0.0], [[0, 0]], [[0, 0]], [0.0])
    s = 1 + SIGMA_MIN
    expected = math.log(2 * math.pi * s * s) + 1 / (2 * s * s) + math.log(2)
    for pen in (0.0, 1.0):
        assert float(point_nll(mixture(raw), torch.tensor([1.0, 0.0, pen], dtype=torch.float64))) == \
            pytest.approx(expected, rel=1e-12)


def test_a_correlated_mixture_against_scipy():
    pi_hat, mu = [0.3, -0.5], [[0.5, -1.0], [-2.0, 1.5]]
    log_sigma, rho_hat = [[0.2, -0.4], [0.7, 0.1]], [0.8, -1.3]
    raw = raw_of(1.2, pi_hat, mu, log_sigma, rho_hat)
    x = np.array([0.1, -0.3])
    pi = np.exp(pi_hat) / np.exp(pi_hat).sum()
    density = 0.0
    for j in range(2):
        s1, s2 = np.exp(log_sigma[j]) + SIGMA_MIN
        rho = (1 - 1e-5) * np.tanh(rho_hat[j])
        cov = [[s1 * s1, rho * s1 * s2], [rho * s1 * s2, s2 * s2]]
        density += pi[j] * multivariate_normal(mu[j], cov).pdf(x)
    e = 1 / (1 + np.exp(-1.2))  # p(lifted)
    got = float(point_nll(mixture(raw), torch.tensor([*x, 1.0], dtype=torch.float64)))
    assert got == pytest.approx(-np.log(density) - np.log(e), rel=1e-10)
    got_down = float(point_nll(mixture(raw), torch.tensor([*x, 0.0], dtype=torch.float64)))
    assert got_down == pytest.approx(-np.log(density) - np.log(1 - e), rel=1e-10)


def test_gradients_match_finite_differences():
    torch.manual_seed(0)
    raw = torch.randn(4, 1 + 6 * 3, dtype=torch.float64, requires_grad=True)
    target = torch.cat([torch.randn(4, 2, dtype=torch.float64), torch.tensor([[0.], [1.], [1.], [0.]],
                                                                                dtype=torch.float64)], dim=1)
    assert torch.autograd.gradcheck(lambda r: point_nll(mixture(r), target).sum(), (raw,))


def test_bias_narrows_and_sharpens_as_graves_defines_it():
    raw = raw_of(0.0, [0.0, 1.0], [[0, 0], [1, 1]], [[0.5, 0.5], [0.0, 0.0]], [0.0, 0.0])
    plain, biased = mixture(raw), mixture(raw, bias=2.0)
    assert torch.allclose(biased.sigma - SIGMA_MIN, (plain.sigma - SIGMA_MIN) * math.exp(-2.0))
    assert torch.allclose(biased.log_pi, torch.log_softmax(torch.tensor([0.0, 1.0], dtype=torch.float64) * 3, 0))
    warm = mixture(raw, temperature=0.25)
    assert torch.allclose(warm.sigma - SIGMA_MIN, (plain.sigma - SIGMA_MIN) * 0.5)
    assert torch.allclose(warm.log_pi, torch.log_softmax(torch.tensor([0.0, 4.0], dtype=torch.float64), 0))


def test_samples_have_the_components_moments():
    """One component, μ = (1, −2), σ = (0.5, 2), ρ = 0.6, p(lifted) = σ(1) ≈ 0.73."""
    n = 40_000
    raw = raw_of(1.0, [0.0], [[1, -2]], [[math.log(0.5), math.log(2.0)]], [math.atanh(0.6 / (1 - 1e-5))])
    mix = mixture(raw.expand(n, -1).clone())
    points = sample_point(mix, torch.Generator().manual_seed(0)).numpy()
    assert points[:, :2].mean(0) == pytest.approx([1, -2], abs=0.03)
    cov = np.cov(points[:, :2].T)
    s1, s2 = 0.5 + SIGMA_MIN, 2 + SIGMA_MIN
    assert cov == pytest.approx(np.array([[s1 * s1, 0.6 * s1 * s2], [0.6 * s1 * s2, s2 * s2]]), rel=0.05, abs=0.01)
    assert points[:, 2].mean() == pytest.approx(1 / (1 + math.exp(-1)), abs=0.01)
    assert set(np.unique(points[:, 2])) <= {0.0, 1.0}


def test_a_mixture_picks_components_by_weight():
    raw = raw_of(0.0, [math.log(0.2), math.log(0.8)], [[-10, 0], [10, 0]], [[-3, -3], [-3, -3]], [0, 0])
    points = sample_point(mixture(raw.expand(20_000, -1).clone()), torch.Generator().manual_seed(1))
    assert float((points[:, 0] > 0).double().mean()) == pytest.approx(0.8, abs=0.01)


@pytest.mark.parametrize("memory, sees_earlier, sees_previous", [("rnn", True, True), ("previous", False, True),
                                                                 ("none", False, False)])
def test_what_each_memory_lets_the_mixture_see(memory, sees_earlier, sees_previous):
    torch.manual_seed(0)
    model = StrokeMDN(StrokeConfig(hidden=8, mixtures=2, memory=memory)).double()
    points = torch.randn(1, 5, 3, dtype=torch.float64)
    base, _ = model(points)
    earlier, previous = points.clone(), points.clone()
    earlier[0, 1] += 1.0  # two points before the last prediction's input
    previous[0, 4] += 1.0  # the input of the last prediction
    assert (not torch.allclose(model(earlier)[0][0, 4], base[0, 4])) == sees_earlier
    assert (not torch.allclose(model(previous)[0][0, 4], base[0, 4])) == sees_previous
    assert base.shape == (1, 5, 1 + 6 * 2)
