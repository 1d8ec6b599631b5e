"""The Free Spoken Digit Dataset (Jackson et al., doi:10.5281/zenodo.1342401): 3,000 recordings of
the digits 0-9, six speakers × ten digits × fifty, 8 kHz mono 16-bit PCM, read from
``$RECUR_DATA/speech/fsdd`` (CC BY-SA 4.0: recur does not ship it).

    recordings/{digit}_{speaker}_{index}.wav    speakers.csv (speaker, gender, accent, language)

Protocols (``split``), each with a validation set that the test set never feeds:

    official                 test: index 0-4 of every digit and speaker (300, the README's split);
                             the README's training set (5-49) gives validation 5-9 (300), training 10-49 (2,400)
    held-out speaker S       test: all 500 of S; validation: index 0-4 of the other five (250);
                             training: index 5-49 of the other five (2,250)

WAVs are read with soundfile (libsndfile). A file at another sample rate is resampled to 8 kHz
(librosa's ``resample``; ``read_wav`` returns the file's own rate so a caller can say so); a file
that is not a WAV, is truncated (its data chunk promises more bytes than the file holds), has no
samples or more than one channel is refused in one line naming it.

Continuous speech (``digit_string``): 2-7 real recordings joined with short pauses of faint noise,
drawn from a seed, so a string is the same on every machine.
"""

from __future__ import annotations

import csv
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import soundfile

from recur.data.roots import find_data
from recur.errors import RecurError

RATE = 8000
FSDD_FOLDER = "speech/fsdd"
FSDD_PUBLISHED = "github.com/Jakobovski/free-spoken-digit-dataset (CC BY-SA 4.0)"
NAME = re.compile(r"(\d)_([a-z]+)_(\d+)\.wav")
TEST_INDICES, VALID_INDICES = range(0, 5), range(5, 10)  # the README's test set; validation carved from training
PAUSE_SECONDS = (0.05, 0.25)  # between the digits of a string
EDGE_SECONDS = (0.0, 0.1)  # before the first digit and after the last
NOISE = 1e-3  # the pauses' faint Gaussian noise (a recording's peaks are 0.1-1): no exact digital silence


class Recording(NamedTuple):
    digit: int
    speaker: str
    index: int
    path: Path


@dataclass(frozen=True)
class Utterance:
    """Speech and what was said: ``samples`` float32 at 8 kHz, ``digits`` in order (one for a
    single recording)."""
    name: str
    samples: np.ndarray
    digits: tuple[int, ...]
    speaker: str = ""


