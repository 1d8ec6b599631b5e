"""The echo state network: a fixed reservoir and a read-out fitted in closed form."""

import pytest
import torch

from recur.data.series import mackey_glass, sine
from recur.errors import RecurError
from recur.models import EchoStateConfig, EchoStateNetwork
from recur.models.echo_state import nrmse


def one_step_ahead(series):
    s = series.float()
    return s[:-1][None, :, None], s[1:][None, :, None]


def test_fits_a_sine_and_continues_it_closed_loop():
    x, y = one_step_ahead(sine(1300))
    net = EchoStateNetwork(EchoStateConfig(1, 1, reservoir=100, input_scaling=0.5))
    net.fit(x[:, :1000], y[:, :1000])
    prediction, _ = net(x)
    assert nrmse(prediction[:, 1000:], y[:, 1000:]) < 1e-4
    generated = net.generate(x[:, :1000], 100)  # no input after step 1000: its own outputs only
    assert nrmse(generated, y[:, 999:1099]) < 1e-3


def test_fits_mackey_glass_one_step_ahead():
    """Jaeger's benchmark: tau = 17 chaotic series, 400-unit reservoir, ridge read-out."""
    x, y = one_step_ahead(mackey_glass(1600))
    net = EchoStateNetwork(EchoStateConfig(1, 1, reservoir=400, spectral_radius=0.95, input_scaling=0.5))
    train_error = net.fit(x[:, :1200], y[:, :1200])
    prediction, _ = net(x)
    assert train_error < 2e-3
    assert nrmse(prediction[:, 1200:], y[:, 1200:]) < 2e-3


def test_fit_refuses_mismatched_shapes():
    net = EchoStateNetwork(EchoStateConfig(1, 1, reservoir=10, washout=5))
    with pytest.raises(RecurError, match="fit needs"):
        net.fit(torch.zeros(1, 20, 1), torch.zeros(1, 19, 1))
    with pytest.raises(RecurError, match="washout"):
        net.fit(torch.zeros(1, 4, 1), torch.zeros(1, 4, 1))
