"""sacreBLEU through ``corpus_scores``: a perfect output scores 100, case matters only where it
should, a worse output scores lower, and the signatures say how each number was made."""

import pytest

from recur.analysis.translation_scores import corpus_scores
from recur.errors import RecurError

REFERENCES = ["A man rides a bicycle over a bridge.", "Two dogs play in the snow.", "A woman reads a book."]


def test_a_perfect_output_scores_100():
    scores, _ = corpus_scores(REFERENCES, REFERENCES)
    assert scores == {"bleu": 100.0, "bleu_lowercase": 100.0, "chrf": 100.0}


def test_case_counts_in_bleu_but_not_in_lowercased_bleu():
    scores, _ = corpus_scores([r.upper() for r in REFERENCES], REFERENCES)
    assert scores["bleu_lowercase"] == 100.0 and scores["bleu"] < 10


def test_a_worse_output_scores_lower():
    worse = ["A man rides a bike over a bridge.", "Two cats play in the snow.", "A woman reads."]
    scores, _ = corpus_scores(worse, REFERENCES)
    assert 20 < scores["bleu"] < 100 and 50 < scores["chrf"] < 100


def test_signatures_name_the_settings():
    _, signatures = corpus_scores(REFERENCES, REFERENCES)
    assert signatures["bleu"].startswith("nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:")
    assert "case:lc" in signatures["bleu_lowercase"] and signatures["chrf"].startswith("nrefs:1|case:mixed")


def test_a_count_mismatch_is_refused():
    with pytest.raises(RecurError, match="2 translations for 3 references"):
        corpus_scores(REFERENCES[:2], REFERENCES)
