"""``recur ask DIR --story FILE --question "Where is the ring?"``: a trained bAbI model's answer, and
the memory network's attention over the story's sentences at each hop (a table; ``--out`` draws it)."""

from __future__ import annotations

import json

from recur.checks import output_file
from recur.data.text import read_text
from recur.errors import RecurError
from recur.viz.attention_plot import plot_attention


def ask_arguments(parser) -> None:
    parser.add_argument("--story", required=True, metavar="FILE",
                        help="the story: one statement a line, oldest first (bAbI's leading IDs are allowed)")
    parser.add_argument("--question", required=True, help='the question, e.g. "Where is the ring?"')
    parser.add_argument("--out", type=output_file(".png"), metavar="PNG",
                        help="also draw the attention over sentences per hop to this PNG")
    parser.add_argument("--json", action="store_true", help="print the answer and attention as one JSON line")


def attention_table(result: dict) -> str:
    """One row per sentence kept in memory: each hop's attention, then the sentence."""
    hops = result["attention"] or []
    lines = ["  ".join([*(f"hop{k + 1:<2}" for k in range(len(hops))), "sentence"])]
    for i, sentence in enumerate(result["sentences"]):
        lines.append("  ".join([*(f"{hop[i]:5.2f}" for hop in hops), sentence]))
    return "\n".join(lines)


def asked(reader, story: str, question: str) -> dict:
    """``reader.ask`` on the story in the file ``story``: the answer, its probability and each hop's
    attention over the sentences kept in memory."""
    return reader.ask(read_text(story).splitlines(), question, str(story))


def draw_attention(result: dict, question: str, out: str) -> str:
    """The attention of an asked question drawn to the PNG ``out`` (``recur ask --out`` and
    ``recur viz attention``)."""
    if result["attention"] is None:
        raise RecurError("an LSTM model has no attention to draw; the picture needs a memory network model")
    return str(plot_attention(out, result["sentences"], result["attention"], f"{question} → {result['answer']}"))


def run_ask(reader, args) -> int:
    result = asked(reader, args.story, args.question)
    if args.out:
        draw_attention(result, args.question, args.out)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"answer: {result['answer']} (probability {result['probability']:.2f})")
    if result["unknown_words"]:
        print(f"unknown words (read as <unk>): {', '.join(result['unknown_words'])}")
    if result["dropped"]:
        print(f"the {result['dropped']} oldest sentences did not fit in memory")
    if result["attention"] is not None:
        print(attention_table(result))
    return 0
