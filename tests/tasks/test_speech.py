"""The speech task on a small cut of the real FSDD recordings: a tiny recurrent classifier learns
the digits far above chance in seconds, a tiny CTC model's loss falls, training resumes exactly
(with augmentation and with strings), ``recur eval`` scores both protocols, ``recur transcribe``
prints each file's digits; and the pieces by hand: the CTC loss against every alignment enumerated,
greedy and prefix beam decoding on hand-built tables (one where the beam beats the best path), the
digit error rate."""

import itertools
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from recur.cli import main
from recur.generate.ctc_decode import collapse, edit_distance, error_rate, greedy_decode, prefix_beam_search
from recur.tasks import load
from recur.tasks.speech import ctc_nll
from tests.conftest import SHARED_DATA

TINY = ["--hidden", "32", "--layers", "1", "--batch-size", "16", "--lr", "5e-3", "--schedule", "constant",
        "--dropout", "0", "--speed-perturb", "0", "--noise-snr", "0", "--time-mask", "0", "--freq-mask", "0"]


def small_fsdd(data_root, folder, speakers=("jackson", "theo"), indices=range(15)):
    """A cut of the real FSDD as an FSDD folder of links: ``speakers`` × 10 digits × ``indices``."""
    source = data_root / "speech" / "fsdd" / "recordings"
    if not source.is_dir():
        pytest.skip(f"{source} not found: the Free Spoken Digit Dataset is not in this data root")
    (folder / "recordings").mkdir(parents=True)
    for speaker, digit, index in itertools.product(speakers, range(10), indices):
        name = f"{digit}_{speaker}_{index}.wav"
        (folder / "recordings" / name).symlink_to(source / name)
    return folder


@pytest.fixture(scope="module")
def speech_runs(tmp_path_factory):
    """``(fsdd folder, tiny digit model, tiny CTC model)``, trained once for the tests that read them."""
    root = Path(os.environ.get("RECUR_DATA", SHARED_DATA))
    base = tmp_path_factory.mktemp("speech")
    folder = small_fsdd(root, base / "fsdd")
    digit, ctc = base / "digit", base / "ctc"
    assert main(["train", "speech", "--data", str(folder), "--out", str(digit), *TINY, "--max-steps", "120",
                 "--eval-every", "60"]) == 0
    assert main(["train", "speech", "--data", str(folder), "--out", str(ctc), *TINY, "--output", "ctc", "--stack", "3",
                 "--batch-size", "8", "--valid-strings", "20", "--test-strings", "20", "--max-digits", "3",
                 "--max-steps", "40", "--eval-every", "20"]) == 0
    return folder, digit, ctc


def metrics(run):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.slow  # the module's two tiny models train in about 15 seconds
def test_a_tiny_classifier_learns_the_digits(speech_runs, last_json):
    _, digit, _ = speech_runs
    assert main(["eval", str(digit)]) == 0
    scores = last_json()
    assert scores["test"]["recordings"] == 20 * 5 and "official split" in scores["test"]["data"]
    assert scores["valid"]["accuracy"] > 0.6 and scores["test"]["accuracy"] > 0.6  # chance: 0.1
    folder, _, _ = speech_runs
    assert main(["eval", str(digit), "--data", str(folder / "recordings")]) == 0  # a folder of recordings
    assert last_json()["recordings"] == 300


@pytest.mark.slow  # the module's two tiny models train in about 15 seconds
def test_a_tiny_ctc_model_learns_and_is_scored_on_strings(speech_runs, last_json):
    _, _, ctc = speech_runs
    losses = [m["loss"] for m in metrics(ctc) if "loss" in m]
    assert np.mean(losses[-3:]) < 0.6 * np.mean(losses[:3])
    assert main(["eval", str(ctc)]) == 0
    scores = last_json()["test"]
    assert scores["strings"] == 20 and {"der", "der_beam", "string_accuracy", "loss"} <= set(scores)
    assert 0 <= scores["der_beam"] <= 1.5


@pytest.mark.parametrize("flags", [
    ["--speed-perturb", "0.1", "--freq-mask", "4", "--noise-snr", "10", "--time-mask", "8"],
    ["--output", "ctc", "--stack", "3", "--batch-size", "4", "--valid-strings", "4", "--max-digits", "3",
     "--speed-perturb", "0.1", "--noise-snr", "10", "--time-mask", "4"],
])
def test_resume_is_exact(data_root, tmp_path, flags, resume_is_exact):
    folder = small_fsdd(data_root, tmp_path / "fsdd", speakers=("theo",), indices=range(12))
    resume_is_exact(["train", "speech", "--data", str(folder), *TINY, "--hidden", "8", "--dropout", "0.2",
                     "--eval-every", "2", *flags], 4, tmp_path)


