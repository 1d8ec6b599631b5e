"""Sampling filters as pure functions, and seeded generation."""

import numpy as np
import pytest
import torch

from recur.errors import RecurError
from recur.generate import filter_logits, generate_ids, sample_next
from recur.generate.sampling import GREEDY_BELOW
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
    ({"temperature": -1}, "temperature"), ({"top_k": 0}, "top-k"), ({"top_p": 1.5}, "top-p"),
    ({"temperature": float("nan")}, "temperature must be a finite number"),
    ({"temperature": float("inf")}, "temperature must be a finite number"),
    ({"top_p": float("nan")}, "top-p must be a finite number"), ({"top_k": 2.5}, "top-k must be an integer"),
    ({"top_k": True}, "top-k must be an integer"),
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


@pytest.mark.parametrize("temperature", [GREEDY_BELOW / 2, 1e-300, 5e-324])
def test_temperatures_below_the_threshold_are_greedy(path, seeded_lm, temperature):
    """Dividing logits by 1e-320 overflows to inf and the draw became garbage; below ``GREEDY_BELOW``
    a temperature is greedy, as 0 is, on the compiled loop and in NumPy alike."""
    model = seeded_lm()
    greedy = generate_ids(model, torch.tensor([3, 1]), 30, temperature=0)
    assert len(set(greedy)) > 1
    assert generate_ids(model, torch.tensor([3, 1]), 30, temperature=temperature, seed=4) == greedy
    assert sample_next(np.array([[0.1, 2.0, -1.0]]), temperature=temperature).tolist() == [1]


def test_a_top_k_beyond_the_vocabulary_keeps_every_token(path, seeded_lm):
    """--top-k 10**30 reached the compiled loop as an overflowing C integer; a top-k of V or more
    is no filter at all."""
    model = seeded_lm()
    plain = generate_ids(model, torch.tensor([3]), 30, seed=4)
    for top_k in (11, 10**30):
        assert generate_ids(model, torch.tensor([3]), 30, top_k=top_k, seed=4) == plain
