"""The music task end to end on a repeated chord progression: a tiny model learns it (the NLL per
step falls from 88·log 2 to under a nat), the pooled NLL is the field's formula on a hand-computed
case, training resumes exactly, and ``recur sample`` writes MIDI, a piano roll and (where FluidSynth
is installed) WAV, primed from a test piece or not."""

import json
import math

import numpy as np
import pytest
import torch

from recur.cli import main
from recur.data.midi_file import read_midi
from recur.data.piano_roll import KEYS, LOWEST
from recur.generate.music_audio import audio_unavailable
from recur.models.polyphonic import PolyphonicConfig, PolyphonicRNN
from recur.tasks import load
from recur.tasks.music import MusicDataConfig, MusicModel, pooled_nll


def test_a_repeated_progression_becomes_predictable(tiny_music_dir, last_json, progression):
    PROGRESSION = progression[1]
    assert main(["eval", str(tiny_music_dir)]) == 0
    scores = last_json()
    assert scores["test"]["nll"] < 1.0 < 88 * math.log(2)  # an untrained model is near 88·log 2 ≈ 61
    assert scores["test"]["steps"] == sum(len(p) - 1 for p in json.loads(
        (tiny_music_dir.parent / "progression.json").read_text())["test"])
    model = load(tiny_music_dir)
    roll = model.sample(8, temperature=0, seed=0)  # greedy, from one of the training openings
    chords = [sorted(int(k) + LOWEST for k in np.flatnonzero(step)) for step in roll]
    first = PROGRESSION.index(chords[0])
    assert chords == [sorted(PROGRESSION[(first + t) % 4]) for t in range(9)]


def test_the_pooled_nll_is_the_fields_formula():
    """Every key at p = 0.25: pieces of 3 and 2 steps give 2 + 1 predictions; the score is their
    summed NLL over the 3 predicted steps (the first step of each piece is not predicted)."""
    model = PolyphonicRNN(PolyphonicConfig(cell="lstm", hidden=4))
    with torch.no_grad():
        model.out.weight.zero_()
        model.out.bias.fill_(math.log(0.25 / 0.75))
    pieces = [np.zeros((3, KEYS), np.uint8), np.zeros((2, KEYS), np.uint8)]
    pieces[0][1, [1, 2]] = 1  # predicted: 2 keys sounding
    pieces[0][2, [5]] = 1  # predicted: 1
    pieces[1][0, [7, 8, 9]] = 1  # the first step: not predicted
    cost = lambda k: -(k * math.log(0.25) + (KEYS - k) * math.log(0.75))  # noqa: E731
    nll, steps = pooled_nll(model, pieces, torch.device("cpu"))
    assert steps == 3 and nll == pytest.approx((cost(2) + cost(1) + cost(0)) / 3, rel=1e-6)
    ready = MusicModel(model, MusicDataConfig(), [[60]])
    assert ready.count(pieces) == 3 and ready.evaluate(pieces)["nll"] == pytest.approx(nll)


@pytest.mark.parametrize("output", ["bernoulli", "nade"])
def test_resume_is_exact(tmp_path, output, progression, resume_is_exact):
    write_progression, _, TINY_MUSIC = progression
    data = write_progression(tmp_path / "progression.json")
    resume_is_exact(["train", "music", "--data", str(data), *TINY_MUSIC, "--output", output, "--nade-hidden", "8",
                     "--transpose", "2", "--input-dropout", "0.1", "--dropout", "0.1", "--eval-every", "3"], 6, tmp_path)


def test_nade_output_learns_the_progression(tmp_path, last_json, progression):
    write_progression, _, TINY_MUSIC = progression
    data = write_progression(tmp_path / "progression.json")
    out = tmp_path / "nade"
    assert main(["train", "music", "--data", str(data), *TINY_MUSIC, "--output", "nade", "--nade-hidden", "16",
                 "--out", str(out), "--max-steps", "200", "--eval-every", "100"]) == 0
    assert main(["eval", str(out)]) == 0
    assert last_json()["test"]["nll"] < 2.0


