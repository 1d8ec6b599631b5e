"""The NTM's tasks through ``recur train``: a tiny NTM learns to copy, training resumes exactly
(the data generator's state is in the checkpoint), each task's sequences are laid out as the paper
describes, and ``recur recall`` scores and draws a model at other lengths."""

import json

import pytest
import torch
from safetensors.torch import load_file

from recur.cli import main
from recur.tasks import TASKS, load
from recur.tasks.ntm_copy import CopyData
from recur.tasks.ntm_recall import RecallData
from recur.tasks.ntm_repeat_copy import RepeatCopyData

TINY_NTM = ["--hidden", "16", "--memory-slots", "8", "--memory-width", "4"]


def test_a_tiny_ntm_learns_to_copy_three_vectors(tmp_path, last_json):
    out = tmp_path / "copy"
    assert main(["train", "copy", "--out", str(out), "--hidden", "32", "--memory-slots", "8", "--memory-width", "6",
                 "--bits", "4", "--min-length", "3", "--max-length", "3", "--batch-size", "32", "--lr", "0.03",
                 "--max-steps", "400", "--eval-every", "400", "--seed", "0"]) == 0
    assert main(["eval", str(out)]) == 0
    scores = last_json()
    assert scores["test"]["bit_errors"] <= 0.1, scores  # of 12 bits per sequence; chance is 6
    assert scores["test"]["sequences"] == 16


@pytest.mark.parametrize("task", ["copy", "repeat-copy", "associative-recall"])
def test_training_resumes_exactly(task, tmp_path):
    """4 steps straight give the weights of 2 steps, then 2 more resumed: the same sequences are drawn
    (a constant learning rate: a cosine schedule follows each session's own budget)."""
    flags = ["--batch-size", "2", "--max-length", "3", *TINY_NTM, "--eval-every", "2", "--schedule", "constant"]
    assert main(["train", task, "--out", str(tmp_path / "straight"), *flags, "--max-steps", "4"]) == 0
    assert main(["train", task, "--out", str(tmp_path / "split"), *flags, "--max-steps", "2"]) == 0
    assert main(["train", task, "--out", str(tmp_path / "split"), "--resume", "--max-steps", "4"]) == 0
    straight = load_file(tmp_path / "straight" / "last" / "model.safetensors")
    resumed = load_file(tmp_path / "split" / "last" / "model.safetensors")
    assert straight.keys() == resumed.keys()
    for name in straight:
        assert torch.equal(straight[name], resumed[name]), name


def test_copy_sequences_are_the_papers():
    batch = CopyData(bits=3).batch(2, 4, torch.Generator().manual_seed(0))
    assert batch.inputs.shape == (2, 9, 4) and batch.targets.shape == (2, 9, 3)
    assert torch.equal(batch.targets[:, 5:], batch.inputs[:, :4, :3])  # written back after the delimiter
    assert batch.inputs[:, 4].tolist() == [[0, 0, 0, 1]] * 2 and not batch.inputs[:, 5:].any()
    assert batch.scored.tolist() == [[False] * 5 + [True] * 4] * 2


def test_repeat_copy_writes_the_sequence_r_times_then_an_end_marker():
    data = RepeatCopyData(bits=3, min_repeats=1, max_repeats=3)
    batch = data.batch(4, 2, torch.Generator().manual_seed(1))
    for row in range(4):
        repeats = round(float(batch.inputs[row, 2, 4]) * (2 / 3) ** 0.5 + 2)  # undo (R - 2) / sqrt(2/3)
        end = 3 + 2 * repeats
        copies = batch.targets[row, 3:end, :3]
        assert torch.equal(copies, batch.inputs[row, :2, :3].repeat(repeats, 1))
        assert batch.targets[row, end].tolist() == [0, 0, 0, 1] and int(batch.scored[row].sum()) == 2 * repeats + 1


def test_associative_recall_answers_the_item_after_the_query():
    data = RecallData(bits=2, item_length=2)
    batch = data.batch(8, 3, torch.Generator().manual_seed(2))
    assert batch.inputs.shape == (8, 3 * 3 + 3 + 1 + 2, 4)
    for row in range(8):
        items = batch.inputs[row, :9].view(3, 3, 4)[:, 1:, :2]  # [K, item_length, bits]
        assert batch.inputs[row, :9:3, 2].tolist() == [1, 1, 1]
        query = batch.inputs[row, 10:12, :2]
        answer = batch.targets[row, -2:]
        assert any(torch.equal(items[k], query) and torch.equal(items[k + 1], answer) for k in range(2))


def test_recall_scores_other_lengths_and_draws_the_weightings(tmp_path, last_json):
    out = tmp_path / "copy"
    assert main(["train", "copy", "--out", str(out), *TINY_NTM, "--batch-size", "2", "--max-steps", "1"]) == 0
    assert main(["recall", str(out), "--lengths", "2,5", "--sequences", "3", "--out", str(tmp_path / "w.png")]) == 0
    report = last_json()
    assert set(report["lengths"]) == {"2", "5"} and report["model"] == "ntm" and report["trained_lengths"] == [1, 20]
    assert 0 <= report["lengths"]["5"]["bit_errors"] <= 40 and (tmp_path / "w.png").stat().st_size > 1000
    ready = load(out)
    assert ready.at_lengths([5], 3, 0) == {5: report["lengths"]["5"]}  # the same seed, the same sequences


def test_the_lstm_baseline_trains_on_the_same_task(tmp_path, last_json):
    out = tmp_path / "lstm"
    assert main(["train", "associative-recall", "--out", str(out), "--model", "lstm", "--hidden", "8",
                 "--batch-size", "2", "--max-steps", "2"]) == 0
    assert main(["recall", str(out), "--lengths", "3", "--sequences", "2", "--out", str(tmp_path / "l.png")]) == 0
    assert last_json()["model"] == "lstm"
    assert json.loads((out / "last" / "config.json").read_text())["model"]["input_size"] == 8


def test_each_task_is_registered_once():
    assert {"copy", "repeat-copy", "associative-recall"} <= set(TASKS)
