"""``recur sample DIR --out piece.mid`` on a music model: a new piece as MIDI (mido), with
``--wav`` rendered by FluidSynth (``recur.generate.music_audio``) and ``--png`` its piano roll;
``--prime-from test:12 --prime-steps 16`` starts from the first 16 steps of test piece 12. One
JSON line says what was written."""

from __future__ import annotations

import json
from pathlib import Path

from recur.checks import number_flag, output_file
from recur.data.midi_file import write_midi
from recur.errors import RecurError
from recur.generate.music_audio import render_wav
from recur.viz.piano_roll_plot import plot_piano_roll

DEFAULT_STEPS, MAX_STEPS = 128, 100_000
MUSIC_FLAGS = ("out", "wav", "png", "prime_from", "prime_steps")  # the flags a music model reads (--out is shared)


def music_sample_arguments(group) -> None:
    group.add_argument("--wav", type=output_file(".wav"), metavar="WAV",
                       help="music: also render it as audio (FluidSynth and a General MIDI soundfont: apt install "
                            "fluidsynth timgm6mb-soundfont)")
    group.add_argument("--png", type=output_file(".png"), metavar="PNG", help="music: also draw its piano roll")
    group.add_argument("--prime-from", metavar="SPLIT:N",
                       help="music: start from piece N of the model's train, valid or test split (e.g. test:12; "
                            "needs the data); default: an opening chord of the training set")
    group.add_argument("--prime-steps", type=number_flag(int, at_least=1), default=None,
                       help="music: time steps of --prime-from to start from (default 16)")


def prime_piece(model, spec: str):
    split, _, index = spec.partition(":")
    if not index.isdigit():
        raise RecurError(f"--prime-from {spec!r}: expected SPLIT:N, e.g. test:12")
    return model.held_out_piece(split, int(index))


def run_music_sample(model, args) -> int:
    if not args.out or Path(args.out).suffix.lower() != ".mid":
        raise RecurError("a music model writes MIDI: give --out piece.mid (and --wav piece.wav, --png roll.png)")
    if args.prime_steps is not None and not args.prime_from:
        raise RecurError("--prime-steps applies to --prime-from")
    steps = DEFAULT_STEPS if args.length is None else args.length
    if steps > MAX_STEPS:
        raise RecurError(f"--length {steps}: a music sample is at most {MAX_STEPS:,} time steps")
    prime = None
    if args.prime_from:
        piece = prime_piece(model, args.prime_from)
        want = args.prime_steps or 16
        if want > len(piece):
            raise RecurError(f"--prime-steps {want}: piece {args.prime_from} has {len(piece)} time steps")
        prime = piece[:want]
    roll = model.sample(steps, prime, args.temperature, args.seed)
    primed = len(roll) - steps  # the prime's steps, or the one opening chord
    written = {"midi": str(write_midi(args.out, roll, model.step_seconds)), "steps": len(roll), "primed": primed,
               "seconds": round(len(roll) * model.step_seconds, 3)}
    if args.png:
        title = f"{model.data.set}: {primed} steps of {args.prime_from}, then {steps} sampled" if prime is not None \
            else f"{model.data.set}: an opening chord, then {steps} steps sampled"
        written["png"] = str(plot_piano_roll(args.png, roll, model.step_seconds, primed, title))
    if args.wav:
        written["wav"] = str(render_wav(Path(args.out), args.wav))
    print(json.dumps(written))
    return 0
