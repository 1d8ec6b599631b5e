"""The FSDD reader and the speech features: the real recordings read at 8 kHz with the README's
split and six leave-one-speaker-out folds; a WAV at another rate resampled; a corrupt, truncated,
stereo, empty or foreign file refused in one line naming it; digit strings drawn from a seed, each
in one voice; log-mel and MFCC frames normalised per utterance, and stacked."""

import numpy as np
import pytest
import soundfile

from recur.data import fsdd
from recur.data.audio_features import WINDOW, frames, stacked, trimmed
from recur.errors import RecurError


@pytest.fixture
def fsdd_root(data_root):
    folder = data_root / "speech" / "fsdd"
    if not (folder / "recordings").is_dir():
        pytest.skip(f"{folder} not found: the Free Spoken Digit Dataset is not in this data root")
    return folder


def tone(seconds=0.3, rate=fsdd.RATE, channels=1):
    t = np.arange(int(seconds * rate)) / rate
    wave = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return np.stack([wave] * channels, axis=1) if channels > 1 else wave


def test_the_real_recordings_and_their_protocols(fsdd_root):
    found = fsdd.recordings(fsdd_root)
    assert len(found) == 3000 and fsdd.speakers(found) == ["george", "jackson", "lucas", "nicolas", "theo", "yweweler"]
    official = fsdd.split(found)
    assert {k: len(v) for k, v in official.items()} == {"train": 2400, "valid": 300, "test": 300}
    assert {r.index for r in official["test"]} == set(range(5)) and min(r.index for r in official["train"]) == 10
    for speaker in fsdd.speakers(found):
        fold = fsdd.split(found, speaker)
        assert {k: len(v) for k, v in fold.items()} == {"train": 2250, "valid": 250, "test": 500}
        assert {r.speaker for r in fold["test"]} == {speaker}
        assert speaker not in {r.speaker for r in fold["train"] + fold["valid"]}
    samples, rate = fsdd.read_wav(found[0].path)
    assert rate == 8000 and samples.dtype == np.float32 and 0 < np.abs(samples).max() <= 1
    assert [row["speaker"] for row in fsdd.speaker_table(fsdd_root)][0] == "jackson"


def test_an_unknown_speaker_is_refused_naming_the_speakers(fsdd_root):
    with pytest.raises(RecurError, match="unknown held-out speaker 'bob'.*george, jackson"):
        fsdd.split(fsdd.recordings(fsdd_root), "bob")


def test_another_sample_rate_is_resampled_to_8khz(tmp_path):
    path = tmp_path / "cd.wav"
    soundfile.write(path, tone(0.5, 44100), 44100, subtype="PCM_16")
    samples, rate = fsdd.read_wav(path)
    assert rate == 44100 and len(samples) == 4000 and samples.dtype == np.float32
    spectrum = np.abs(np.fft.rfft(samples))
    assert abs(np.argmax(spectrum) * fsdd.RATE / len(samples) - 440) < 5  # still a 440 Hz tone


def refusal(path) -> str:
    with pytest.raises(RecurError) as caught:
        fsdd.read_wav(path)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message
    return message


def test_bad_wavs_are_refused_in_one_line_naming_the_file(tmp_path):
    stereo = tmp_path / "stereo.wav"
    soundfile.write(stereo, tone(0.2, channels=2), fsdd.RATE, subtype="PCM_16")
    assert "2 channels; a recording must be mono" in refusal(stereo)

    empty = tmp_path / "empty.wav"
    soundfile.write(empty, np.zeros(0, np.float32), fsdd.RATE, subtype="PCM_16")
    assert "no samples" in refusal(empty)

    good = tmp_path / "good.wav"
    soundfile.write(good, tone(0.2), fsdd.RATE, subtype="PCM_16")
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(good.read_bytes()[:1000])
    assert "truncated WAV" in refusal(truncated)

    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunkjunk\x00\x00")
    assert "not a readable WAV" in refusal(corrupt)

    text = tmp_path / "notes.wav"
    text.write_text("these are not samples")
    assert "not a WAV file" in refusal(text)
    assert "cannot read it" in refusal(tmp_path / "gone.wav")


