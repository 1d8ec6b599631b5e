"""Piano rolls through MIDI and back: the same roll, held notes as one note each, the drum channel
ignored, and a file that is not MIDI refused in one line."""

import numpy as np
import pytest

from recur.data.midi_file import read_midi, roll_to_midi, write_midi
from recur.data.piano_roll import KEYS, LOWEST
from recur.errors import RecurError


def test_a_random_roll_survives_the_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    roll = (rng.random((50, KEYS)) < 0.05).astype(np.uint8)
    roll[-1, 0] = 1  # something sounds at the last step, so the length is kept
    for seconds in (0.25, 0.5):
        write_midi(tmp_path / "roll.mid", roll, seconds)
        assert (read_midi(tmp_path / "roll.mid", seconds) == roll).all()


def test_a_held_key_is_one_note():
    roll = np.zeros((4, KEYS), np.uint8)
    roll[0:3, 60 - LOWEST] = 1
    messages = [m for m in roll_to_midi(roll, 0.25).tracks[0] if m.type == "note_on" and m.velocity > 0]
    assert [m.note for m in messages] == [60]


def test_the_drum_channel_is_ignored(tmp_path):
    import mido
    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack([mido.Message("note_on", note=40, velocity=90, channel=9, time=0),
                            mido.Message("note_on", note=62, velocity=90, channel=0, time=0),
                            mido.Message("note_off", note=40, velocity=0, channel=9, time=480),
                            mido.Message("note_off", note=62, velocity=0, channel=0, time=0)])
    midi.tracks.append(track)
    midi.save(filename=str(tmp_path / "drums.mid"))
    roll = read_midi(tmp_path / "drums.mid", 0.25)  # 120 bpm: a beat is two steps
    assert roll.shape == (2, KEYS) and roll[:, 62 - LOWEST].tolist() == [1, 1] and roll.sum() == 2


def test_a_file_that_is_not_midi_is_refused(tmp_path):
    (tmp_path / "not.mid").write_bytes(b"RIFF....WAVE")
    with pytest.raises(RecurError, match="not a MIDI file"):
        read_midi(tmp_path / "not.mid", 0.25)
    with pytest.raises(RecurError, match="cannot be read"):
        read_midi(tmp_path / "absent.mid", 0.25)
