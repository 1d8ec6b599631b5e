"""Multi30k translation, both directions: train with the command a user runs, score with sacreBLEU.

Each direction is one model, ``recur train translate --source S --target T`` with the flags given
after ``--`` (the defaults: a 1-layer bidirectional GRU of 256 units per direction, Bahdanau
attention, 8,000 SentencePiece pieces per language), trained for ``--minutes`` of training on this
machine's CPU (``--threads`` each; the directions train side by side). ``best/`` (the highest greedy
val BLEU) is then scored on val, test2016 and test2017 at beam 5, and on test2016 greedily, with
sacreBLEU (signatures in the file); a few test2016 translations and an attention picture go beside.
A folder trained already is continued to the budget (``--resume``), not retrained.

    RECUR_DATA=../shared/data python bench/translate.py --minutes 95 --runs runs -- --dropout 0.3
    python bench/translate.py --markdown bench/results/translate.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import torch

import recur
from recur.machine import machine_info
from recur.tasks import checkpoint_folder, translate
from recur.train.run_log import read_sessions
from results_file import add_markdown_option, saved_rows, write_results

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
DOCS = BENCH.parent / "docs"
DIRECTIONS = (("de", "en"), ("en", "de"))
SAMPLES = (0, 1, 2, 3, 4, 13)  # test2016 lines shown in the docs (the first five and one longer one)
TARGETS = {("de", "en"): 34.0, ("en", "de"): 30.0}  # the issue's sacreBLEU targets on test2016 at beam 5


def recur_command() -> list[str]:
    return [sys.executable, "-m", "recur.cli"]


def train(source: str, target: str, out: Path, minutes: float, threads: int, flags: list[str]):
    """``recur train translate`` in its own process (the two directions run side by side)."""
    argv = [*recur_command(), "train", "translate", "--source", source, "--target", target, "--out", str(out),
            "--minutes", str(minutes), "--threads", str(threads), "--eval-every", "500", *flags]
    if (out / "last").exists():
        argv = [*recur_command(), "train", "translate", "--out", str(out), "--resume", "--minutes", str(minutes)]
    log = open(out.with_suffix(".log"), "a")
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)


def training_record(out: Path) -> dict:
    """Each session's command line and the training time, steps and epochs of ``best/`` and ``last/``."""
    sessions = read_sessions(out)
    last = json.loads((out / "last" / "trainer_state.json").read_text())
    best = json.loads((out / "best" / "trainer_state.json").read_text())
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    validations = [m for m in metrics if "val_bleu" in m]
    return {"commands": [s.get("command") for s in sessions], "training_minutes": last["elapsed"] / 60,
            "steps": last["step"], "best_step": best["step"], "epochs": validations[-1]["val_epoch"],
            "validations": [{"step": m["step"], "loss": m["val_loss"], "bleu": m["val_bleu"]} for m in validations]}


def score(out: Path, source: str, target: str) -> dict:
    model = recur.load(out)
    config = json.loads((checkpoint_folder(out) / "config.json").read_text())
    splits = translate.held_out(config)
    row = {"direction": f"{source}→{target}", "run": str(out), "model": config["model"],
           "target_test2016_bleu": TARGETS[(source, target)], **training_record(out)}
    for split, held in splits.items():
        started = time.perf_counter()
        row[split] = {**model.evaluate(held.data), "decode_seconds": time.perf_counter() - started}
    model.beam = 1
    row["test2016_greedy"] = model.evaluate(splits["test2016"].data)
    model.beam = 5
    test = splits["test2016"].data
    outputs = model.translate([test.source[i] for i in SAMPLES])
    row["samples"] = [{"line": i + 1, "source": test.source[i], "reference": test.target[i], "recur": text}
                      for i, text in zip(SAMPLES, outputs)]
    return row


def draw_attention(out: Path, sentence: str, picture: Path) -> None:
    subprocess.run([*recur_command(), "translate", str(out), sentence, "--show-attention", str(picture)], check=True)


def markdown(rows: list[dict]) -> str:
    lines = ["| direction | split | sacreBLEU | BLEU, lowercased | chrF | beam | training |",
             "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        trained = f"{r['training_minutes']:.0f} min, {r['steps']:,} steps ({r['epochs']:.1f} epochs)"
        for split in ("val", "test2016", "test2017", "test2016_greedy"):
            if split in r:
                s = r[split]
                lines.append(f"| {r['direction']} | {split.removesuffix('_greedy')} | {s['bleu']:.1f} | "
                             f"{s['bleu_lowercase']:.1f} | {s['chrf']:.1f} | {s['beam']} | {trained} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=95.0, help="training minutes per direction (a total)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per direction")
    parser.add_argument("--runs", type=Path, default=Path("runs"), help="where the run folders go")
    parser.add_argument("--score-only", action="store_true", help="score the run folders as they are")
    parser.add_argument("--out", type=Path, default=RESULTS / "translate.json")
    parser.add_argument("--direction", choices=[f"{s}-{t}" for s, t in DIRECTIONS], help=argparse.SUPPRESS)
    parser.add_argument("flags", nargs="*", help="recur train translate flags, after --")
    add_markdown_option(parser)
    args = parser.parse_args()
    if args.markdown:
        print(markdown(saved_rows(args.markdown)))
        return
    folders = {(s, t): args.runs / f"mt_{s}{t}" for s, t in DIRECTIONS}
    if args.direction:  # one direction's scores, in its own process
        torch.set_num_threads(args.threads)
        source, target = args.direction.split("-")
        write_results(score(folders[(source, target)], source, target), folders[(source, target)].with_suffix(".json"))
        return
    if not args.score_only:
        args.runs.mkdir(parents=True, exist_ok=True)
        jobs = [train(s, t, out, args.minutes, args.threads, args.flags) for (s, t), out in folders.items()]
        if any(job.wait() != 0 for job in jobs):
            raise SystemExit("a training run failed; its log is beside its run folder")
    jobs = [subprocess.Popen([sys.executable, __file__, "--direction", f"{s}-{t}", "--runs", str(args.runs),
                              "--threads", str(args.threads)])
            for s, t in DIRECTIONS]  # the two directions are scored side by side
    if any(job.wait() != 0 for job in jobs):
        raise SystemExit("scoring failed")
    rows = [json.loads(out.with_suffix(".json").read_text()) for out in folders.values()]
    draw_attention(folders[("de", "en")], "Ein Mann fährt mit dem Fahrrad über eine Brücke.",
                   DOCS / "translate_attention.png")
    write_results({"machine": machine_info(), "signatures": rows[0]["test2016"]["signatures"], "rows": rows}, args.out)
    print(markdown(rows))


if __name__ == "__main__":
    main()
