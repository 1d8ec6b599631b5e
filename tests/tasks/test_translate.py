"""The translate task on a toy parallel corpus (digit strings and their reversal, in the layout of
Multi30k): a tiny model learns it in seconds, resumes exactly, translates from the command line with
its attention drawn, and ``recur eval`` scores it with sacreBLEU."""

import json
from pathlib import Path

import pytest

from recur.cli import main
from recur.tasks import load
from tests.conftest import TINY_TRANSLATE as TINY
from tests.conftest import write_reversal_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return write_reversal_corpus(tmp_path_factory.mktemp("toy") / "corpus")


@pytest.fixture(scope="module")
def reverser(tiny_translator_dir) -> Path:
    return tiny_translator_dir


def test_a_tiny_model_learns_to_reverse_digit_strings(reverser, capsys):
    capsys.readouterr()
    assert main(["eval", str(reverser)]) == 0
    scores = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(scores) == {"val", "test2016"}  # the toy corpus has no test2017
    test = scores["test2016"]
    assert test["sentences"] == 100 and test["beam"] == 5 and test["direction"] == "de-en"
    assert test["bleu"] > 90 and test["chrf"] > 85, test
    assert test["signatures"]["bleu"].startswith("nrefs:1|case:mixed|eff:no|tok:13a")
    assert test["signatures"]["bleu_lowercase"].startswith("nrefs:1|case:lc")


def test_translate_prints_translations_and_draws_attention(reverser, tmp_path, capsys):
    capsys.readouterr()
    picture = tmp_path / "attention.png"
    assert main(["translate", str(reverser), "1 2 3 4", "9 8 7", "--beam", "3", "--show-attention",
                 str(picture)]) == 0
    assert capsys.readouterr().out.splitlines() == ["4 3 2 1", "7 8 9"]
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_translate_reads_standard_input_as_json(reverser, capsys, monkeypatch):
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO("5 6 7\n1 1 2\n"))
    capsys.readouterr()
    assert main(["translate", str(reverser), "--json", "--beam", "1"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines == [{"source": "5 6 7", "translation": "7 6 5"}, {"source": "1 1 2", "translation": "2 1 1"}]


def test_the_attention_of_a_reversal_lands_on_the_word_being_copied(reverser):
    """Each digit written is the source's mirror digit: the weights' arg-max lies on that digit's
    piece or a piece beside it (the subwords split a digit from its word boundary "▁" at times, and a
    bidirectional encoder's neighbouring annotations both know the digit)."""
    translator = load(reverser)
    sentence = "7 3 9 0 2 6"
    texts, attention = translator.translate([sentence], beam=1, with_attention=True)
    source, target = translator.source_pieces(sentence), translator.target_pieces(texts[0])
    weights = attention[0]
    assert texts == ["6 2 0 9 3 7"] and tuple(weights.shape) == (len(target), len(source))
    assert (weights.sum(-1) - 1).abs().max() < 1e-5
    where = {piece.strip("▁"): i for i, piece in enumerate(source) if piece.strip("▁")}  # each digit once
    for row, piece in zip(weights, target):
        if piece.strip("▁").isdigit():
            assert abs(int(row.argmax()) - where[piece.strip("▁")]) <= 1, (source, target, piece, row)


def test_resume_is_exact(corpus, tmp_path, resume_is_exact):
    resume_is_exact(["train", "translate", "--data", str(corpus), *TINY, "--eval-every", "10", "--attention", "luong"],
                    20, tmp_path)


def test_the_subword_models_travel_in_the_checkpoint(reverser):
    config = json.loads((reverser / "best" / "config.json").read_text())
    assert set(config["subwords"]) == {"source", "target"}
    translator = load(reverser)
    assert translator.source_subwords.decode(translator.source_subwords.encode("3 1 4")) == "3 1 4"
    assert len(translator.target_subwords) == config["model"]["target_vocab"]
