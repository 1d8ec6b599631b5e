"""The Neural Turing Machine against an LSTM on copy (and repeat copy, associative recall), each
trained on the same number of sequences, then scored at lengths up to six times the longest trained
(Graves et al. 2014, §4): bit errors per sequence at each length, a curve and a picture of the
heads' weightings.

Each run trains through the same task ``recur train copy`` runs (``recur.tasks.ntm_copy``), the NTM
once per seed (weights and training sequences both seeded), the LSTM baseline (the paper's 3 x 256)
once, then scores ``best/`` (the lowest validation loss) at each length on ``--eval-sequences``
sequences drawn from seed 0 + length, as ``recur recall`` does.

    OMP_NUM_THREADS=1 python bench/ntm.py                      # copy: bench/results/ntm_copy.json, docs/ntm_copy.png
    OMP_NUM_THREADS=1 python bench/ntm.py --task associative-recall --seeds 1
    python bench/ntm.py --markdown bench/results/ntm_copy.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import torch
from results_file import add_markdown_option, saved_rows, write_results

from recur.machine import machine_info
from recur.tasks import TASKS, load
from recur.train.trainer import TrainConfig, Trainer
from recur.viz.ntm_plot import plot_generalisation, plot_trace

ROOT = Path(__file__).resolve().parent.parent
LENGTHS = {"copy": [10, 20, 30, 40, 50, 80, 120], "repeat-copy": [5, 10, 15, 20],
           "associative-recall": [3, 6, 8, 10, 12, 15]}
DRAW = {"copy": 120, "repeat-copy": 15, "associative-recall": 10}  # the length of the pictured sequence
NTM = {"model": "ntm"}  # the defaults: an LSTM controller of 100, memory 128 x 20, one read and one write head
LSTM = {"model": "lstm", "hidden": 256, "layers": 3}  # the paper's baseline
BATCH, LR = 4, 1e-3


def train_and_score(task: str, name: str, model: dict, seed: int, sequences: int, lengths: list[int],
                    eval_sequences: int, folder: str) -> dict:
    """Train one run, score ``best/`` at every length; the row of the results file."""
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    spec = TASKS[task]
    run = spec.new_task(None, {"batch_size": BATCH, "data_seed": seed}, model)
    steps = sequences // BATCH
    config = TrainConfig(lr=LR, max_steps=steps, eval_every=max(1, steps // 20), log_every=50, seed=seed)
    out = Path(folder) / name
    started = time.perf_counter()
    Trainer(run, config, out, command=" ".join(sys.argv)).fit()
    seconds = time.perf_counter() - started
    ready = load(out)
    held_out = {split: ready.evaluate(part.data) for split, part in spec.held_out(run.config()).items()}
    at_lengths = ready.at_lengths(lengths, eval_sequences, 0)
    learning = [(record["step"] * BATCH, record["val_bit_errors"])
                for record in map(json.loads, (out / "metrics.jsonl").read_text().splitlines())
                if "val_bit_errors" in record]
    print(f"{name}: {seconds:.0f} s; held-out test bit errors {held_out['test']['bit_errors']:.3f}; "
          + ", ".join(f"{n}: {s['bit_errors']:.2f}" for n, s in at_lengths.items()), flush=True)
    return {"name": name, "model": {**model}, "seed": seed, "sequences": steps * BATCH, "train_seconds": seconds,
            "held_out": held_out, "lengths": {str(n): s for n, s in at_lengths.items()}, "learning": learning,
            "folder": str(out)}


def draw(task: str, row: dict, path: Path) -> Path:
    ready = load(row["folder"])
    batch, outputs, weightings = ready.trace(DRAW[task], 0)
    return plot_trace(path, batch.inputs[0], batch.targets[0], outputs, weightings, ready.model.config.read_heads,
                      title=f"{row['name']}: one sequence of {DRAW[task]} {ready.data.length_name} "
                            f"(trained on {ready.data.min_length}-{ready.data.max_length})")


def targets(rows: list[dict]) -> dict:
    """The issue's copy targets, each as measured."""
    ntm = [r for r in rows if r["model"]["model"] == "ntm"]
    lstm = next((r for r in rows if r["model"]["model"] == "lstm"), None)
    short = [r["held_out"]["test"]["bit_errors"] <= 0.1 and all(s["bit_errors"] <= 0.1 for n, s in r["lengths"].items()
                                                                  if int(n) <= 20) for r in ntm]
    zero_to_50 = [all(s["bit_errors"] == 0 for n, s in r["lengths"].items() if int(n) <= 50) for r in ntm]
    beats = [lstm is not None and all(s["bit_errors"] < lstm["lengths"][n]["bit_errors"]
                                      for n, s in r["lengths"].items() if int(n) > 20) for r in ntm]
    return {"at_most_0.1_bit_errors_at_lengths_to_20": {"seeds_met": sum(short), "of": len(ntm),
                                                         "met": sum(short) >= 3},
            "zero_bit_errors_to_length_50": {"seeds_met": sum(zero_to_50), "of": len(ntm)},
            "fewer_errors_than_lstm_above_20": {"seeds_met": sum(beats), "of": len(ntm)}}


