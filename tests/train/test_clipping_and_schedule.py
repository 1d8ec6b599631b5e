"""Clipping follows seed 003's pseudocode; schedules are pure functions of progress."""

import math

import pytest
import torch

from recur.train.clipping import clip_by_global_norm, clip_by_value, clip_gradients
from recur.train.schedule import learning_rate


def test_clip_by_norm_is_seed_003_pseudocode():
    """if ||g|| > θ0: g <- θ0/||g|| · g, else do nothing; ||g|| over all gradients together."""
    grads = [torch.tensor([3.0, 0.0]), torch.tensor([[0.0, 4.0]])]  # ||g|| = 5
    norm = clip_by_global_norm(grads, 1.0)
    assert float(norm) == pytest.approx(5.0)
    torch.testing.assert_close(grads[0], torch.tensor([0.6, 0.0]))
    torch.testing.assert_close(grads[1], torch.tensor([[0.0, 0.8]]))
    assert float(torch.sqrt(sum((g ** 2).sum() for g in grads))) == pytest.approx(1.0)


def test_clip_by_norm_leaves_small_gradients_alone():
    grads = [torch.tensor([0.3, 0.4])]
    clip_by_global_norm(grads, 1.0)
    torch.testing.assert_close(grads[0], torch.tensor([0.3, 0.4]))


def test_clip_by_value_and_off():
    grads = [torch.tensor([-3.0, 0.5, 2.0])]
    clip_by_value(grads, 1.0)
    torch.testing.assert_close(grads[0], torch.tensor([-1.0, 0.5, 1.0]))
    grads = [torch.tensor([30.0, 40.0])]
    assert float(clip_gradients(grads, 0, "norm")) == pytest.approx(50.0)
    torch.testing.assert_close(grads[0], torch.tensor([30.0, 40.0]))


def test_schedules():
    assert learning_rate(1.0, "constant", 0.7) == 1.0
    assert learning_rate(1.0, "cosine", 0.0) == pytest.approx(1.0)
    assert learning_rate(1.0, "cosine", 1.0, min_ratio=0.1) == pytest.approx(0.1)
    assert learning_rate(1.0, "cosine", 0.5, min_ratio=0.0) == pytest.approx(0.5)
    assert learning_rate(1.0, "constant", 0.0, step=0, warmup=4) == pytest.approx(0.25)
    assert learning_rate(1.0, "cosine", 2.0, min_ratio=0.2) == pytest.approx(0.2)  # clamped past the end
    assert math.isclose(learning_rate(2.0, "cosine", 0.25, min_ratio=0.0), 2.0 * (1 + math.cos(math.pi / 4)) / 2)
