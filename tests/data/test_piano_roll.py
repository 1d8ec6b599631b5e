"""The piano-roll reader: the benchmark layout read into [T, 88] rolls, and every malformed file
refused in one line naming the file and where in it the problem lies."""

import gzip
import json

import numpy as np
import pytest

from recur.data.piano_roll import KEYS, LOWEST, pitches, read_piano_rolls, set_path, transposed
from recur.errors import RecurError

GOOD = {"train": [[[60, 64], [], [108]]], "valid": [[[21]]], "test": [[[60], [62]]]}


def write(tmp_path, content, name="rolls.json", zipped=False):
    path = tmp_path / name
    raw = (content if isinstance(content, bytes) else json.dumps(content).encode())
    path.write_bytes(gzip.compress(raw) if zipped else raw)
    return path


@pytest.mark.parametrize("zipped", [False, True])
def test_a_file_reads_into_rolls_and_back(tmp_path, zipped):
    rolls = read_piano_rolls(write(tmp_path, GOOD, zipped=zipped))
    train = rolls["train"][0]
    assert train.shape == (3, KEYS) and train.dtype == np.uint8
    assert train[0, 60 - LOWEST] == train[0, 64 - LOWEST] == 1 and train[0].sum() == 2 and train[1].sum() == 0
    assert pitches(train) == GOOD["train"][0]


def test_transposition_moves_keys_and_drops_those_pushed_off():
    roll = read_piano_rolls_roll([[21, 60], [108]])
    assert pitches(transposed(roll, 2)) == [[23, 62], []]
    assert pitches(transposed(roll, -1)) == [[59], [107]]


def read_piano_rolls_roll(steps):
    from recur.data.piano_roll import piece_roll
    return piece_roll(steps, "here")


@pytest.mark.parametrize("content, fragment", [
    (b"\xff\xfe", "not UTF-8"),
    (b"{\"train\": [", "not JSON"),
    (b"[1, 2]", "expected a JSON object"),
    ({"train": [], "valid": [[[60]]], "test": [[[60]]]}, "'train' split holds no piece"),
    ({"valid": [[[60]]], "test": [[[60]]]}, "no 'train' list"),
    ({**GOOD, "test": [[]]}, "test piece 0: expected a non-empty list"),
    ({**GOOD, "test": [[[60], 61]]}, "test piece 0, time step 1: expected a list of MIDI pitches, got int"),
    ({**GOOD, "test": [[[60], [20]]]}, "20 is not a piano key's MIDI pitch (21..108)"),
    ({**GOOD, "test": [[[109]]]}, "109 is not a piano key"),
    ({**GOOD, "test": [[[60.5]]]}, "60.5 is not a piano key"),
    ({**GOOD, "test": [[[True]]]}, "True is not a piano key"),
    ({**GOOD, "test": [[["60"]]]}, "'60' is not a piano key"),
    ({**GOOD, "test": [[[float("nan")]]]}, "not a piano key"),
])
def test_malformed_files_are_refused_naming_the_problem(tmp_path, content, fragment):
    path = write(tmp_path, content)
    with pytest.raises(RecurError) as refusal:
        read_piano_rolls(path)
    assert str(path) in str(refusal.value) and fragment in str(refusal.value)


def test_a_damaged_gzip_and_a_missing_file_are_refused(tmp_path):
    path = tmp_path / "rolls.json.gz"
    path.write_bytes(gzip.compress(json.dumps(GOOD).encode())[:30])
    with pytest.raises(RecurError, match="damaged gzip"):
        read_piano_rolls(path)
    with pytest.raises(RecurError, match="no such file"):
        set_path("jsb", tmp_path / "absent.json")
    with pytest.raises(RecurError, match="unknown music set 'bach'"):
        set_path("bach")
