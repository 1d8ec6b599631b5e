"""Synthetic series: the Mackey-Glass integrator stays in its known range and is chaotic, not periodic."""

import torch

from recur.data.series import mackey_glass, sine


def test_sine_period():
    s = sine(100, period=20)
    torch.testing.assert_close(s[:80], s[20:], atol=1e-12, rtol=0)


def test_mackey_glass_range_and_variety():
    s = mackey_glass(1000)
    assert s.shape == (1000,)
    assert 0.2 < s.min() < 0.5 and 1.2 < s.max() < 1.5  # the tau = 17 attractor's range
    assert (s[:-50] - s[50:]).abs().max() > 0.3  # not settled to a fixed point or short cycle