def test_leave_one_speaker_out_tests_on_that_speaker_alone(data_root, tmp_path, last_json):
    folder = small_fsdd(data_root, tmp_path / "fsdd", speakers=("george", "jackson", "theo"), indices=range(8))
    out = tmp_path / "run"
    assert main(["train", "speech", "--data", str(folder), "--out", str(out), *TINY, "--hidden", "8",
                 "--held-out-speaker", "george", "--max-steps", "2", "--eval-every", "2"]) == 0
    assert main(["eval", str(out)]) == 0
    scores = last_json()
    assert scores["test"]["recordings"] == 80 and "held-out speaker george" in scores["test"]["data"]
    assert scores["valid"]["recordings"] == 2 * 10 * 5  # the other speakers' index 0-4
    assert load(out).model.config.output == "digit"


@pytest.mark.slow  # the module's two tiny models train in about 15 seconds
def test_transcribe_prints_each_files_digits(speech_runs, tmp_path, capsys):
    folder, digit, ctc = speech_runs
    files = [str(folder / "recordings" / f"{d}_theo_2.wav") for d in (3, 8)]
    assert main(["transcribe", str(digit), *files]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["file"] for line in lines] == files
    assert all(len(line["digits"]) == 1 and 0 < line["probability"] <= 1 for line in lines)

    joined = tmp_path / "joined.wav"  # two recordings in a row, at 16 kHz: resampled, and said so
    import librosa
    samples = np.concatenate([soundfile.read(f, dtype="float32")[0] for f in files])
    soundfile.write(joined, librosa.resample(samples, orig_sr=8000, target_sr=16000), 16000, subtype="PCM_16")
    for beam in ("1", "4"):
        assert main(["transcribe", str(ctc), str(joined), "--beam", beam]) == 0
        line = json.loads(capsys.readouterr().out)
        assert line["resampled_from"] == 16000 and set(line["digits"]) <= set("0123456789")


def test_the_ctc_loss_sums_every_alignment():
    """T = 3 frames, classes {blank, a, b}: every path of length 3 that collapses to the label,
    its probability the product of its frames', summed; -log of that is the loss."""
    torch.manual_seed(0)
    log_probs = torch.randn(1, 3, 3).log_softmax(-1)  # [B, T, C]
    p = log_probs[0].exp()
    for digits in [(0,), (0, 1), (0, 0)]:  # digit d is class d + 1: a = digit 0, b = digit 1
        label = [d + 1 for d in digits]
        total = sum(math.prod(float(p[t, k]) for t, k in enumerate(path))
                    for path in itertools.product(range(3), repeat=3) if collapse(path) == label)
        assert float(ctc_nll(log_probs, torch.tensor([3]), [digits])) == pytest.approx(-math.log(total), rel=1e-5)
    # by hand for "a a": only a-blank-a fits in three frames
    assert float(ctc_nll(log_probs, torch.tensor([3]), [(0, 0)])) == pytest.approx(
        -math.log(float(p[0, 1] * p[1, 0] * p[2, 1])), rel=1e-5)
    # by hand for "a": aaa, aa-, a--, -aa, --a, -a- (a-a is "a a"): six paths
    paths = ["111", "110", "100", "011", "001", "010"]
    assert float(ctc_nll(log_probs, torch.tensor([3]), [(0,)])) == pytest.approx(
        -math.log(sum(math.prod(float(p[t, int(k)]) for t, k in enumerate(path)) for path in paths)), rel=1e-5)


def test_greedy_decoding_merges_runs_then_drops_blanks():
    table = np.log(np.array([[0.1, 0.8, 0.1], [0.1, 0.8, 0.1], [0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8]]))
    assert greedy_decode(table) == [1, 1, 2]  # a a - a b -> a a b
    assert collapse([0, 2, 2, 0, 0, 1, 1, 2]) == [2, 1, 2]


def test_prefix_beam_search_beats_the_best_path():
    """Two frames of {blank 0.6, a 0.4}: the best path is "- -" (0.36, the empty string), but "a" has
    three paths, a a, a -, - a: 0.16 + 0.24 + 0.24 = 0.64."""
    table = np.log(np.array([[0.6, 0.4], [0.6, 0.4]]))
    assert greedy_decode(table) == []
    assert prefix_beam_search(table, beam=4) == [1]
    assert prefix_beam_search(table, beam=1) == []  # a beam of one drops "a" after frame 1 (0.4 < 0.6)


def test_prefix_beam_search_keeps_repeats_apart_only_across_a_blank():
    table = np.log(np.array([[0.05, 0.9, 0.05], [0.9, 0.05, 0.05], [0.05, 0.9, 0.05]]))
    assert prefix_beam_search(table, beam=8) == [1, 1]  # a - a
    table = np.log(np.array([[0.05, 0.9, 0.05], [0.05, 0.9, 0.05], [0.05, 0.05, 0.9]]))
    assert prefix_beam_search(table, beam=8) == [1, 2]  # a a b


def test_prefix_beam_search_finds_the_most_probable_string_exactly():
    """With a wide beam, the answer is the string of highest summed probability, found here by
    enumerating every path of a random 4-frame, 3-class table."""
    rng = np.random.default_rng(5)
    for _ in range(5):
        p = rng.dirichlet(np.ones(3), size=4)
        strings = {}
        for path in itertools.product(range(3), repeat=4):
            key = tuple(collapse(path))
            strings[key] = strings.get(key, 0.0) + math.prod(p[t, k] for t, k in enumerate(path))
        assert tuple(prefix_beam_search(np.log(p), beam=100)) == max(strings, key=strings.get)


