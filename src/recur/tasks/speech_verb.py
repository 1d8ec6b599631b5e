"""``recur transcribe DIR a.wav [b.wav ...]``: the digits spoken in each file, one JSON line per file,
``{"file": "a.wav", "digits": "427"}``. A CTC model reads a string (prefix beam search, ``--beam``
wide; ``--beam 1`` is greedy); a digit model reads one digit and says how sure it is. A file at
another sample rate is resampled to 8 kHz and its line says ``"resampled_from": RATE``."""

from __future__ import annotations

import json

from recur.checks import number_flag
from recur.data.audio_features import WINDOW
from recur.data.fsdd import RATE, read_wav
from recur.errors import RecurError

MAX_BEAM = 256


def transcribe_arguments(parser) -> None:
    parser.add_argument("files", nargs="+", metavar="WAV", help="recordings to read (mono WAV; resampled to 8 kHz)")
    parser.add_argument("--beam", type=number_flag(int, at_least=1, at_most=MAX_BEAM), default=None,
                        help="ctc: prefix beam search width (default 8; 1: greedy decoding)")


def run_transcribe(model, args) -> int:
    if args.beam is not None and model.model.config.output != "ctc":
        raise RecurError("--beam applies to a CTC model (recur train speech --output ctc); this model reads one "
                         "digit per recording")
    readings = []
    for path in args.files:  # every file is read before anything is printed: a bad one is refused first
        samples, rate = read_wav(path)
        if len(samples) < WINDOW:
            raise RecurError(f"{path}: too short to read: {len(samples)} samples at 8 kHz, fewer than one "
                             f"{WINDOW * 1000 // RATE} ms window ({WINDOW})")
        readings.append((path, samples, rate))
    for path, samples, rate in readings:
        line = {"file": path, **model.transcribe(samples, args.beam)}
        if rate != RATE:
            line["resampled_from"] = rate
        print(json.dumps(line))
    return 0
