"""Pen strokes: test NLL per point of Graves' mixture density LSTM on Omniglot handwriting and
KanjiVG kanji, beside the two yardsticks SOURCES.md names, measured in the same run.

Rows (each ``recur train strokes`` with the flags shown, two at a time, each in its own process at
``--threads``; the LSTM rows train for ``--minutes``, the yardsticks for ``--minutes`` ×
``YARDSTICK_FACTOR``, enough for them to level off):

    SET, lstm             the mixture conditioned on an LSTM's state after every point so far
    SET, previous point   the same mixture from the point before only, through one tanh layer
    SET, no memory        one mixture for every point: each offset independent of the past

Each row's ``best/`` (the lowest validation NLL) is scored on valid and test (``recur.tasks.strokes``:
offsets in units of the training offsets' standard deviation, a drawing's first point given, the
NLL of the offset's density plus the pen's Bernoulli, pooled over every predicted point). Each
set's LSTM then draws a grid of samples at three values of Graves' bias, the same seeds in every
row: ``docs/strokes_SET.png``.

    python bench/strokes.py --minutes 12      # bench/results/strokes.json
    python bench/strokes.py --markdown bench/results/strokes.json
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

import recur
from recur.machine import machine_info
from recur.tasks import held_out_scores
from recur.viz.strokes_plot import write_drawings
from results_file import write_results
from row_runner import row_benchmark, row_folders, train_row, training_record

RESULTS = Path(__file__).resolve().parent / "results"
DOCS = Path(__file__).resolve().parent.parent / "docs"
SETS = ("omniglot", "kanji")
LSTM = ["--memory", "rnn", "--cell", "lstm", "--hidden", "256", "--layers", "1"]
MEMORIES = {"lstm": LSTM, "previous point": ["--memory", "previous", "--hidden", "256"],
            "no memory": ["--memory", "none"]}
ROWS = {f"{s}, {memory}": ["--set", s, *flags] for memory, flags in MEMORIES.items() for s in SETS}  # like rows side by side
YARDSTICK_FACTOR = 0.5
BIASES, PER_BIAS, SEED = (0.0, 1.0, 3.0), 8, 0


def train_and_score(name: str, out: Path, minutes: float, threads: int) -> None:
    """One row, in its own process: train (unless ``best/`` exists), score, write ``out.json``."""
    if not name.endswith("lstm"):
        minutes *= YARDSTICK_FACTOR
    command = ["train", "strokes", "--out", str(out), "--minutes", f"{minutes:g}", "--threads", str(threads),
               *ROWS[name]]
    train_row(out, command)
    torch.set_num_threads(threads)
    row = {"model": name, "set": name.split(",")[0], "flags": ROWS[name], "command": "recur " + " ".join(command),
           **training_record(out, {"nll": "val_loss"}), **held_out_scores(out)}
    write_results(row, out.with_suffix(".json"))


def sample_grid(out: Path, name: str) -> dict:
    """``PER_BIAS`` drawings at each bias in ``BIASES`` (one row each, seeds shared), as docs/strokes_SET.png."""
    model = recur.load(out)
    drawings, captions = [], []
    for bias in BIASES:
        drawings += model.sample(PER_BIAS, bias=bias, seed=SEED)
        captions += [f"bias {bias:g}"] * PER_BIAS
    path = write_drawings(DOCS / f"strokes_{name}.png", drawings, captions, columns=PER_BIAS)
    return {"png": str(path.relative_to(DOCS.parent)), "biases": list(BIASES), "per_bias": PER_BIAS, "seed": SEED,
            "command": f"recur sample {out} --out drawing.png --samples {PER_BIAS} --seed {SEED} --bias B "
                       f"(for B in {', '.join(f'{b:g}' for b in BIASES)})"}


def markdown(rows: list[dict]) -> str:
    lines = ["| set, model | training | valid NLL | test NLL (offset + pen) |", "| --- | --- | ---: | ---: |"]
    for r in rows:
        t = r["test"]
        lines.append(f"| {r['model']} | {r['training_minutes']:.1f} min, {r['steps']:,} steps | {r['valid']['nll']:.3f} "
                     f"| **{t['nll']:.3f}** ({t['offset_nll']:.3f} + {t['pen_nll']:.3f}) |")
    return "\n".join(lines)


def main() -> None:
    os.environ.setdefault("RECUR_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    done = row_benchmark(__doc__, __file__, ROWS, train_and_score, markdown, minutes=12.0, runs="runs/strokes",
                         out=RESULTS / "strokes.json")
    if done is None:
        return
    rows, args = done
    folders = row_folders(ROWS, args.runs)
    samples = {s: sample_grid(folders[f"{s}, lstm"], s) for s in SETS}
    margins = {s: {memory: next(r for r in rows if r["model"] == f"{s}, {memory}")["test"]["nll"]
                   - next(r for r in rows if r["model"] == f"{s}, lstm")["test"]["nll"]
                   for memory in MEMORIES if memory != "lstm"} for s in SETS}
    write_results({"machine": machine_info(), "minutes": args.minutes, "yardstick_factor": YARDSTICK_FACTOR,
                   "lstm_better_by_nats_per_point": margins, "samples": samples, "rows": rows}, args.out)
    print(markdown(rows))


if __name__ == "__main__":
    main()
