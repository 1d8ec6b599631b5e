"""What each part of the translation model is worth, De→En on Multi30k, every model on one budget.

Rows (each ``recur train translate`` with the flags shown, ``--minutes`` of training, ``--threads``
each; two rows at a time, each trained and then scored in its own process):

    attention        the default: Bahdanau attention over a bidirectional GRU encoder, 1 layer
    no attention     Sutskever et al.'s model: the source reaches the decoder only through s_0
                     (a one-direction encoder, so that the order it reads in matters)
    no attention, reversed source   the same, reading the source backwards (Sutskever's trick)
    attention, 2 layers             the default, two layers deep in encoder and decoder

Each ``best/`` (the highest greedy val BLEU) is scored with sacreBLEU on val greedily and on
test2016 greedily and at beam 5.

    RECUR_DATA=../shared/data python bench/translate_ablation.py --minutes 12   # bench/results/translate_ablation.json
    python bench/translate_ablation.py --markdown bench/results/translate_ablation.json
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import torch

import recur
from recur.machine import machine_info
from recur.tasks import checkpoint_folder
from recur.tasks import translate as translate_task
from results_file import write_results
from row_runner import row_benchmark
from translate import recur_command, training_record

RESULTS = Path(__file__).resolve().parent / "results"
COMMON = ["--source", "de", "--target", "en", "--dropout", "0.3", "--eval-every", "250"]
ROWS = {
    "attention": [],
    "no attention": ["--attention", "none", "--no-bidirectional"],
    "no attention, reversed source": ["--attention", "none", "--no-bidirectional", "--reverse-source"],
    "attention, 2 layers": ["--layers", "2"],
}


def train_and_score(name: str, out: Path, minutes: float, threads: int) -> None:
    """One row, in its own process: train (unless ``best/`` exists), score, write ``out.json``."""
    if not (out / "best").exists():
        argv = [*recur_command(), "train", "translate", "--out", str(out), "--minutes", str(minutes), "--threads",
                str(threads), *COMMON, *ROWS[name]]
        with open(out.with_suffix(".log"), "w") as log:
            subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, check=True)
    torch.set_num_threads(threads)
    write_results(scored(name, ROWS[name], out), out.with_suffix(".json"))


def scored(name: str, flags: list[str], out: Path) -> dict:
    model = recur.load(out)
    config = json.loads((checkpoint_folder(out) / "config.json").read_text())
    splits = translate_task.held_out(config)
    row = {"model": name, "flags": [*COMMON, *flags], **training_record(out)}
    for split, beam in (("val", 1), ("test2016", 1), ("test2016", 5)):  # val greedy: what picked best/
        model.beam = beam
        row[f"{split}_beam{beam}"] = model.evaluate(splits[split].data)
    return row


def markdown(rows: list[dict]) -> str:
    lines = ["| model | flags | training | val BLEU, greedy | test2016 BLEU, greedy / beam 5 |",
             "| --- | --- | --- | ---: | ---: |"]
    for r in rows:
        flags = " ".join(r["flags"][len(COMMON):]) or "(defaults)"
        lines.append(f"| {r['model']} | `{flags}` | {r['training_minutes']:.0f} min, {r['steps']:,} steps "
                     f"({r['epochs']:.1f} epochs) | {r['val_beam1']['bleu']:.1f} | "
                     f"{r['test2016_beam1']['bleu']:.1f} / {r['test2016_beam5']['bleu']:.1f} |")
    return "\n".join(lines)


def main() -> None:
    done = row_benchmark(__doc__, __file__, ROWS, train_and_score, markdown, minutes=12.0, runs="runs/ablation",
                         out=RESULTS / "translate_ablation.json")
    if done is None:
        return
    rows, args = done
    write_results({"machine": machine_info(), "minutes": args.minutes, "rows": rows}, args.out)
    print(markdown(rows))


if __name__ == "__main__":
    main()
