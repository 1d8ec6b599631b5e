"""Hostile inputs to the NTM's tasks (``recur train copy``, ``repeat-copy``, ``associative-recall``)
and to ``recur recall``: each is refused with a non-zero exit and one line naming the problem."""

from pathlib import Path

import pytest

from recur.cli import main

TINY = ["--hidden", "8", "--memory-slots", "4", "--memory-width", "3", "--batch-size", "2", "--max-length", "3"]


@pytest.fixture(scope="module")
def copy_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("copy") / "run"
    assert main(["train", "copy", "--out", str(out), *TINY, "--max-steps", "1"]) == 0
    return out


TRAIN_FLAGS = {
    "bits 0": ("copy", ["--bits", "0"], "--bits", "got 0"),
    "min length 0": ("copy", ["--min-length", "0"], "--min-length", "got 0"),
    "lengths crossed": ("copy", ["--min-length", "5", "--max-length", "2"], "min-length 5 is above max-length 2"),
    "length nan": ("copy", ["--max-length", "nan"], "--max-length", "integer"),
    "length huge": ("copy", ["--max-length", "100000"], "--max-length", "in [1, 10000], got 100000"),
    "batch 0": ("copy", ["--batch-size", "0"], "--batch-size", "got 0"),
    "data seed -1": ("copy", ["--data-seed", "-1"], "--data-seed", "got -1"),
    "slots 0": ("copy", ["--memory-slots", "0"], "--memory-slots", "got 0"),
    "width 0": ("copy", ["--memory-width", "0"], "--memory-width", "got 0"),
    "heads 0": ("copy", ["--read-heads", "0"], "--read-heads", "got 0"),
    "shift -1": ("copy", ["--shift-range", "-1"], "--shift-range", "got -1"),
    "memory init inf": ("copy", ["--memory-init", "inf"], "--memory-init", "finite"),
    "memory init 2": ("copy", ["--memory-init", "2"], "--memory-init", "in [-1, 1]"),
    "unknown model": ("copy", ["--model", "gpt"], "--model", "invalid choice"),
    "unknown controller": ("copy", ["--controller", "tape"], "--controller", "invalid choice"),
    "a data file": ("copy", ["--data", "x.txt"], "--data", "reads no file"),
    "repeats crossed": ("repeat-copy", ["--min-repeats", "4", "--max-repeats", "2"], "min-repeats 4 is above"),
    "repeats 0": ("repeat-copy", ["--min-repeats", "0"], "--min-repeats", "got 0"),
    "one item": ("associative-recall", ["--min-length", "1"], "--min-length", ">= 2"),
    "item length 0": ("associative-recall", ["--item-length", "0"], "--item-length", "got 0"),
    "a copy flag to recall": ("associative-recall", ["--min-repeats", "2"], "unrecognized arguments"),
}


@pytest.mark.parametrize("case", TRAIN_FLAGS, ids=list(TRAIN_FLAGS))
def test_bad_training_flags_are_refused(case, refused, tmp_path):
    task, flags, *fragments = TRAIN_FLAGS[case]
    refused(["train", task, "--out", tmp_path / "run", *TINY[:6], "--max-steps", "1", *flags], *fragments)
    assert not (tmp_path / "run" / "last").exists()


RECALL_FLAGS = {
    "length 0": (["--lengths", "0"], "--lengths", "got 0"),
    "length huge": (["--lengths", "5,100000"], "--lengths", "in [1, 1000], got 100000"),
    "length text": (["--lengths", "5,ten"], "--lengths", "integer"),
    "lengths empty": (["--lengths", ""], "--lengths", "integer"),
    "length twice": (["--lengths", "5,5"], "--lengths", "twice"),
    "sequences 0": (["--sequences", "0"], "--sequences", "got 0"),
    "seed -1": (["--seed", "-1"], "--seed", "got -1"),
    "out not png": (["--out", "w.jpg"], "--out", ".png"),
    "draw length alone": (["--draw-length", "5"], "--draw-length needs --out"),
    "draw length 0": (["--draw-length", "0", "--out", "w.png"], "--draw-length", "got 0"),
}


@pytest.mark.parametrize("case", RECALL_FLAGS, ids=list(RECALL_FLAGS))
def test_bad_recall_flags_are_refused(case, copy_dir, refused):
    flags, *fragments = RECALL_FLAGS[case]
    refused(["recall", copy_dir, *flags], *fragments)


def test_recall_refuses_a_folder_as_out_a_missing_checkpoint_and_another_task(copy_dir, refused, tmp_path,
                                                                          tiny_charlm_dir):
    refused(["recall", copy_dir, "--out", tmp_path], "is a folder")
    refused(["recall", tmp_path / "nothing"], "no such checkpoint folder")
    refused(["recall", tiny_charlm_dir], "a charlm model", "copy or repeat-copy or associative-recall")


def test_eval_with_a_data_file_is_refused(copy_dir, refused, tmp_path):
    (tmp_path / "x.txt").write_text("0101\n")
    refused(["eval", copy_dir, "--data", tmp_path / "x.txt"], "reads no file", "recur recall")


def test_resume_refuses_a_changed_length(copy_dir, refused):
    refused(["train", "copy", "--out", copy_dir, "--resume", "--max-length", "9"], "cannot change --max-length")