def test_sample_writes_midi_a_piano_roll_and_wav(tiny_music_dir, tmp_path, last_json, capsys):
    midi, png, wav = tmp_path / "piece.mid", tmp_path / "roll.png", tmp_path / "piece.wav"
    flags = ["sample", str(tiny_music_dir), "--out", str(midi), "--png", str(png), "--length", "12", "--seed", "1"]
    missing = audio_unavailable()
    code = main([*flags, "--wav", str(wav)])
    if missing:  # FluidSynth or its soundfont is absent: one line says what to install, MIDI still works
        assert code != 0 and "apt install fluidsynth" in capsys.readouterr().err
        assert main(flags) == 0
    else:
        assert code == 0 and wav.read_bytes()[:4] == b"RIFF" and wav.stat().st_size > 10_000
    written = last_json()
    assert written["steps"] == 13 and written["primed"] == 1 and png.read_bytes()[:4] == b"\x89PNG"
    assert read_midi(midi, load(tiny_music_dir).step_seconds).shape[1] == KEYS


def test_sample_primed_from_a_test_piece(tiny_music_dir, tmp_path, last_json):
    midi = tmp_path / "primed.mid"
    assert main(["sample", str(tiny_music_dir), "--out", str(midi), "--prime-from", "test:2", "--prime-steps", "4",
                 "--length", "6", "--temperature", "0"]) == 0
    assert last_json()["primed"] == 4
    model = load(tiny_music_dir)
    roll = read_midi(midi, model.step_seconds)
    piece = model.held_out_piece("test", 2)
    assert (roll[:4] == piece[:4]).all() and len(roll) == 10


@pytest.mark.parametrize("flags, fragment", [
    ([], "give --out piece.mid"),
    (["--out", "x.mid", "--top-k", "3"], "--top-k does not apply to a music model"),
    (["--out", "x.mid", "--prime-steps", "4"], "--prime-steps applies to --prime-from"),
    (["--out", "x.mid", "--prime-from", "test"], "expected SPLIT:N"),
    (["--out", "x.mid", "--prime-from", "exam:1"], "a split is train, valid or test"),
    (["--out", "x.mid", "--prime-from", "test:99"], "the test split has 8 pieces"),
    (["--out", "x.mid", "--prime-from", "test:0", "--prime-steps", "99"], "has"),
    (["--out", "x.wav"], "expected a file name ending in .mid"),
])
def test_bad_sample_flags_are_refused_in_one_line(tiny_music_dir, tmp_path, capsys, flags, fragment, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["sample", str(tiny_music_dir), *flags]) != 0
    err = capsys.readouterr().err.strip()
    assert fragment in err and "Traceback" not in err and len(err.splitlines()) <= 3


def test_a_text_model_refuses_music_flags(tiny_charlm_dir, capsys):
    assert main(["sample", str(tiny_charlm_dir), "--out", "x.mid"]) != 0
    assert "--out does not apply to a text model" in capsys.readouterr().err


def test_the_real_jsb_chorales_load_with_their_published_sizes(data_root):
    from recur.data.piano_roll import read_piano_rolls, set_path
    import os
    os.environ.setdefault("RECUR_DATA", str(data_root))
    pieces = read_piano_rolls(data_root / "music" / "jsb_chorales.json")
    assert [len(pieces[s]) for s in ("train", "valid", "test")] == [229, 76, 77]
    assert [sum(map(len, pieces[s])) for s in ("train", "valid", "test")] == [13_807, 4_602, 4_725]
    assert set_path("jsb", data_root / "music" / "jsb_chorales.json").name == "jsb_chorales.json"


def test_sampling_without_a_seed_leaves_torchs_own_generator_alone(tiny_music_dir):
    model = load(tiny_music_dir)
    torch.manual_seed(11)
    expected = torch.rand(3)
    torch.manual_seed(11)
    model.sample(4)
    assert torch.equal(torch.rand(3), expected)
