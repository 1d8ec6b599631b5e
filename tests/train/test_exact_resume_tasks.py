"""Exact resume for every task, through the shell: 4 steps, then --resume to 8, give bit-identical
weights to 8 steps straight (dropout on, so the saved RNG state and the data position matter)."""

import pytest
import torch

from recur.cli import main
from recur.train import checkpoint

CONSTANT = ["--schedule", "constant", "--eval-every", "3", "--lr", "0.01"]


def task_flags(name, request) -> list[str]:
    if name == "charlm":
        text = request.getfixturevalue("shakespeare_file")
        return ["--data", str(text), "--hidden", "16", "--layers", "2", "--embedding", "8", "--dropout", "0.3",
                "--seq-len", "16", "--batch-size", "4"]
    if name == "wordlm":
        return ["--data", str(request.getfixturevalue("small_ptb")), "--hidden", "16", "--embedding", "16",
                "--layers", "2", "--dropout", "0.3", "--seq-len", "10", "--batch-size", "4"]
    if name == "classify":
        return ["--data", str(request.getfixturevalue("small_sst")), "--hidden", "16", "--embedding", "16",
                "--batch-size", "8", "--dropout", "0.3", "--train-set", "sentences"]
    return ["--series", "airline", "--hidden", "16", "--layers", "2", "--dropout", "0.3", "--batch-size", "8"]


@pytest.mark.parametrize("task", ["charlm", "wordlm", "classify", "forecast"])
def test_four_plus_four_resumed_steps_equal_eight_straight(task, request, tmp_path, capsys):
    flags = [*task_flags(task, request), *CONSTANT]
    assert main(["train", task, "--out", str(tmp_path / "straight"), "--max-steps", "8", *flags]) == 0
    assert main(["train", task, "--out", str(tmp_path / "split"), "--max-steps", "4", *flags]) == 0
    halfway = checkpoint.read_tensors(tmp_path / "split" / "last", "model")
    assert main(["train", task, "--out", str(tmp_path / "split"), "--resume", "--max-steps", "8"]) == 0
    capsys.readouterr()
    straight, split = (checkpoint.read_tensors(tmp_path / run / "last", "model") for run in ("straight", "split"))
    assert straight.keys() == split.keys()
    assert any(not torch.equal(halfway[name], split[name]) for name in split)  # the resumed steps trained
    for name in straight:
        torch.testing.assert_close(split[name], straight[name], rtol=0, atol=0)
