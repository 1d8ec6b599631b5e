"""Hostile inputs to ``recur train babi`` and ``recur ask``: bad task ids and numbers, malformed bAbI
files, an empty question or story; each ends in a non-zero exit and one line naming the problem."""

from pathlib import Path

import pytest

from recur.cli import main

LINES = ["1 Mary moved to the bathroom.", "2 John went to the hallway.", "3 Where is Mary?\tbathroom\t1",
         "4 Daniel went back to the hallway.", "5 Where is Daniel?\thallway\t4"]
TINY = ["--dim", "4", "--max-steps", "1", "--eval-every", "1"]


def write_babi(folder: Path, bad_line: str | None = None) -> Path:
    """A tiny babi folder holding task 1 (1k); ``bad_line`` ends its training file."""
    (folder / "en").mkdir(parents=True, exist_ok=True)
    train = LINES * 4 + ([bad_line] if bad_line else [])
    (folder / "en" / "qa1_single-supporting-fact_train.txt").write_text("\n".join(train) + "\n")
    (folder / "en" / "qa1_single-supporting-fact_test.txt").write_text("\n".join(LINES) + "\n")
    return folder


@pytest.fixture(scope="module")
def babi_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("babi")
    out = root / "run"
    assert main(["train", "babi", "--data", str(write_babi(root / "babi")), "--out", str(out), *TINY]) == 0
    return out


@pytest.mark.parametrize("flags, fragments", [
    (["--task-id", "21"], ("--task-id", "21")),
    (["--task-id", "0"], ("--task-id", "'0'")),
    (["--task-id", "one"], ("--task-id", "one")),
    (["--version", "100k"], ("--version", "100k")),
    (["--held-out", "1.5"], ("--held-out", "1.5")),
    (["--held-out", "0"], ("--held-out", "0")),
    (["--time-noise", "nan"], ("--time-noise", "finite")),
    (["--dim", "0"], ("--dim", "got 0")),
    (["--hops", "0"], ("--hops", "0")),
    (["--memory-slots", "-3"], ("--memory-slots", "-3")),
    (["--batch-size", "0"], ("--batch-size", ">= 1")),
    (["--linear-start-epochs", "-1"], ("--linear-start-epochs", "-1")),
    (["--halve-every", "2.5"], ("--halve-every", "integer")),
    (["--model", "gru"], ("--model", "gru")),
])
def test_bad_settings_are_refused(refused, tmp_path, flags, fragments):
    refused(["train", "babi", "--data", write_babi(tmp_path / "babi"), "--out", tmp_path / "run", *flags, *TINY],
            *fragments)


@pytest.mark.parametrize("bad_line, fragments", [
    ("Mary moved.", ("qa1_single-supporting-fact_train.txt, line 21", "expected 'ID text'")),
    ("7 Where is Mary?\tbathroom\t1", ("line 21", "ID 7 follows ID 5")),
    ("6 Where is Mary?\tbathroom", ("line 21", "2 tab-separated fields")),
    ("6 ?\tbathroom\t1", ("line 21", "the question is empty")),
    ("6 Where is Mary?\tbathroom\t9", ("line 21", "supporting fact '9'")),
])
def test_a_malformed_file_is_refused_naming_file_and_line(refused, tmp_path, bad_line, fragments):
    refused(["train", "babi", "--data", write_babi(tmp_path / "babi", bad_line), "--out", tmp_path / "run", *TINY],
            *fragments)


def test_missing_data_and_the_missing_10k_file_are_refused(refused, tmp_path):
    refused(["train", "babi", "--data", tmp_path / "nowhere", "--out", tmp_path / "run", *TINY], "nowhere",
            "no such file or folder")
    refused(["train", "babi", "--data", write_babi(tmp_path / "babi"), "--task-id", "2", "--out", tmp_path / "run",
             *TINY], "no qa2_*_train.txt file")
    refused(["train", "babi", "--data", write_babi(tmp_path / "babi"), "--task-id", "3", "--version", "10k",
             "--out", tmp_path / "run", *TINY], "qa3", "is missing", "--version 1k")


@pytest.mark.parametrize("story, question, fragments", [
    ("1 Mary moved to the bathroom.\n", "?", ("the question is empty",)),
    ("1 Mary moved to the bathroom.\n", "   ", ("the question is empty",)),
    ("\n\n", "Where is Mary?", ("story.txt",)),
    ("1 .\n", "Where is Mary?", ("story.txt has no sentences",)),
    ("1 Mary moved.\n2 Where is Mary?\tbathroom\t1\n", "Where is Mary?", ("story.txt, line 2", "a question line")),
    ("1 Mary moved to the very very long bathroom.\n", "Where is Mary?", ("8 words", "at most 6")),
])
def test_ask_refuses_a_bad_story_or_question(refused, babi_dir, tmp_path, story, question, fragments):
    path = tmp_path / "story.txt"
    path.write_text(story)
    refused(["ask", babi_dir, "--story", path, "--question", question], *fragments)


def test_ask_refuses_a_missing_story(refused, babi_dir, tmp_path):
    refused(["ask", babi_dir, "--story", tmp_path / "nope.txt", "--question", "Where is Mary?"], "nope.txt",
            "no such file")