def _data_chunk_bytes(path: Path, head: bytes, size: int) -> None:
    """Refuse a RIFF/WAVE file whose ``data`` chunk claims more bytes than the file holds
    (libsndfile reads such a file without a word)."""
    offset = 12
    while offset + 8 <= len(head):
        chunk, length = head[offset:offset + 4], struct.unpack("<I", head[offset + 4:offset + 8])[0]
        if chunk == b"data":
            if offset + 8 + length > size:
                raise RecurError(f"{path}: truncated WAV: its data chunk promises {length:,} bytes, the file holds "
                                 f"{max(0, size - offset - 8):,}")
            return
        offset += 8 + length + (length & 1)  # chunks are padded to an even length


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """``(samples float32 [N] at 8 kHz, the file's own sample rate)``; a file at another rate is
    resampled. Refused in one line: a missing file, not a WAV, truncated, empty, not mono."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
        size = path.stat().st_size
    except OSError as err:
        raise RecurError(f"{path}: cannot read it ({err.strerror or err})") from None
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise RecurError(f"{path}: not a WAV file (no RIFF/WAVE header)")
    _data_chunk_bytes(path, head, size)
    try:
        samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except (soundfile.SoundFileError, RuntimeError) as err:
        raise RecurError(f"{path}: not a readable WAV ({str(err).split(': ', 1)[-1][:120]})") from None
    if samples.shape[1] != 1:
        raise RecurError(f"{path}: {samples.shape[1]} channels; a recording must be mono")
    if len(samples) == 0:
        raise RecurError(f"{path}: no samples in it (an empty recording)")
    samples = samples[:, 0]
    if not np.isfinite(samples).all():
        raise RecurError(f"{path}: holds samples that are not finite numbers")
    if rate != RATE:
        import librosa  # only here: most files are at 8 kHz already
        samples = librosa.resample(samples, orig_sr=rate, target_sr=RATE).astype(np.float32)
        if len(samples) == 0:
            raise RecurError(f"{path}: too short to resample from {rate} Hz to {RATE} Hz")
    return samples, int(rate)


def fsdd_folder(explicit: str | Path | None = None) -> Path:
    """The FSDD folder: ``explicit``, else ``$RECUR_DATA/speech/fsdd``; it must hold ``recordings/``."""
    folder = find_data(FSDD_FOLDER, FSDD_PUBLISHED, explicit)
    if not (folder / "recordings").is_dir():
        raise RecurError(f"{folder / 'recordings'}: not found; the FSDD folder holds recordings/{{digit}}_{{speaker}}_"
                         f"{{index}}.wav (published at {FSDD_PUBLISHED})")
    return folder


def recordings(folder: Path) -> list[Recording]:
    """Every ``recordings/*.wav`` of an FSDD folder, by speaker, digit and index; a WAV named otherwise
    is refused (the name is the label)."""
    found = []
    for path in sorted((folder / "recordings").glob("*.wav")):
        match = NAME.fullmatch(path.name)
        if not match:
            raise RecurError(f"{path}: not named DIGIT_SPEAKER_INDEX.wav (e.g. 3_theo_12.wav): the name is the label")
        found.append(Recording(int(match[1]), match[2], int(match[3]), path))
    if not found:
        raise RecurError(f"{folder / 'recordings'}: no recordings (*.wav) in it")
    return sorted(found, key=lambda r: (r.speaker, r.digit, r.index))


def speakers(found: list[Recording]) -> list[str]:
    return sorted({r.speaker for r in found})


def split(found: list[Recording], held_out_speaker: str = "") -> dict[str, list[Recording]]:
    """``{"train", "valid", "test"}`` of the official protocol (``held_out_speaker`` empty) or of
    leave-one-speaker-out (module docstring); a speaker not in the data is refused, naming those that are."""
    if held_out_speaker:
        if held_out_speaker not in speakers(found):
            raise RecurError(f"unknown held-out speaker {held_out_speaker!r}; the speakers are: "
                             f"{', '.join(speakers(found))}")
        others = [r for r in found if r.speaker != held_out_speaker]
        parts = {"train": [r for r in others if r.index not in TEST_INDICES],
                 "valid": [r for r in others if r.index in TEST_INDICES],
                 "test": [r for r in found if r.speaker == held_out_speaker]}
    else:
        parts = {"train": [r for r in found if r.index not in TEST_INDICES and r.index not in VALID_INDICES],
                 "valid": [r for r in found if r.index in VALID_INDICES],
                 "test": [r for r in found if r.index in TEST_INDICES]}
    for name, part in parts.items():
        if not part:
            raise RecurError(f"the {name} split of these recordings is empty (the official test set is index 0-4, "
                             f"validation 5-9, training 10 and up)")
    return parts


def utterances(found: list[Recording]) -> list[Utterance]:
    """Each recording read (``read_wav``) with its digit."""
    return [Utterance(r.path.name, read_wav(r.path)[0], (r.digit,), r.speaker) for r in found]


def by_speaker(pool: list[Utterance]) -> list[list[Utterance]]:
    """``pool`` grouped by speaker, in the speakers' order."""
    groups: dict[str, list[Utterance]] = {}
    for utterance in pool:
        groups.setdefault(utterance.speaker, []).append(utterance)
    return [groups[name] for name in sorted(groups)]


def digit_string(groups: list[list[Utterance]], rng: np.random.Generator, min_digits: int = 2,
                 max_digits: int = 7) -> Utterance:
    """One speaker of ``groups`` (``by_speaker``) and between ``min_digits`` and ``max_digits`` of
    their recordings, drawn with ``rng`` and joined with pauses of faint noise (``PAUSE_SECONDS``
    between digits, ``EDGE_SECONDS`` at each end): one voice says the whole string."""
    own = groups[int(rng.integers(len(groups)))]
    count = int(rng.integers(min_digits, max_digits + 1))
    chosen = [own[int(i)] for i in rng.integers(0, len(own), size=count)]
    gaps = [rng.uniform(*EDGE_SECONDS), *rng.uniform(*PAUSE_SECONDS, size=count - 1), rng.uniform(*EDGE_SECONDS)]
    pieces = []
    for gap, utterance in zip(gaps, [*chosen, None]):
        pieces.append((NOISE * rng.standard_normal(int(gap * RATE))).astype(np.float32))
        if utterance is not None:
            pieces.append(utterance.samples)
    digits = tuple(d for u in chosen for d in u.digits)
    return Utterance("".join(map(str, digits)), np.concatenate(pieces), digits, chosen[0].speaker)


def digit_strings(pool: list[Utterance], count: int, seed, min_digits: int = 2, max_digits: int = 7) -> list[Utterance]:
    """``count`` strings of ``pool``'s recordings drawn from ``seed`` (an int or a list of ints), each
    string in one speaker's voice."""
    if not 1 <= min_digits <= max_digits:
        raise RecurError(f"a digit string has min-digits to max-digits digits: got {min_digits} to {max_digits}")
    rng, groups = np.random.default_rng(seed), by_speaker(pool)
    return [digit_string(groups, rng, min_digits, max_digits) for _ in range(count)]


def speaker_table(folder: Path) -> list[dict]:
    """The rows of ``speakers.csv`` (speaker, gender, accent, language), or none where it is absent."""
    path = folder / "speakers.csv"
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))
