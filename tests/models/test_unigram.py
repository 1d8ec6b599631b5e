"""The unigram yardstick: frequencies from training, add-k smoothing, refusal of unseen tokens."""

import math

import pytest

from recur.errors import RecurError
from recur.models.unigram import unigram_loss


def test_unigram_loss_by_hand():
    # train: a a b -> p(a) = 2/3, p(b) = 1/3; held out: a b
    assert unigram_loss("aab", "ab") == pytest.approx(-(math.log(2 / 3) + math.log(1 / 3)) / 2)
    # add-one over {a, b, c}: p(c) = 1/6, p(a) = 3/6
    assert unigram_loss("aab", "ca", smoothing=1) == pytest.approx(-(math.log(1 / 6) + math.log(3 / 6)) / 2)


def test_an_unseen_token_needs_smoothing():
    with pytest.raises(RecurError, match="1 held-out tokens never occur in training"):
        unigram_loss([1, 1, 2], [3])
