"""Word-level language model on real Penn Treebank text: vocabulary, data root, a short run that
beats the unigram model, and the shell commands."""

import json
import math

import pytest

from recur import load
from recur.cli import main
from recur.data import WordVocab, find_data, words_of
from recur.errors import RecurError
from recur.models.unigram import unigram_loss
from recur.tasks import wordlm

TINY = ["--hidden", "64", "--embedding", "64", "--layers", "1", "--seq-len", "20", "--batch-size", "16"]


def test_words_and_eos():
    assert words_of(" the cat \n sat \n") == ["the", "cat", "<eos>", "sat", "<eos>"]
    vocab = WordVocab.from_text("b a \n a \n")
    assert vocab.words == ["<eos>", "a", "b"]  # most frequent first, ties alphabetical
    assert vocab.decode(vocab.encode("a b\n").tolist()) == " a b\n"


def test_unknown_words_map_to_unk_or_are_refused():
    assert WordVocab(["<unk>", "a", "<eos>"]).encode("a zebra").tolist() == [1, 0, 2]
    with pytest.raises(RecurError, match="1 words the vocabulary does not know: 'zebra'"):
        WordVocab(["a", "<eos>"]).encode("a zebra", "the test split")


def test_missing_data_is_refused_naming_path_file_and_source(tmp_path, monkeypatch):
    monkeypatch.delenv("RECUR_DATA", raising=False)
    with pytest.raises(RecurError, match="set RECUR_DATA .* holding ptb .*published at"):
        find_data("ptb", "somewhere")
    monkeypatch.setenv("RECUR_DATA", str(tmp_path))
    with pytest.raises(RecurError, match=f"{tmp_path}/ptb: not found.*should hold ptb"):
        wordlm.ptb_folder()
    (tmp_path / "ptb").mkdir()
    with pytest.raises(RecurError, match="no ptb.train.txt or ptb.train.txt.gz"):
        wordlm.read_split(tmp_path / "ptb", "train")


@pytest.mark.slow
def test_a_short_run_beats_the_unigram_model(small_ptb, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "wordlm", "--data", str(small_ptb), "--out", str(out), "--max-steps", "400",
                 "--eval-every", "400", "--lr", "0.01", *TINY]) == 0
    capsys.readouterr()
    assert main(["eval", str(out)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(result) == {"valid", "test"} and result["valid"]["words"] == len(
        words_of(wordlm.read_split(small_ptb, "valid")))
    lm = load(out)
    unigram = math.exp(unigram_loss(*(lm.vocab.encode(wordlm.read_split(small_ptb, split)).tolist()
                                      for split in ("train", "valid"))))
    assert result["valid"]["perplexity"] < 0.85 * unigram, (result["valid"]["perplexity"], unigram)
    assert result["valid"]["perplexity"] == pytest.approx(math.exp(result["valid"]["loss"]))


def test_shell_train_resume_sample_from_the_data_root(small_ptb, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RECUR_DATA", str(small_ptb.parent))
    out = tmp_path / "run"
    assert main(["train", "wordlm", "--out", str(out), "--max-steps", "3", "--eval-every", "3", *TINY]) == 0
    assert json.loads((out / "last" / "config.json").read_text())["data"]["source"] == str(small_ptb.resolve())
    assert main(["train", "wordlm", "--out", str(out), "--resume", "--max-steps", "5"]) == 0
    capsys.readouterr()
    assert main(["sample", str(out), "--prime", "the company", "--length", "12", "--seed", "3"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("the company ") and len(text.replace("\n", " <eos> ").split()) == 2 + 12
    assert main(["sample", str(out), "--prime", "the", "--length", "8", "--beam", "3", "--stop", "<eos>"]) == 0
    assert main(["train", "charlm", "--out", str(out), "--resume"]) == 2
    assert "holds a wordlm checkpoint, not charlm" in capsys.readouterr().err
    assert main(["train", "wordlm", "--out", str(tmp_path / "x"), "--val-fraction", "0.2"]) == 2
    assert "unrecognized arguments: --val-fraction 0.2" in capsys.readouterr().err


def test_tied_weights_train_save_and_load_as_one_matrix(small_ptb, tmp_path, capsys):
    out = tmp_path / "tied"
    assert main(["train", "wordlm", "--data", str(small_ptb), "--out", str(out), "--max-steps", "3",
                 "--eval-every", "3", "--tie-weights", *TINY]) == 0
    lm = load(out)
    assert lm.model.head.weight is lm.model.embed.weight
    assert main(["sample", str(out), "--length", "5", "--seed", "1"]) == 0  # through the engine
    assert main(["train", "wordlm", "--data", str(small_ptb), "--out", str(tmp_path / "bad"), "--max-steps", "1",
                 "--tie-weights", "--hidden", "32", "--embedding", "16"]) == 2
    assert "tied weights need the embedding size to equal the hidden size" in capsys.readouterr().err