def test_a_recording_must_be_named_for_its_label(tmp_path):
    (tmp_path / "recordings").mkdir()
    soundfile.write(tmp_path / "recordings" / "seven.wav", tone(0.2), fsdd.RATE, subtype="PCM_16")
    with pytest.raises(RecurError, match="not named DIGIT_SPEAKER_INDEX.wav"):
        fsdd.recordings(tmp_path)
    with pytest.raises(RecurError, match="recordings: not found"):
        fsdd.fsdd_folder(tmp_path / "recordings")


def test_digit_strings_are_seeded_and_in_one_voice():
    pool = [fsdd.Utterance(f"{d}_{s}", np.full(100 * (d + 1), d + 1, np.float32), (d,), s)
            for s in ("ann", "bob") for d in range(10)]
    first, again = fsdd.digit_strings(pool, 20, [3, 4]), fsdd.digit_strings(pool, 20, [3, 4])
    assert [u.digits for u in first] == [u.digits for u in again]
    assert all(np.array_equal(a.samples, b.samples) for a, b in zip(first, again))
    assert [u.digits for u in fsdd.digit_strings(pool, 20, [3, 5])] != [u.digits for u in first]
    for string in first:
        assert 2 <= len(string.digits) <= 7 and string.speaker in ("ann", "bob")
        speech = sum(100 * (d + 1) for d in string.digits)
        pauses = len(string.samples) - speech  # faint noise: 50-250 ms between digits, 0-100 ms at the ends
        assert 0.05 * fsdd.RATE * (len(string.digits) - 1) <= pauses <= fsdd.RATE * (
            0.25 * (len(string.digits) - 1) + 0.2)
        loud = np.abs(string.samples) > 0.5  # the recordings' own samples, in order
        assert np.array_equal(np.unique(string.samples[loud]).astype(int) - 1, sorted(set(string.digits)))
    with pytest.raises(RecurError, match="min-digits to max-digits"):
        fsdd.digit_strings(pool, 1, 0, 5, 3)


def test_features_are_frames_normalised_per_utterance():
    samples = tone(0.5) + 0.01 * np.random.default_rng(0).standard_normal(4000).astype(np.float32)
    logmel = frames(samples)
    assert logmel.shape == (1 + 4000 // 128, 40) and logmel.dtype == np.float32  # a frame every 16 ms
    assert np.allclose(logmel.mean(axis=0), 0, atol=1e-4) and np.allclose(logmel.std(axis=0), 1, atol=1e-2)
    assert frames(samples, "mfcc", 13).shape == (32, 13)
    raw = frames(samples, normalised=False)  # the tone's own mel band is the loudest
    import librosa
    centres = librosa.mel_frequencies(42, fmin=20, fmax=4000)[1:-1]
    assert abs(centres[np.argmax(raw.mean(axis=0))] - 440) < 60


def test_trimming_cuts_the_quiet_edges_and_nothing_else():
    rng = np.random.default_rng(0)
    quiet = lambda n: (1e-4 * rng.standard_normal(n)).astype(np.float32)  # 70 dB below the tone
    samples = np.concatenate([quiet(1600), tone(0.3), quiet(2400)])  # 0.2 s, the tone's 0.3 s, 0.3 s
    cut = trimmed(samples, 30)
    assert abs(len(cut) - len(tone(0.3))) <= WINDOW  # within a window of the tone's own length
    start = int(np.flatnonzero(samples == cut[0])[0])
    assert abs(start - 1600) <= WINDOW and np.array_equal(samples[start : start + len(cut)], cut)
    assert trimmed(samples, 0) is samples  # 0: nothing cut
    assert len(trimmed(samples, 80)) == len(samples)  # the quiet edges lie within 80 dB of the tone: kept
    click = np.concatenate([quiet(4000), 0.5 * np.ones(10, np.float32), quiet(4000)])
    assert trimmed(click, 30) is click  # shorter than two windows once cut: not trusted


def test_stacking_joins_consecutive_frames():
    x = np.arange(14, dtype=np.float32).reshape(7, 2)  # 7 frames of 2
    out = stacked(x, 3)
    assert out.shape == (3, 6)
    assert out[0].tolist() == [0, 1, 2, 3, 4, 5] and out[2].tolist() == [12, 13, 0, 0, 0, 0]
    assert stacked(x, 1) is x
