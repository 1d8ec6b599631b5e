"""``recur sample DIR``: one command for every model that writes something new, its flags grouped by
the kind of model they apply to. A text model (charlm, wordlm) prints text
(``recur.tasks.stream_lm_verbs``); a music model writes MIDI (``recur.tasks.music_verb``). A flag of
another kind of model is refused in one line, never ignored."""

from __future__ import annotations

from recur.errors import RecurError
from recur.tasks.music_verb import MUSIC_FLAGS, music_sample_arguments, run_music_sample
from recur.tasks.spec import Sampler, Verb
from recur.tasks.stream_lm import StreamLM
from recur.tasks.stream_lm_verbs import TEXT_FLAGS, run_sample, sample_arguments

def arguments(parser) -> None:
    sample_arguments(parser.add_argument_group("text models (charlm, wordlm); --length, --temperature and --seed "
                                               "serve every kind"))
    music_sample_arguments(parser.add_argument_group("music models"))


def refuse_foreign(args, foreign: tuple[str, ...], kind: str) -> None:
    """Refuse any flag in ``foreign`` given a value other than its default."""
    for dest in foreign:
        if getattr(args, dest, None) != args.parser.get_default(dest):
            raise RecurError(f"--{dest.replace('_', '-')} does not apply to a {kind} model")


def run(model, args) -> int:
    if isinstance(model, StreamLM):
        refuse_foreign(args, MUSIC_FLAGS, "text")
        return run_sample(model, args)
    refuse_foreign(args, TEXT_FLAGS, "music")
    return run_music_sample(model, args)


SAMPLE = Verb("sample", "write something new with a trained model: text, or music as MIDI", Sampler, arguments, run,
              description="Write text with a language model (printed), or a piece with a music model (--out "
                          "piece.mid, optionally --wav and --png).")
