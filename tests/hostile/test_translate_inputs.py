"""Hostile inputs to ``recur train translate``, ``recur translate`` and ``recur eval`` on a translation
model: missing, misaligned, empty or undecodable corpus files, bad settings, bad sentences and edited
checkpoints; each ends in a non-zero exit and one line naming the problem."""

import gzip
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import TINY_TRANSLATE, write_reversal_corpus

STEPS = ["--max-steps", "1", "--eval-every", "1"]


@pytest.fixture(scope="module")
def good_corpus(tmp_path_factory) -> Path:
    return write_reversal_corpus(tmp_path_factory.mktemp("corpus") / "good", sizes=(300, 20, 20))


@pytest.fixture
def corpus(good_corpus, tmp_path) -> Path:
    """A copy of the good corpus to spoil."""
    return Path(shutil.copytree(good_corpus, tmp_path / "corpus"))


def lines_of(path: Path) -> list[str]:
    return gzip.decompress(path.read_bytes()).decode().splitlines()


def write_lines(path: Path, lines: list[str]) -> None:
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))


def train(corpus: Path, tmp_path: Path, *flags) -> list:
    return ["train", "translate", "--data", corpus, "--out", tmp_path / "run", *TINY_TRANSLATE, *STEPS, *flags]


def test_a_missing_split_is_named(refused, corpus, tmp_path):
    (corpus / "val.en.gz").unlink()
    refused(train(corpus, tmp_path), "val.en.gz: no such file", "line-aligned")


def test_a_missing_corpus_folder_is_named(refused, tmp_path):
    refused(train(tmp_path / "nowhere", tmp_path), "nowhere: no such file or folder")


def test_misaligned_line_counts_name_both_counts(refused, corpus, tmp_path):
    write_lines(corpus / "train.en.gz", lines_of(corpus / "train.en.gz")[:-3])
    refused(train(corpus, tmp_path), "train.de.gz has 300 lines", "train.en.gz has 297", "line-aligned")


def test_an_empty_line_pair_is_named_with_its_line(refused, corpus, tmp_path):
    lines = lines_of(corpus / "train.de.gz")
    lines[41] = "   "
    write_lines(corpus / "train.de.gz", lines)
    refused(train(corpus, tmp_path), "train.de.gz, line 42", "empty sentence")


@pytest.mark.parametrize("content, fragment", [
    (b"\x1f\x8b\x08\x00 not really gzip", "cannot be read"),
    (gzip.compress(b"caf\xe9\n" * 300), "not utf-8"),
])
def test_unreadable_files_are_named(refused, corpus, tmp_path, content, fragment):
    (corpus / "train.de.gz").write_bytes(content)
    refused(train(corpus, tmp_path), "train.de.gz", fragment)


@pytest.mark.parametrize("flags, fragments", [
    (["--target", "de"], ["source and target languages are both 'de'"]),
    (["--source", "xx"], ["invalid choice", "xx"]),
    (["--subwords", "4"], ["--subwords", "[8, 100000]"]),
    (["--attention", "dot"], ["dot attention needs", "bidirectional"]),
    (["--attention", "bahdanu"], ["invalid choice", "did you mean bahdanau?"]),
    (["--max-length", "1"], ["every training pair has more than 1 subwords"]),
    (["--batch-size", "0"], ["--batch-size", ">= 1"]),
])
def test_bad_settings(refused, good_corpus, tmp_path, flags, fragments):
    refused(train(good_corpus, tmp_path, *flags), *fragments)


@pytest.mark.parametrize("argv, fragments", [
    (["", "--beam", "0"], ["--beam", "[1, 100]"]),
    (["1 2", "--alpha", "nan"], ["--alpha", "finite"]),
    (["1 2", "--show-attention", "a.jpg"], ["ending in .png"]),
    (["1 2", ""], ["sentence 2 is empty"]),
])
def test_bad_translate_arguments(refused, tiny_translator_dir, argv, fragments):
    refused(["translate", tiny_translator_dir, *argv], *fragments)


def test_nothing_to_translate(refused, tiny_translator_dir, monkeypatch):
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO("\n  \n"))
    refused(["translate", tiny_translator_dir], "nothing to translate")


def test_a_model_without_attention_has_no_picture(refused, good_corpus, tmp_path):
    from recur.cli import main
    assert main([str(a) for a in train(good_corpus, tmp_path, "--attention", "none")]) == 0
    refused(["translate", tmp_path / "run", "1 2", "--show-attention", tmp_path / "a.png"], "no attention")


def test_eval_data_needs_its_partner_file(refused, tiny_translator_dir, tmp_path):
    (tmp_path / "mine.txt").write_text("1 2\n")
    refused(["eval", tiny_translator_dir, "--data", tmp_path / "mine.txt"], "name the source-language file")
    (tmp_path / "mine.de").write_text("1 2\n")
    refused(["eval", tiny_translator_dir, "--data", tmp_path / "mine.de"], "mine.en", "no such file")


@pytest.mark.parametrize("edit, fragments", [
    (lambda c: c.pop("subwords"), ["no subword models"]),
    (lambda c: c["subwords"].update(source="not base64!"), ["not base64"]),
    (lambda c: c["subwords"].update(source="AAAA"), ["not a sentencepiece model"]),
    (lambda c: c["model"].update(target_vocab=99), ["subword models of", "99"]),
])
def test_an_edited_checkpoint_is_refused(refused, tiny_translator_dir, tmp_path, edit, fragments):
    folder = Path(shutil.copytree(tiny_translator_dir / "best", tmp_path / "best"))
    config = json.loads((folder / "config.json").read_text())
    edit(config)
    (folder / "config.json").write_text(json.dumps(config))
    refused(["translate", folder, "1 2"], *fragments)


def test_resume_refuses_another_language(refused, tiny_translator_dir, tmp_path):
    run = Path(shutil.copytree(tiny_translator_dir, tmp_path / "run"))
    refused(["train", "translate", "--out", run, "--resume", "--target", "fr", "--max-steps", "400"],
            "cannot change --target when resuming", "'en'", "'fr'")
