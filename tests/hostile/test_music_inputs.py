"""Hostile inputs to ``recur train music``, ``recur eval`` and ``recur sample`` on a music model: a
piano-roll file that is not JSON, a pitch off the keyboard, a missing file, an edited config.json;
each ends in a non-zero exit and one line naming the problem."""

import json
import shutil

import pytest


@pytest.fixture
def roll_file(tmp_path):
    def write(content) -> str:
        path = tmp_path / "rolls.json"
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        return str(path)
    return write


def test_training_on_a_file_that_is_not_json(refused, roll_file, tmp_path):
    refused(["train", "music", "--data", roll_file("[[[60"), "--out", tmp_path / "run", "--max-steps", "1"],
            "rolls.json", "not json")


def test_training_on_a_pitch_off_the_keyboard(refused, roll_file, tmp_path):
    rolls = {"train": [[[60], [7]]], "valid": [[[60]]], "test": [[[60]]]}
    refused(["train", "music", "--data", roll_file(rolls), "--out", tmp_path / "run", "--max-steps", "1"],
            "rolls.json: train piece 0, time step 1", "7 is not a piano key")


def test_training_on_a_missing_file_or_set(refused, tmp_path):
    refused(["train", "music", "--data", tmp_path / "gone.json", "--out", tmp_path / "run"], "gone.json",
            "no such file")
    refused(["train", "music", "--set", "bach", "--out", tmp_path / "run"], "--set", "invalid choice")
    refused(["train", "music", "--transpose", "13", "--out", tmp_path / "run"], "--transpose")


def test_evaluating_a_file_that_holds_no_test_split(refused, roll_file, tiny_music_dir):
    refused(["eval", tiny_music_dir, "--data", roll_file({"train": [[[60]]]})], "no 'test' list")


def test_an_edited_config_is_refused(refused, tiny_music_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(tiny_music_dir / "best", copy)
    config = json.loads((copy / "config.json").read_text())
    config["openings"] = [[200]]
    (copy / "config.json").write_text(json.dumps(config))
    refused(["sample", copy, "--out", tmp_path / "x.mid"], "openings")
