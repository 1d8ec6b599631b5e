"""Sentence classification on real SST-2: data parsing and refusals, padding that never leaks into
the answer, a short run that beats the majority class, and the shell commands."""

import json

import pytest

from recur.cli import main
from recur.data.labelled import parse_labelled
from recur.data.vocab import UNK
from recur.errors import RecurError
from recur.tasks import classify

TINY = ["--hidden", "32", "--embedding", "32", "--batch-size", "32", "--dropout", "0.2"]


def majority_rate(path) -> float:
    labels = [label for label, _ in parse_labelled(path.read_text())]
    return max(labels.count(0), labels.count(1)) / len(labels)


@pytest.mark.slow
def test_a_short_run_beats_the_majority_class(small_sst, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "classify", "--data", str(small_sst), "--train-set", "sentences", "--out", str(out),
                 "--max-steps", "400", "--eval-every", "100", "--bidirectional", *TINY]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    evaluations = [r for r in map(json.loads, (out / "metrics.jsonl").read_text().splitlines()) if "val_accuracy" in r]
    best = max(evaluations, key=lambda r: r["val_accuracy"])  # the first of equals, as the trainer keeps it
    kept = json.loads((out / "best" / "trainer_state.json").read_text())
    assert len(evaluations) == 4 and kept["step"] == best["step"] and summary["best_accuracy"] == best["val_accuracy"]
    assert main(["eval", str(out)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["dev"]["sentences"] == 872 and result["test"]["sentences"] == 1821
    majority = majority_rate(small_sst / classify.HELD_OUT["dev"])
    assert result["dev"]["accuracy"] > majority + 0.1, (result["dev"]["accuracy"], majority)


def test_shell_predict_resume_and_refusals(small_sst, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RECUR_DATA", str(small_sst.parent))
    out = tmp_path / "run"
    assert main(["train", "classify", "--out", str(out), "--max-steps", "3", "--eval-every", "3", *TINY]) == 0
    assert json.loads((out / "last" / "config.json").read_text())["data"]["train_set"] == "phrases"
    assert main(["train", "classify", "--out", str(out), "--resume", "--max-steps", "5"]) == 0
    capsys.readouterr()
    assert main(["predict", str(out), "a gorgeous , witty , seductive movie ."]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["label"] in ("negative", "positive") and 0.5 <= answer["probability"] <= 1
    for argv, message in ((["sample", str(out)], "a classify model; 'recur sample' needs a model of charlm or wordlm"),
                          (["train", "classify", "--out", str(tmp_path / "x"), "--seq-len", "9"],
                           "unrecognized arguments: --seq-len 9"),
                          (["train", "classify", "--out", str(tmp_path / "x"), "--tie-weights"],
                           "unrecognized arguments: --tie-weights")):
        assert main(argv) == 2
        assert message in capsys.readouterr().err


def tiny_classifier(words: list[str]) -> classify.Classifier:
    from recur.data import WordVocab
    from recur.models import ClassifierConfig, SequenceClassifier
    vocab = WordVocab([classify.PAD, UNK, *words])
    model = SequenceClassifier(ClassifierConfig(vocab_size=len(vocab), hidden=8, embedding=8, dropout=0.0))
    return classify.Classifier(model, vocab)


def test_raw_text_is_tokenised_as_the_training_data_was():
    """"gorgeous," and "movie!" were unknown words; they are the known "gorgeous" and "movie" with
    their punctuation split off, as SST writes it. A bracket takes the training set's spelling."""
    sentences = tiny_classifier(["a", "gorgeous", ",", "witty", "movie", "!", "-lrb-", "-rrb-"])
    assert classify.raw_tokens("A gorgeous, witty movie!", sentences.vocab) == ["a", "gorgeous", ",", "witty", "movie",
                                                                                "!"]
    assert classify.raw_tokens("(witty)", sentences.vocab) == ["-lrb-", "witty", "-rrb-"]
    phrases = tiny_classifier(["witty", "(", ")"])  # GLUE's phrases write brackets as they are
    assert classify.raw_tokens("(witty)", phrases.vocab) == ["(", "witty", ")"]
    assert sentences.predict("A gorgeous, witty movie!") == sentences.predict("a gorgeous , witty movie !")


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_an_empty_text_is_refused(text):
    with pytest.raises(RecurError, match="the text to classify is empty"):
        tiny_classifier(["a"]).predict(text)


@pytest.mark.parametrize("options, message", [
    ({"batch_size": 0}, "batch-size must be >= 1, got 0"),
    ({"min_count": -1}, "min-count must be >= 1, got -1"),
    ({"batch_size": True}, "batch-size must be an integer"),
    ({"train_set": "trees"}, "unknown train-set 'trees'; choose one of: sentences, phrases"),
])
def test_data_settings_are_checked_from_their_declared_ranges(options, message):
    with pytest.raises(RecurError, match=message):
        classify.ClassifyDataConfig(**options)
