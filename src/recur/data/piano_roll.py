"""Polyphonic music as piano rolls: the four Boulanger-Lewandowski (2012) benchmark sets.

A file holds ``{"train" | "valid" | "test": [piece, ...]}``, a piece is a list of time steps and a
time step the sorted MIDI pitches sounding then (21..108, the piano's 88 keys; ``[]`` is silence),
plain JSON or gzipped. Read, a piece is a ``uint8`` array ``[T, 88]`` with column ``k`` = MIDI
pitch ``k + 21`` (the ``.mat`` copies' layout). The sets sit under ``$RECUR_DATA/music``
(``../shared/data/SOURCES.md`` section 3): JSB Chorales (every quarter note), Nottingham, MuseData
and Piano-midi.de (every eighth note), each transposed to C major / C minor by its authors.

Refused, each in one line naming the file and where in it: bytes that are not (gzipped) JSON, a
missing split, a piece that is not a list of lists, a pitch that is not a whole number in 21..108,
and a piece with no time step.
"""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

import numpy as np

from recur.data.roots import find_data
from recur.errors import RecurError

LOWEST, KEYS = 21, 88  # MIDI pitch of the piano's lowest key (A0), and how many keys
SPLITS = ("train", "valid", "test")
PUBLISHED = "www-etud.iro.umontreal.ca/~boulanni/icml2012 (Boulanger-Lewandowski et al. 2012)"
SETS = {  # name: (file under $RECUR_DATA, seconds per time step when played)
    "jsb": ("music/jsb_chorales.json", 0.5),  # quarter notes at 120 beats a minute
    "nottingham": ("music/nottingham.json.gz", 0.25),  # eighth notes
    "musedata": ("music/musedata.json.gz", 0.25),
    "piano-midi": ("music/piano_midi.json.gz", 0.25),
}
PieceSplits = dict[str, list[np.ndarray]]


def set_path(name: str, explicit: str | Path | None = None) -> Path:
    """The file of set ``name`` under ``$RECUR_DATA`` (or ``explicit``)."""
    if name not in SETS:
        raise RecurError(f"unknown music set {name!r}; known: {', '.join(SETS)}")
    return find_data(SETS[name][0], PUBLISHED, explicit)


def read_piano_rolls(path: str | Path, splits: tuple[str, ...] = SPLITS) -> PieceSplits:
    """``{split: [piece uint8 [T, 88]]}`` for each of ``splits`` in the file at ``path``."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        content = json.loads(raw.decode("utf-8"))
    except OSError as err:
        raise RecurError(f"{path}: cannot be read ({err.strerror or err})") from None
    except (EOFError, gzip.BadGzipFile, zlib.error):
        raise RecurError(f"{path}: a damaged gzip file") from None
    except UnicodeDecodeError as err:
        raise RecurError(f"{path}: not UTF-8 JSON (byte {err.start})") from None
    except RecursionError:
        raise RecurError(f"{path}: not JSON (nested too deeply)") from None
    except ValueError as err:  # JSONDecodeError, or an integer of more digits than Python reads (4,300)
        raise RecurError(f"{path}: not JSON ({getattr(err, 'msg', 'a number with too many digits')})") from None
    if not isinstance(content, dict):
        raise RecurError(f"{path}: expected a JSON object with {', '.join(SPLITS)} lists of pieces")
    result = {}
    for split in splits:
        if not isinstance(content.get(split), list):
            raise RecurError(f"{path}: no {split!r} list of pieces (a piano-roll file holds {', '.join(SPLITS)})")
        result[split] = [piece_roll(piece, f"{path}: {split} piece {i}") for i, piece in enumerate(content[split])]
        if not result[split]:
            raise RecurError(f"{path}: the {split!r} split holds no piece")
    return result


def piece_roll(piece, where: str) -> np.ndarray:
    """One piece (a list of time steps of pitches) as ``uint8 [T, 88]``, refused naming ``where``."""
    if not isinstance(piece, list) or not piece:
        raise RecurError(f"{where}: expected a non-empty list of time steps")
    roll = np.zeros((len(piece), KEYS), dtype=np.uint8)
    for t, step in enumerate(piece):
        if not isinstance(step, list):
            raise RecurError(f"{where}, time step {t}: expected a list of MIDI pitches, got {type(step).__name__}")
        for pitch in step:
            if isinstance(pitch, bool) or not isinstance(pitch, (int, float)) \
                    or not LOWEST <= pitch < LOWEST + KEYS or pitch != int(pitch):  # NaN fails the range
                raise RecurError(f"{where}, time step {t}: {pitch!r:.60} is not a piano key's MIDI pitch "
                                 f"({LOWEST}..{LOWEST + KEYS - 1})")
            roll[t, int(pitch) - LOWEST] = 1
    return roll


def pitches(roll: np.ndarray) -> list[list[int]]:
    """A roll back in the file's layout: each time step's sorted MIDI pitches."""
    return [[int(k) + LOWEST for k in np.flatnonzero(step)] for step in roll]


def transposed(roll: np.ndarray, semitones: int) -> np.ndarray:
    """``roll`` moved up by ``semitones`` (down if negative); notes pushed off the keyboard drop."""
    out = np.zeros_like(roll)
    if semitones >= 0:
        out[:, semitones:] = roll[:, :KEYS - semitones]
    else:
        out[:, :KEYS + semitones] = roll[:, -semitones:]
    return out