def markdown(report: dict) -> str:
    rows = report["rows"]
    lengths = list(rows[0]["lengths"])
    lines = [f"| run | held-out (trained lengths) | {' | '.join(lengths)} | train s |",
             "|---" * (len(lengths) + 3) + "|"]
    for r in rows:
        cells = " | ".join(f"{r['lengths'][n]['bit_errors']:.2f}" for n in lengths)
        held_out = r["held_out"]["test"]["bit_errors"]
        lines.append(f"| {r['name']} | {held_out:.3f} | {cells} | {r['train_seconds']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=tuple(LENGTHS), default="copy")
    parser.add_argument("--seeds", type=int, default=4, help="NTM runs, seeds 0 ... N-1 (default: 4)")
    parser.add_argument("--sequences", type=int, default=30_000, help="training sequences per run")
    parser.add_argument("--eval-sequences", type=int, default=100, help="sequences scored at each length")
    parser.add_argument("--lengths", default=None, help="comma-separated (default: the task's own)")
    parser.add_argument("--jobs", type=int, default=2, help="runs trained at once, one thread each")
    parser.add_argument("--runs", type=Path, default=None,
                        help="keep the run folders here (default: a temporary folder)")
    parser.add_argument("--out", type=Path, default=None, help="default: bench/results/ntm_TASK.json")
    add_markdown_option(parser)
    args = parser.parse_args()
    if args.markdown:
        print(markdown({"rows": saved_rows(args.markdown)}))
        return
    slug = args.task.replace("-", "_")
    out = args.out or ROOT / "bench" / "results" / f"ntm_{slug}.json"
    lengths = [int(n) for n in args.lengths.split(",")] if args.lengths else LENGTHS[args.task]
    plan = [(f"ntm seed {s}", NTM, s) for s in range(args.seeds)] + [("lstm 3x256 seed 0", LSTM, 0)]
    with tempfile.TemporaryDirectory() as scratch:
        folder = str(args.runs or scratch)
        with ProcessPoolExecutor(args.jobs) as pool:
            futures = [pool.submit(train_and_score, args.task, name, model, seed, args.sequences, lengths,
                                   args.eval_sequences, folder) for name, model, seed in plan]
            rows = [f.result() for f in futures]
        ntm_rows = [r for r in rows if r["model"]["model"] == "ntm"]
        best = min(ntm_rows, key=lambda r: r["held_out"]["valid"]["loss"])
        picture = draw(args.task, best, ROOT / "docs" / f"ntm_{slug}_weights.png")
    trained = TASKS[args.task].DataConfig()
    curve = plot_generalisation(ROOT / "docs" / f"ntm_{slug}.png", {r["name"]: {int(n): s["bit_errors"]
                                                                            for n, s in r["lengths"].items()}
                                                                   for r in rows},
                                {r["name"]: r["learning"] for r in rows}, (trained.min_length, trained.max_length),
                                trained.length_name,
                                title=f"{args.task}: {args.sequences:,} training sequences per run")
    report = {"benchmark": f"NTM against an LSTM on {args.task}: bit errors per sequence by length",
              "command": "python " + " ".join(sys.argv), "machine": machine_info(), "task": args.task,
              "settings": {"batch_size": BATCH, "lr": LR, "optimizer": "adam", "schedule": "cosine",
                           "clip": TrainConfig.clip, "sequences": args.sequences, "eval_sequences": args.eval_sequences,
                           "eval_seed": "0 + length", "held_out": "16 sequences per trained length, seed 1000002",
                           "trained_lengths": [trained.min_length, trained.max_length],
                           "pictured": best["name"]},
              "rows": [{k: v for k, v in r.items() if k != "folder"} for r in rows],
              "curve_png": str(curve.relative_to(ROOT)), "weights_png": str(picture.relative_to(ROOT))}
    if args.task == "copy":
        report["targets"] = targets(rows)
    write_results(report, out)
    print(markdown(report))
    print(json.dumps(report.get("targets", {})))
    print(f"wrote {out}, {curve}, {picture}")


if __name__ == "__main__":
    main()
