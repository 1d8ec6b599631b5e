"""The forecaster's window normalisation, the yardsticks' formulas and the closed-form read-out."""

import pytest
import torch

from recur.errors import RecurError
from recur.models.forecaster import ForecasterConfig, SequenceForecaster
from recur.models.naive_forecasts import persistence, seasonal_naive
from recur.models.ridge import ridge_fit


def test_the_yardsticks_formulas():
    history = torch.arange(1.0, 9.0).view(1, 8, 1)  # y_0 .. y_7 = 1 .. 8; the origin is t = 8
    assert persistence(history, 3).flatten().tolist() == [8, 8, 8]
    # season 3: t+j reads t+j-3(j//3+1): j=0..6 -> y5 y6 y7 y5 y6 y7 y5
    assert seasonal_naive(history, 7, 3).flatten().tolist() == [6, 7, 8, 6, 7, 8, 6]
    with pytest.raises(RecurError, match="needs at least 9 steps"):
        seasonal_naive(history, 2, 9)


def test_window_normalisation_makes_the_forecast_follow_level_and_scale():
    """With RevIN-style normalisation, forecast(a·x + b) = a·forecast(x) + b for a > 0."""
    model = SequenceForecaster(ForecasterConfig(channels=2, horizon=5, hidden=8)).eval()
    x = torch.randn(3, 12, 2)
    torch.testing.assert_close(model(3.0 * x + 7.0), 3.0 * model(x) + 7.0, rtol=1e-4, atol=1e-4)
    raw = SequenceForecaster(ForecasterConfig(channels=2, horizon=5, hidden=8, window_norm=False)).eval()
    assert model(x).shape == raw(x).shape == (3, 5, 2)


def test_ridge_regression_is_least_squares_with_a_free_bias():
    features, truth = torch.randn(200, 5, dtype=torch.float64), torch.randn(3, 5, dtype=torch.float64)
    targets = features @ truth.T + 4.0
    weight, bias = ridge_fit(features, targets, 0.0)
    torch.testing.assert_close(weight, truth)
    torch.testing.assert_close(bias, torch.full((3,), 4.0, dtype=torch.float64))
    shrunk, free = ridge_fit(features, targets, 1e6)  # a huge penalty empties the weights, not the bias
    assert float(shrunk.abs().max()) < 1e-2 and torch.allclose(free, targets.mean(0), atol=0.1)
