"""``recur translate DIR "Ein Mann fährt Fahrrad."``: translations by a trained model, one line per
sentence given (or per line of standard input); ``--show-attention out.png`` draws the attention of
the first sentence with its subwords on the axes."""

from __future__ import annotations

import json
import sys

from recur.checks import output_file
from recur.errors import RecurError
from recur.generate.beam import add_beam_flags
from recur.viz.attention_matrix import plot_alignment


def translate_arguments(parser) -> None:
    parser.add_argument("sentences", nargs="*", metavar="SENTENCE",
                        help="sentences in the model's source language (none: one per line of standard input)")
    add_beam_flags(parser)
    parser.add_argument("--show-attention", type=output_file(".png"), metavar="PNG",
                        help="draw the first sentence's attention (source subwords across, output down)")
    parser.add_argument("--json", action="store_true", help="one JSON line per sentence: source, translation")


def given_sentences(args) -> list[str]:
    sentences = args.sentences if args.sentences else sys.stdin.read().splitlines()
    sentences = [s.strip() for s in sentences]
    if not sentences or not any(sentences):
        raise RecurError("nothing to translate: give a sentence, or lines on standard input")
    empty = [i for i, s in enumerate(sentences, start=1) if not s]
    if empty:
        raise RecurError(f"sentence {empty[0]} is empty")
    return sentences


def run_translate(translator, args) -> int:
    sentences = given_sentences(args)
    texts, attention = translator.translate(sentences, args.beam, args.alpha, with_attention=True)
    if args.show_attention:
        if attention[0] is None:
            raise RecurError("this model has no attention (trained with --attention none); nothing to draw")
        plot_alignment(args.show_attention, translator.source_pieces(sentences[0]),
                       translator.target_pieces(texts[0]), attention[0],
                       f"{translator.direction}, beam {args.beam}: {texts[0]}")
    for source, text in zip(sentences, texts):
        print(json.dumps({"source": source, "translation": text}, ensure_ascii=False) if args.json else text)
    return 0
