"""Caption scores by hand, the attention-hit rule on made-up weights, and the pipeline yardstick on
real test strips."""

import torch

from recur.analysis.caption_pipeline import digit_classifier, pipeline_captions
from recur.analysis.caption_scores import attention_hits, caption_scores
from recur.tasks.caption import CaptionDataConfig, Digits, held_out_strips


def test_exact_token_accuracy_and_bleu_by_hand():
    scores, signature = caption_scores(["one two", "three", "four five six"], ["one two", "three four", "four five"])
    assert scores["exact"] == round(100 / 3, 4)
    # matches at the same position: 2 + 1 + 2 = 5, over the longer lengths 2 + 2 + 3 = 7
    assert scores["token_accuracy"] == round(100 * 5 / 7, 4)
    assert signature.startswith("nrefs:1|")
    assert caption_scores(["one two three four five"], ["one two three four five"])[0]["bleu"] == 100
    assert 0 < caption_scores(["one two three four six"], ["one two three four five"])[0]["bleu"] < 100


def test_a_hit_is_a_cell_wholly_inside_the_digits_columns():
    weights = torch.zeros(3, 2 * 32)  # 2 grid rows of 32 cells, each 2 pixels wide
    weights[0, 5] = 1  # row 0, cell 5: pixels 10-11
    weights[1, 32 + 9] = 1  # row 1, cell 9: pixels 18-19
    weights[2, 14] = 1  # pixels 28-29
    assert attention_hits(weights, [(10, 18), (12, 20), (22, 30)], 32, 2) == [True, True, True]
    assert attention_hits(weights, [(11, 19), (20, 28)], 32, 2) == [False, False]  # straddling; outside


def test_the_pipeline_reads_most_test_strips_right():
    images, labels, splits = Digits.get()
    classifier = digit_classifier(images[splits["train"]], labels[splits["train"]])
    strips = held_out_strips(CaptionDataConfig(test_strips=200), "test")
    for style in ("spell", "count"):
        captions = pipeline_captions(classifier, strips, style)
        assert caption_scores(captions, strips.captions(style))[0]["exact"] > 90
