"""Labelled sentences in both public layouts of SST-2, and refusals naming file and line."""

import pytest

from recur.data.labelled import parse_labelled
from recur.errors import RecurError


def test_both_layouts_and_a_header():
    assert parse_labelled("1 a fine film\n0 dull\n") == [(1, "a fine film"), (0, "dull")]
    assert parse_labelled("label\tsentence\n0\tso bad\n1\tgood\n") == [(0, "so bad"), (1, "good")]


@pytest.mark.parametrize("text, message", [
    ("x a film\n", "line 1: expected 'label sentence' with an integer label"),
    ("1 good\n--1 a film\n", "line 2: expected 'label sentence' with an integer label"),
    ("\u00b2 a film\n", "line 1: expected 'label sentence' with an integer label"),  # str.isdigit passes "²"
    ("\u0661 a film\n", "line 1: expected 'label sentence' with an integer label"),  # an Arabic-Indic one
    ("1\u00b2\ta film\n", "line 1: expected 'label sentence' with an integer label"),
    ("-\ta film\n", "line 1: expected 'label sentence' with an integer label"),
    ("9" * 5000 + " a film\n", "line 1: expected 'label sentence' with an integer label"),
    ("1 good\n3 what\n", "line 2: label 3 is outside the known labels 0..1"),
    ("-1 what\n", "line 1: label -1 is outside the known labels 0..1"),
    ("1 good\n0\n", "line 2: label 0 has no sentence"),
    ("\n\n", "no labelled sentences"),
])
def test_bad_data_is_refused_naming_file_and_line(text, message):
    with pytest.raises(RecurError, match=f"reviews.txt.*{message}"):
        parse_labelled(text, "reviews.txt")
