"""``recur sample DIR``: one command for every model that writes something new, its flags grouped by
the kind of model they apply to. A text model (charlm, wordlm) prints text
(``recur.tasks.stream_lm_verbs``); a music model writes MIDI (``recur.tasks.music_verb``); a stroke
model draws SVG or PNG (``recur.tasks.strokes_verb``). A flag that the model's kind does not read is
refused in one line, never ignored."""

from __future__ import annotations

from recur.checks import output_file
from recur.errors import RecurError
from recur.tasks.music_verb import MUSIC_FLAGS, music_sample_arguments, run_music_sample
from recur.tasks.spec import Sampler, Verb
from recur.tasks.stream_lm_verbs import TEXT_FLAGS, run_sample, sample_arguments
from recur.tasks.strokes_verb import DRAWING_FLAGS, drawing_sample_arguments, run_drawing_sample

KINDS = {  # Sampler.kind: (what runs it, the flags of its own it reads)
    "text": (run_sample, TEXT_FLAGS),
    "music": (run_music_sample, MUSIC_FLAGS),
    "strokes": (run_drawing_sample, DRAWING_FLAGS),
}
OWN_FLAGS = {flag for _, flags in KINDS.values() for flag in flags}  # --length, --temperature, --seed serve all


def arguments(parser) -> None:
    sample_arguments(parser.add_argument_group("text models (charlm, wordlm; --samples serves strokes too); "
                                               "--length, --temperature and --seed serve every kind"))
    parser.add_argument("--out", type=output_file(".mid", ".svg", ".png"), metavar="FILE",
                        help="music: the MIDI file to write (.mid); strokes: the drawing (.svg or .png)")
    music_sample_arguments(parser.add_argument_group("music models"))
    drawing_sample_arguments(parser.add_argument_group("stroke models"))


def refuse_foreign(args, foreign, kind: str) -> None:
    """Refuse any flag in ``foreign`` given a value other than its default."""
    for dest in sorted(foreign):
        if getattr(args, dest, None) != args.parser.get_default(dest):
            raise RecurError(f"--{dest.replace('_', '-')} does not apply to a {kind} model")


def run(model, args) -> int:
    runner, reads = KINDS[model.kind]
    refuse_foreign(args, OWN_FLAGS - set(reads), model.kind)
    return runner(model, args)


SAMPLE = Verb("sample", "write something new with a trained model: text, music as MIDI, drawings as SVG/PNG",
              Sampler, arguments, run,
              description="Write text with a language model (printed), a piece with a music model (--out "
                          "piece.mid, optionally --wav and --png), or drawings with a stroke model (--out "
                          "drawing.svg or .png, --samples 16 as a grid, --bias).")
