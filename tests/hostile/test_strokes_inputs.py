"""Hostile inputs to ``recur train strokes``, ``recur eval`` and ``recur sample`` on a stroke model:
an npz that is not one, a pickled array, a missing file, an edited config.json; each ends in a
non-zero exit and one line naming the problem."""

import json
import shutil

import numpy as np
import pytest

from tests.conftest import write_stroke_set


def test_training_on_bytes_that_are_not_an_npz(refused, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    refused(["train", "strokes", "--data", bad, "--out", tmp_path / "run", "--max-steps", "1"], "bad.npz",
            "not a stroke-3 .npz")


def test_training_on_a_pickled_archive(refused, tmp_path):
    arrays = dict(np.load(write_stroke_set(tmp_path / "good.npz")))
    arrays["train_points"] = np.array([np.zeros((2, 3))], dtype=object)
    np.savez(tmp_path / "pickled.npz", **arrays)
    refused(["train", "strokes", "--data", tmp_path / "pickled.npz", "--out", tmp_path / "run", "--max-steps", "1"],
            "pickled.npz", "not a stroke-3 .npz")


def test_training_on_a_missing_file_or_set(refused, tmp_path):
    refused(["train", "strokes", "--data", tmp_path / "gone.npz", "--out", tmp_path / "run"], "gone.npz",
            "no such file")
    refused(["train", "strokes", "--set", "iam", "--out", tmp_path / "run"], "--set", "invalid choice")
    refused(["train", "strokes", "--memory", "some", "--out", tmp_path / "run"], "--memory", "invalid choice")


def test_evaluating_a_file_that_holds_no_test_split(refused, tiny_strokes_dir, tmp_path):
    np.savez(tmp_path / "train_only.npz", train_points=np.zeros((2, 3), np.int16), train_offsets=np.array([0, 2]))
    refused(["eval", tiny_strokes_dir, "--data", tmp_path / "train_only.npz"], "no 'test_points' array")


@pytest.mark.parametrize("drawing", [None, {"scale": -1, "starts": [[0, 0, 0]], "lengths": [0, 1]},
                                     {"scale": 1, "starts": [["a", 0, 0]], "lengths": [1]},
                                     {"scale": 1, "starts": [[0, 0, 0]], "lengths": [0.5]},
                                     {"scale": 1, "starts": [], "lengths": [1]},
                                     {"scale": 1, "starts": [[0, 0]], "lengths": [1]}, "big"])
def test_an_edited_config_is_refused(refused, tiny_strokes_dir, tmp_path, drawing):
    copy = tmp_path / "copy"
    shutil.copytree(tiny_strokes_dir / "best", copy)
    config = json.loads((copy / "config.json").read_text())
    config["drawing"] = drawing
    (copy / "config.json").write_text(json.dumps(config))
    refused(["sample", copy, "--out", tmp_path / "x.svg"], "drawing")
