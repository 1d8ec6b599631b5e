"""bAbI 1k: the end-to-end memory network on each of the 20 tasks and jointly on all 20, and the LSTM
yardstick, each task's test error beside the authors' published numbers.

Every model is trained by the command a user runs (``recur train babi``) with the authors' settings
(facebook/MemNN config_babi.m, as ``recur.tasks.babi`` describes): single tasks 20 epochs of linear
start + 100 epochs (28 batches of 32 each), joint 30 + 60 epochs (562 batches each), SGD with the
summed loss's step 0.005 and clip 40 written for recur's batch mean (``--lr 0.16 --clip 1.25``).
``--runs N`` trains N seeds per task and keeps the run of lowest validation error (ties: lower
validation loss), the authors' best-of-10 on a smaller budget; ``best/`` of each run is the epoch of
highest validation accuracy. The LSTM reads story and question as one sequence, trained with Adam for
``--lstm-minutes`` per task. Runs go ``--workers`` at a time, one thread each.

    RECUR_DATA=../shared/data python bench/babi.py --runs 3 --joint-runs 1 --workers 2   # bench/results/babi.json
    python bench/babi.py --markdown bench/results/babi.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch
from results_file import add_markdown_option, write_results

RESULTS = Path(__file__).resolve().parent / "results"
SOURCE_SINGLE = ("confirmed: vinhkhuc/MemN2N-babi-python bechmarks/README.md, runs of the authors' Matlab code "
                 "(3 hops, PE, LS, RN, adjacent tying), quoted in shared/data/SOURCES.md")
SOURCE_BOW = "confirmed as quoted in npow/MemN2N README ('MemN2N (Sukhbaatar 2015) BoW'), shared/data/SOURCES.md"
SOURCE_PAPER = ("unconfirmed here (shared/data/SOURCES.md): paper means 13.9 % (PE LS RN), 12.4 % (joint), "
                "LSTM about 51 %")
# test error (%) per task: the authors' code single-task, the same joint, the paper's BoW single-task
PUBLISHED = {1: (0.1, 0.0, 0.6), 2: (8.2, 13.1, 17.6), 3: (41.8, 23.4, 71.0), 4: (4.4, 5.9, 32.0),
             5: (13.7, 12.9, 18.3), 6: (7.9, 3.7, 8.7), 7: (20.3, 22.9, 23.5), 8: (11.7, 9.1, 11.4),
             9: (13.6, 2.7, 21.1), 10: (9.7, 7.2, 22.8), 11: (0.7, 0.8, 4.1), 12: (0.0, 0.1, 0.3),
             13: (0.3, 0.1, 10.5), 14: (0.9, 4.2, 1.3), 15: (0.0, 0.0, 24.3), 16: (0.4, 1.2, 52.0),
             17: (51.0, 43.6, 45.4), 18: (10.5, 10.5, 48.1), 19: (81.4, 86.7, 89.7), 20: (0.0, 0.0, 0.1)}
FAILED_ABOVE = 5.0  # % test error: a task is failed above it (passed at >= 95 % accuracy)
AUTHORS = ["--optimizer", "sgd", "--lr", "0.16", "--clip", "1.25", "--schedule", "constant", "--log-every", "100"]
SINGLE_STEPS, SINGLE_EPOCH = 120 * 28, 28  # (20 + 100) epochs of ⌊900 / 32⌋ batches
JOINT_STEPS, JOINT_EPOCH = 90 * 562, 562  # (30 + 60) epochs of ⌊18,000 / 32⌋ batches
LSTM_FLAGS = ["--model", "lstm", "--batch-size", "128", "--lr", "0.005", "--schedule", "constant", "--clip", "5",
              "--eval-every", "7", "--log-every", "7"]


def recur(*argv: str) -> dict:
    """``recur ARGV`` in its own process with one thread; its last line of JSON."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "recur.cli", *argv], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"recur {' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def train_and_score(task: str, seed: int, flags: list[str], out: Path) -> dict:
    argv = ["train", "babi", "--task-id", task, "--seed", str(seed), *flags]
    started = time.perf_counter()
    summary = recur(*argv, "--out", str(out))
    seconds = time.perf_counter() - started
    scores = recur("eval", str(out))
    kept = json.loads((out / "best" / "trainer_state.json").read_text())
    row = {"task": task, "seed": seed, "command": "recur " + " ".join(argv), "steps": summary["step"],
           "best_step": kept["step"], "seconds": round(seconds, 1),
           "valid_error": 100 * scores["valid"]["error"], "valid_loss": scores["valid"]["loss"],
           "test_error": 100 * scores["test"]["error"]}
    row.update({k: 100 * v for k, v in scores["test"].items() if k.startswith("error_qa")})
    print(f"task {task} seed {seed}: valid {row['valid_error']:.1f} %, test {row['test_error']:.1f} % "
          f"({seconds:.0f} s)", flush=True)
    return row


def selected(runs: list[dict]) -> dict:
    """The run of lowest validation error, ties to the lower validation loss."""
    return min(runs, key=lambda r: (round(r["valid_error"], 6), r["valid_loss"]))


def summary(errors: dict[int, float]) -> dict:
    return {"mean_test_error": sum(errors.values()) / len(errors),
            "failed_tasks": sum(e > FAILED_ABOVE for e in errors.values())}


def markdown(report: dict) -> str:
    rows = report["rows"]
    header = ("| task | recur MemN2N single | authors' code single | recur MemN2N joint | authors' code joint "
              "| paper BoW single | recur LSTM |")
    lines = [header, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        cells = [r["task"], r["single"], r["published_single"], r["joint"], r["published_joint"],
                 r["published_bow"], r["lstm"]]
        lines.append("| " + " | ".join(str(c) if isinstance(c, int) else "—" if c is None else f"{c:.1f}"
                                       for c in cells) + " |")
    s = report["summary"]

    def mean(key):
        return f"**{s[key]['mean_test_error']:.1f}** ({s[key]['failed_tasks']} failed)" if s.get(key) else "—"
    published = [summary({t: PUBLISHED[t][column] for t in PUBLISHED}) for column in (0, 1)]
    single, joint = (f"{p['mean_test_error']:.1f} ({p['failed_tasks']} failed)" for p in published)
    lines.append(f"| mean (failed > 5 %) | {mean('single')} | {single} | {mean('joint')} | {joint} | — | {mean('lstm')} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="1-20", help="tasks to run single, e.g. 1-20 or 1,3 (default 1-20)")
    parser.add_argument("--runs", type=int, default=3, help="seeds per single task, best by validation (default 3)")
    parser.add_argument("--joint-runs", type=int, default=1, help="joint models, best by validation (default 1; "
                                                                  "0: none)")
    parser.add_argument("--lstm-minutes", type=float, default=0.75, help="LSTM training per task (0: none)")
    parser.add_argument("--workers", type=int, default=2, help="runs at a time, one thread each (default 2)")
    parser.add_argument("--out", type=Path, default=RESULTS / "babi.json")
    add_markdown_option(parser)
    args = parser.parse_args()
    if args.markdown:
        print(markdown(json.loads(args.markdown.read_text())))
        return
    first, _, last = args.tasks.partition("-")
    tasks = list(range(int(first), int(last) + 1)) if last else [int(t) for t in args.tasks.split(",")]
    single_flags = [*AUTHORS, "--max-steps", str(SINGLE_STEPS), "--eval-every", str(SINGLE_EPOCH)]
    joint_flags = [*AUTHORS, "--max-steps", str(JOINT_STEPS), "--eval-every", str(JOINT_EPOCH)]
    lstm_flags = [*LSTM_FLAGS, "--minutes", str(args.lstm_minutes)]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as workdir, ThreadPoolExecutor(args.workers) as pool:
        folder = Path(workdir)
        jobs = [("joint", "all", seed, joint_flags) for seed in range(1, args.joint_runs + 1)]  # longest first
        jobs += [("single", str(t), seed, single_flags) for t in tasks for seed in range(1, args.runs + 1)]
        if args.lstm_minutes > 0:
            jobs += [("lstm", str(t), 1, lstm_flags) for t in tasks]
        futures = [(kind, pool.submit(train_and_score, task, seed, flags, folder / f"{kind}_{task}_{seed}"))
                   for kind, task, seed, flags in jobs]
        runs = {"single": [], "joint": [], "lstm": []}
        for kind, future in futures:
            runs[kind].append(future.result())
    chosen = {t: selected([r for r in runs["single"] if r["task"] == str(t)]) for t in tasks}
    joint = selected(runs["joint"]) if runs["joint"] else None
    lstm = {int(r["task"]): r for r in runs["lstm"]}
    rows = [{"task": t, "single": chosen[t]["test_error"], "single_seed": chosen[t]["seed"],
             "joint": joint[f"error_qa{t}"] if joint else None, "lstm": lstm[t]["test_error"] if t in lstm else None,
             "published_single": PUBLISHED[t][0], "published_joint": PUBLISHED[t][1], "published_bow": PUBLISHED[t][2]}
            for t in tasks]
    report = {
        "benchmark": "bAbI 1k test error (%) per task: recur's end-to-end memory network (single, joint) and LSTM",
        "selection": f"best of {args.runs} seeds per task (joint: {args.joint_runs}) by validation error (the last "
                     "10 % of each training file), ties to the lower validation loss; the paper picks the best of 10 "
                     "by training error",
        "published": {"single": SOURCE_SINGLE, "joint": SOURCE_SINGLE, "bow": SOURCE_BOW, "paper": SOURCE_PAPER},
        "summary": {"single": summary({t: r["single"] for t, r in zip(tasks, rows)}),
                    "joint": summary({t: r["joint"] for t, r in zip(tasks, rows)}) if joint else None,
                    "lstm": summary({t: r["lstm"] for t, r in zip(tasks, rows)}) if lstm else None},
        "wall_seconds": round(time.perf_counter() - started), "compute_seconds": round(sum(
            r["seconds"] for kind in runs.values() for r in kind)), "workers": args.workers,
        "torch": torch.__version__, "rows": rows, "runs": runs}
    write_results(report, args.out)
    print(markdown(report))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
