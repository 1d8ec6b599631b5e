"""Piano rolls to and from Standard MIDI Files, through mido (a well-kept MIDI library).

Writing: a key that sounds at consecutive time steps is one held note (a piano roll cannot tell a
held note from a repeated one; the benchmarks' rolls are read the same way), played on General
MIDI program 0 (acoustic grand piano) at velocity 80, ``step_seconds`` per time step. Reading: a
key sounds at step ``t`` when a note of it is on at the step's start ``t · step_seconds`` (every
track and channel but the drums' channel 10 merged), so a file written here reads back as the
same roll. The file is written to a temporary sibling and renamed (``recur.atomic``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recur.atomic import write_atomically
from recur.data.piano_roll import KEYS, LOWEST
from recur.errors import RecurError

TICKS_PER_BEAT, TEMPO = 480, 500_000  # 120 beats a minute: a beat is half a second
VELOCITY = 80
DRUMS = 9  # channel 10, counted from 0


def _mido():
    try:
        import mido
    except ModuleNotFoundError:
        raise RecurError("MIDI needs mido, which is not installed: pip install mido") from None
    return mido


def roll_to_midi(roll: np.ndarray, step_seconds: float):
    """A ``mido.MidiFile`` playing ``roll [T, 88]``."""
    mido = _mido()
    ticks = round(step_seconds / (TEMPO / 1e6) * TICKS_PER_BEAT)  # ticks per time step
    events = []  # (tick, 0 = off before 1 = on, pitch)
    padded = np.vstack([np.zeros((1, KEYS), roll.dtype), roll != 0, np.zeros((1, KEYS), roll.dtype)]).astype(np.int8)
    change = np.diff(padded, axis=0)  # [T + 1, 88]: +1 where a key starts at step t, −1 where it stops
    for t, key in zip(*np.nonzero(change)):
        events.append((int(t) * ticks, int(change[t, key] > 0), int(key) + LOWEST))
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=TEMPO, time=0),
                            mido.Message("program_change", program=0, channel=0, time=0)])
    now = 0
    for tick, on, pitch in sorted(events):
        track.append(mido.Message("note_on" if on else "note_off", note=pitch, velocity=VELOCITY if on else 0,
                                  channel=0, time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    midi = mido.MidiFile(ticks_per_beat=TICKS_PER_BEAT)
    midi.tracks.append(track)
    return midi


def write_midi(path: str | Path, roll: np.ndarray, step_seconds: float) -> Path:
    """Write ``roll`` as a MIDI file at ``path``, atomically."""
    midi = roll_to_midi(roll, step_seconds)
    return write_atomically(path, lambda temporary: midi.save(filename=str(temporary)))


def read_midi(path: str | Path, step_seconds: float) -> np.ndarray:
    """The piano roll ``uint8 [T, 88]`` of a MIDI file, sampled every ``step_seconds``; keys off the
    piano's range are dropped, the drum channel is ignored."""
    mido = _mido()
    try:
        midi = mido.MidiFile(filename=str(path))
    except OSError as err:
        raise RecurError(f"{path}: cannot be read ({getattr(err, 'strerror', None) or err})") from None
    except (ValueError, EOFError, KeyError, IndexError) as err:
        raise RecurError(f"{path}: not a MIDI file ({err!s:.120})") from None
    notes, sounding, now = [], {}, 0.0  # (start, end, pitch) in seconds
    for message in midi:  # merged tracks, times in seconds
        now += message.time
        if message.type not in ("note_on", "note_off") or message.channel == DRUMS:
            continue
        key = (message.channel, message.note)
        if message.type == "note_on" and message.velocity > 0:
            sounding.setdefault(key, now)
        elif key in sounding:
            notes.append((sounding.pop(key), now, message.note))
    notes += [(start, now, pitch) for (_, pitch), start in sounding.items()]
    steps = int(np.ceil(max((end for _, end, _ in notes), default=0.0) / step_seconds - 1e-9))
    roll = np.zeros((steps, KEYS), dtype=np.uint8)
    for start, end, pitch in notes:
        if LOWEST <= pitch < LOWEST + KEYS:
            first, last = np.ceil(start / step_seconds - 1e-6), np.ceil(end / step_seconds - 1e-6)
            roll[int(first) : int(last), pitch - LOWEST] = 1
    return roll
