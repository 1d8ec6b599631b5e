"""Sampling filters as pure functions, and seeded generation."""

import numpy as np
import pytest
import torch

from recur.errors import RecurError
from recur.generate import filter_logits, generate_ids, sample_next
from recur.models import LanguageModel, LanguageModelConfig

LOGITS = np.log([[0.5, 0.3, 0.15, 0.05]])


def test_temperature_zero_is_greedy():
    assert sample_next(np.array([[0.1, 2.0, -1.0]]), temperature=0).tolist() == [1]


def test_top_k_keeps_the_k_largest():
    kept = np.isfinite(filter_logits(LOGITS, top_k=2))
    assert kept.tolist() == [[True, True, False, False]]


def test_top_p_keeps_the_smallest_nucleus_reaching_p():
    assert np.isfinite(filter_logits(LOGITS, top_p=0.5)).tolist() == [[True, False, False, False]]
    assert np.isfinite(filter_logits(LOGITS, top_p=0.8)).tolist() == [[True, True, False, False]]
    assert np.isfinite(filter_logits(LOGITS, top_p=0.81)).tolist() == [[True, True, True, False]]


def test_top_p_works_on_unsorted_logits():
    logits = LOGITS[:, [2, 0, 3, 1]]  # probabilities 0.15, 0.5, 0.05, 0.3
    assert np.isfinite(filter_logits(logits, top_p=0.8)).tolist() == [[False, True, False, True]]


def test_draw_is_the_inverse_cdf_of_the_uniform():
    # cumulative 0.5, 0.8, 0.95, 1.0: u below 0.5 gives id 0, in [0.8, 0.95) id 2, ...
    assert [int(sample_next(LOGITS, 1.0, uniforms=[u])[0]) for u in (0.0, 0.49, 0.51, 0.9, 0.97)] == [0, 0, 1, 2, 3]


def test_filtered_tokens_are_never_sampled():
    rng = np.random.default_rng(0)
    draws = {int(sample_next(LOGITS, 1.0, top_k=2, rng=rng)[0]) for _ in range(300)}
    assert draws == {0, 1}


def test_sampled_frequencies_follow_the_probabilities():
    ids = sample_next(np.repeat(LOGITS, 20000, axis=0), 1.0, rng=np.random.default_rng(1))
    np.testing.assert_allclose(np.bincount(ids, minlength=4) / 20000, [0.5, 0.3, 0.15, 0.05], atol=0.015)


def test_low_temperature_concentrates_high_temperature_spreads():
    rng = np.random.default_rng(0)
    cold = [int(sample_next(LOGITS, 0.05, rng=rng)[0]) for _ in range(200)]
    hot = [int(sample_next(LOGITS, 5.0, rng=rng)[0]) for _ in range(200)]
    assert cold.count(0) > 195 and len(set(hot)) == 4


@pytest.mark.parametrize("bad, message", [
    (dict(temperature=-1), "temperature"), (dict(top_k=0), "top-k"), (dict(top_p=1.5), "top-p"),
])
def test_bad_sampling_settings_refused(bad, message):
    model = LanguageModel(LanguageModelConfig(vocab_size=5, hidden=8, layers=1, embedding=4))
    with pytest.raises(RecurError, match=message):
        generate_ids(model, torch.tensor([0]), 3, **bad)


def test_same_seed_same_ids_and_exact_length():
    model = LanguageModel(LanguageModelConfig(vocab_size=7, hidden=8, layers=2, embedding=4))
    a = generate_ids(model, torch.tensor([1, 2]), 40, seed=5)
    b = generate_ids(model, torch.tensor([1, 2]), 40, seed=5)
    c = generate_ids(model, torch.tensor([1, 2]), 40, seed=6)
    assert a == b and a != c and len(a) == 40
