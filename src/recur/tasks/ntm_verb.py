"""``recur recall DIR --lengths 10,20,50,120``: a trained memory-task model (copy, repeat-copy,
associative-recall) scored at lengths of your choosing, mostly longer than it was trained on (the
NTM paper's test of generalisation), printed as JSON: per length, bit errors and cost in bits per
sequence. ``--out weights.png`` also draws one sequence of ``--draw-length``: its input, target and
output bits and, for an NTM, every head's weighting over the memory at each step."""

from __future__ import annotations

import argparse
import json

from recur.checks import number_flag, output_file
from recur.errors import RecurError
from recur.tasks.ntm_tasks import MemoryModel
from recur.tasks.spec import Verb

MAX_LENGTH = 1000


def length_list(text: str) -> list[int]:
    """``"10,20,30"`` as ``[10, 20, 30]``: whole numbers in 1 … MAX_LENGTH, each once."""
    parse = number_flag(int, at_least=1, at_most=MAX_LENGTH)
    lengths = [parse(part.strip()) for part in text.split(",")]
    if len(set(lengths)) != len(lengths):
        raise argparse.ArgumentTypeError(f"a length is given twice in {text!r}")
    return lengths


def recall_arguments(parser) -> None:
    parser.add_argument("--lengths", type=length_list, default=[10, 20, 30, 50, 120], metavar="N,N,...",
                        help=f"lengths to score (vectors for copy and repeat-copy, items for associative-recall), "
                             f"each in 1-{MAX_LENGTH} (default: 10,20,30,50,120)")
    parser.add_argument("--sequences", type=number_flag(int, at_least=1, at_most=10_000), default=100,
                        help="sequences scored at each length (default: 100)")
    parser.add_argument("--seed", type=number_flag(int, at_least=0, at_most=2**63 - 1 - MAX_LENGTH), default=0,
                        help="seeds the sequences (length L draws from seed + L; default: 0)")
    parser.add_argument("--out", type=output_file(".png"), default=None, help="also draw one sequence as this PNG")
    parser.add_argument("--draw-length", type=number_flag(int, at_least=1, at_most=MAX_LENGTH), default=None,
                        help="the length of the drawn sequence (default: the longest of --lengths)")


def run_recall(model: MemoryModel, args) -> int:
    if args.draw_length is not None and args.out is None:
        raise RecurError("--draw-length needs --out, the picture to draw it in")
    scores = model.at_lengths(args.lengths, args.sequences, args.seed)
    report = {"task": model.name, "model": model.model.config.model, "length_unit": model.data.length_name,
              "trained_lengths": [model.data.min_length, model.data.max_length], "sequences": args.sequences,
              "seed": args.seed, "lengths": {str(length): s for length, s in scores.items()}}
    if args.out is not None:
        from recur.viz.ntm_plot import (
            plot_trace,  # matplotlib loads only when a picture is drawn
        )

        length = args.draw_length or max(args.lengths)
        batch, outputs, weightings = model.trace(length, args.seed)
        report["png"] = str(plot_trace(args.out, batch.inputs[0], batch.targets[0], outputs,
                                       weightings, model.model.config.read_heads,
                                       title=f"{model.name}, {length} {model.data.length_name}").resolve())
    print(json.dumps(report))
    return 0


RECALL = Verb("recall", "score a copy / repeat-copy / associative-recall model at other lengths: JSON, PNG",
              MemoryModel, recall_arguments, run_recall,
              description="Score a trained memory-task model at the lengths given (bit errors and cost in bits per "
                          "sequence, as JSON) and, with --out, draw one sequence: inputs, outputs and the NTM's read "
                          "and write weightings over time.")
