"""Hostile inputs to ``recur train caption``, ``recur caption`` and ``recur eval`` on a captioner: a
file that is no image, a blank picture, a missing one, a data file that is not read, a model of
another task; each ends in a non-zero exit and one line naming the problem."""

import numpy as np
import pytest

TINY = ["--channels", "4", "--hidden", "8", "--embedding", "4", "--batch-size", "8", "--val-strips", "10",
        "--test-strips", "10"]


@pytest.fixture(scope="module")
def captioner(tmp_path_factory):
    from recur.cli import main
    out = tmp_path_factory.mktemp("cap") / "run"
    assert main(["train", "caption", *TINY, "--out", str(out), "--max-steps", "1"]) == 0
    return out


def test_a_file_that_is_no_image(refused, captioner, tmp_path):
    (tmp_path / "notes.png").write_text("hello")
    refused(["caption", captioner, tmp_path / "notes.png"], "notes.png", "not an image")


def test_a_blank_picture(refused, captioner, tmp_path):
    from PIL import Image
    Image.fromarray(np.zeros((30, 90), dtype=np.uint8)).save(tmp_path / "blank.png")
    refused(["caption", captioner, tmp_path / "blank.png"], "blank.png", "no ink")


def test_a_missing_picture(refused, captioner, tmp_path):
    refused(["caption", captioner, tmp_path / "gone.png"], "gone.png", "no such image")


def test_nothing_to_caption_or_a_strip_past_the_test_set(refused, captioner):
    refused(["caption", captioner], "nothing to caption")
    refused(["caption", captioner, "--test-strip", "10"], "--test-strip 10", "10 strips")
    refused(["caption", captioner, "--test-strip", "-1"], "--test-strip")


def test_a_data_file_is_not_read(refused, captioner, tmp_path):
    refused(["train", "caption", "--data", tmp_path, "--out", tmp_path / "run", "--max-steps", "1"], "--data")
    refused(["eval", captioner, "--data", tmp_path / "x.png"], "reads no --data file")


def test_bad_settings(refused, tmp_path):
    refused(["train", "caption", "--out", tmp_path / "r", "--max-digits", "6"], "max-digits")
    refused(["train", "caption", "--out", tmp_path / "r", "--style", "poem"], "style")


def test_a_model_of_another_task(refused, tiny_charlm_dir, tmp_path):
    refused(["caption", tiny_charlm_dir, tmp_path / "x.png"], "caption")