def test_the_digit_error_rate():
    assert edit_distance([1, 2, 3], [1, 2, 3]) == 0
    assert edit_distance([1, 2, 3], [1, 3]) == 1  # a deletion
    assert edit_distance([1, 2], [3, 1, 2, 4]) == 2  # two insertions
    assert edit_distance([1, 2, 3], [3, 2, 1]) == 2  # two substitutions
    assert edit_distance([], [5, 5]) == 2
    # summed over strings, over the references' total length: (0 + 1 + 2) / (3 + 2 + 1)
    assert error_rate([[1, 2, 3], [4, 5], [6]], [[1, 2, 3], [4], [7, 8]]) == pytest.approx(3 / 6)
    with pytest.raises(ValueError):
        error_rate([[]], [[1]])


def _tone(seconds: float = 0.5) -> "fsdd.Utterance":
    from recur.data import fsdd
    t = np.arange(int(seconds * fsdd.RATE)) / fsdd.RATE
    return fsdd.Utterance("tone", (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), (4,))


def test_time_masks_zero_at_most_two_spans_each_a_quarter_of_the_frames_at_most():
    from recur.tasks.speech import SpeechDataConfig, augmented, features_of
    data = SpeechDataConfig(time_mask=100, speed_perturb=0, noise_snr=0, freq_mask=0)
    clean = features_of(_tone(), data).numpy()
    for seed in range(20):
        masked = augmented(_tone(), data, np.random.default_rng(seed)).numpy()
        zeroed = np.flatnonzero((masked == 0).all(axis=1) & ~(clean == 0).all(axis=1))
        assert len(zeroed) <= 2 * (len(clean) // 4)
        assert np.array_equal(masked[~np.isin(np.arange(len(clean)), zeroed)],
                              clean[~np.isin(np.arange(len(clean)), zeroed)])


def test_trimming_applies_alike_to_training_evaluation_and_old_checkpoints():
    from recur.data import fsdd
    from recur.tasks.speech import SpeechDataConfig, augmented, features_of
    rng = np.random.default_rng(0)
    padded = fsdd.Utterance("padded", np.concatenate([1e-4 * rng.standard_normal(2000).astype(np.float32),
                                                      _tone().samples, np.zeros(3000, np.float32)]), (4,))
    off = dict(speed_perturb=0, noise_snr=0, freq_mask=0, time_mask=0)
    trimming, keeping = SpeechDataConfig(trim_db=30, **off), SpeechDataConfig(trim_db=0, **off)
    cut = features_of(padded, trimming).numpy()
    assert abs(len(cut) - len(features_of(_tone(), keeping))) <= 2  # the tone's frames, give or take a window
    assert len(features_of(padded, keeping)) - len(cut) >= 30  # 5,000 quiet samples: 39 frames of 16 ms
    assert np.array_equal(augmented(padded, trimming, np.random.default_rng(0)).numpy(), cut)  # training alike


def test_a_checkpoint_saved_before_trimming_reads_its_recordings_whole():
    from dataclasses import asdict
    from recur.models.speech_rnn import SpeechConfig
    from recur.tasks.speech import SpeechDataConfig, untrained_model, with_added_later
    data = {k: v for k, v in asdict(SpeechDataConfig(feature_size=20)).items()
            if k not in ("trim_db", "noise_snr", "time_mask")}  # what a checkpoint of the first recipe saved
    old = {"task": "speech", "model": asdict(SpeechConfig(hidden=4, input_size=20)), "data": data}
    ready = untrained_model(old)
    assert ready.data.trim_db == 0 and ready.data.noise_snr == 0 and ready.data.feature_size == 20
    assert with_added_later(old)["data"]["trim_db"] == 0
    current = {**old, "data": asdict(SpeechDataConfig())}
    assert untrained_model(current).data.trim_db == 30  # a checkpoint that saved its trim keeps it


def test_noise_is_added_at_the_drawn_signal_to_noise_ratio(monkeypatch):
    from recur.tasks import speech
    seen = []
    monkeypatch.setattr(speech, "frames", lambda samples, *a: seen.append(samples) or np.zeros((4, 40), np.float32))
    tone = _tone()
    for seed in range(10):
        speech.augmented(tone, speech.SpeechDataConfig(noise_snr=10, speed_perturb=0, time_mask=0, freq_mask=0),
                         np.random.default_rng(seed))
        noise = seen[-1] - tone.samples
        snr = 10 * np.log10(np.mean(tone.samples.astype(np.float64) ** 2) / np.mean(noise.astype(np.float64) ** 2))
        assert 10 - 0.5 < snr < 10 + speech.NOISE_SNR_SPAN + 0.5
    assert len({round(float(np.std(s - tone.samples)), 6) for s in seen}) == 10  # a fresh SNR each time
