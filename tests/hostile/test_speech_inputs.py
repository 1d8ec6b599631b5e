"""Hostile inputs to ``recur train speech``, ``recur eval`` and ``recur transcribe``: a corrupt,
truncated, stereo, empty or foreign WAV, a missing file, a folder without recordings or with a
misnamed one, an unknown speaker, settings out of range, a flag of the other kind of model, an
edited config.json; each ends in a non-zero exit and one line naming the problem."""

import itertools
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile

from recur.cli import main
from tests.conftest import SHARED_DATA


@pytest.fixture(scope="module")
def tiny_speech(tmp_path_factory):
    """``(fsdd folder, a digit model trained for 2 steps)``: one speaker, indices 0-10, as links."""
    source = Path(os.environ.get("RECUR_DATA", SHARED_DATA)) / "speech" / "fsdd" / "recordings"
    if not source.is_dir():
        pytest.skip(f"{source} not found: the Free Spoken Digit Dataset is not in this data root")
    base = tmp_path_factory.mktemp("speech_inputs")
    (base / "fsdd" / "recordings").mkdir(parents=True)
    for digit, index in itertools.product(range(10), range(11)):
        name = f"{digit}_theo_{index}.wav"
        (base / "fsdd" / "recordings" / name).symlink_to(source / name)
    out = base / "run"
    assert main(["train", "speech", "--data", str(base / "fsdd"), "--out", str(out), "--hidden", "8", "--layers", "1",
                 "--max-steps", "2", "--eval-every", "2"]) == 0
    return base / "fsdd", out


@pytest.fixture
def wav(tmp_path):
    def write(name: str, samples=None, rate=8000, raw: bytes | None = None) -> Path:
        path = tmp_path / name
        if raw is not None:
            path.write_bytes(raw)
        else:
            soundfile.write(path, np.zeros(800, np.float32) if samples is None else samples, rate, subtype="PCM_16")
        return path
    return write


def test_transcribing_bad_wavs(refused, tiny_speech, wav):
    _, run = tiny_speech
    good = wav("good.wav", 0.1 * np.sin(np.arange(2000, dtype=np.float32)))
    refused(["transcribe", run, wav("stereo.wav", np.zeros((800, 2), np.float32))], "stereo.wav", "2 channels")
    refused(["transcribe", run, wav("empty.wav", np.zeros(0, np.float32))], "empty.wav", "no samples")
    refused(["transcribe", run, wav("cut.wav", raw=good.read_bytes()[:600])], "cut.wav", "truncated")
    refused(["transcribe", run, wav("junk.wav", raw=b"RIFF\x04\x00\x00\x00WAVEfmt junk")], "junk.wav",
            "not a readable WAV")
    refused(["transcribe", run, wav("mp3.wav", raw=b"ID3\x03\x00" + bytes(100))], "mp3.wav", "not a WAV file")
    refused(["transcribe", run, good, good.parent / "gone.wav"], "gone.wav", "cannot read it")
    refused(["transcribe", run, wav("click.wav", np.full(10, 0.1, np.float32))], "click.wav", "too short")


def test_a_digit_model_refuses_the_beam(refused, tiny_speech, wav):
    _, run = tiny_speech
    refused(["transcribe", run, wav("one.wav"), "--beam", "4"], "--beam applies to a CTC model")
    refused(["transcribe", run, wav("one.wav"), "--beam", "0"], "--beam")


def test_transcribe_needs_a_speech_model(refused, tiny_charlm_dir, wav):
    refused(["transcribe", tiny_charlm_dir, wav("one.wav")], "a charlm model", "speech")


def test_training_on_bad_data_folders(refused, tiny_speech, tmp_path):
    folder, _ = tiny_speech
    refused(["train", "speech", "--data", tmp_path / "nowhere", "--out", tmp_path / "run"], "nowhere",
            "no such file")
    (tmp_path / "empty" / "recordings").mkdir(parents=True)
    refused(["train", "speech", "--data", tmp_path / "empty", "--out", tmp_path / "run"], "no recordings")
    refused(["train", "speech", "--data", tmp_path, "--out", tmp_path / "run2"], "recordings: not found")
    misnamed = tmp_path / "misnamed"
    shutil.copytree(folder, misnamed, symlinks=True)
    (misnamed / "recordings" / "3_theo_0.wav").rename(misnamed / "recordings" / "three.wav")
    refused(["train", "speech", "--data", misnamed, "--out", tmp_path / "run3"], "three.wav",
            "DIGIT_SPEAKER_INDEX")
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken, symlinks=True)
    (broken / "recordings" / "3_theo_10.wav").unlink()
    (broken / "recordings" / "3_theo_10.wav").write_bytes(b"RIFF\x04\x00\x00\x00WAVE")
    refused(["train", "speech", "--data", broken, "--out", tmp_path / "run4", "--max-steps", "1"], "3_theo_10.wav",
            "not a readable WAV")


def test_bad_settings(refused, tiny_speech, tmp_path):
    folder, _ = tiny_speech
    train = ["train", "speech", "--data", folder, "--out", tmp_path / "run", "--max-steps", "1"]
    refused([*train, "--held-out-speaker", "bob"], "unknown held-out speaker 'bob'", "theo")
    refused([*train, "--held-out-speaker", "theo"], "split", "empty")  # one speaker: no one left to train on
    refused([*train, "--min-digits", "5", "--max-digits", "3"], "min-digits")
    refused([*train, "--features", "spectrogram"], "--features", "invalid choice")
    refused([*train, "--output", "rnnt"], "--output", "invalid choice")
    refused([*train, "--speed-perturb", "0.9"], "speed-perturb")
    refused([*train, "--stack", "0"], "stack")
    refused([*train, "--feature-size", "nan"], "--feature-size")


def test_an_edited_config_is_refused(refused, tiny_speech, tmp_path, wav):
    _, run = tiny_speech
    copy = tmp_path / "copy"
    shutil.copytree(run / "best", copy)
    config = json.loads((copy / "config.json").read_text())
    config["model"]["output"] = "rnnt"
    (copy / "config.json").write_text(json.dumps(config))
    refused(["transcribe", copy, wav("one.wav")], "config.json", "output")
    config["model"]["output"] = "digit"
    config["data"]["features"] = "cepstrum"
    (copy / "config.json").write_text(json.dumps(config))
    refused(["eval", copy], "features")
