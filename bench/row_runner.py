"""Benchmarks made of rows, each a model trained and scored in its own process, a few at a time:
the one runner ``translate_ablation.py`` and ``caption.py`` share.

A script names its rows (``{name: flags}``), gives ``one(name, folder, minutes, threads)`` (train unless
``best/`` exists, score, write ``folder.json``) and ``markdown(rows)``, and calls ``row_benchmark``;
the script re-runs itself with ``--one NAME`` for each row.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from recur.train.run_log import read_sessions
from results_file import add_markdown_option, saved_rows


def recur_command() -> list[str]:
    """``recur`` in this interpreter, for a row's training process."""
    return [sys.executable, "-m", "recur.cli"]


def train_row(out: Path, command: list[str], env: dict | None = None) -> None:
    """``recur COMMAND`` for one row, its output in ``out.log``, unless ``out/best`` exists (a rerun
    rescores what is trained)."""
    if not (out / "best").exists():
        with open(out.with_suffix(".log"), "w") as log:
            subprocess.run([*recur_command(), *command], stdout=log, stderr=subprocess.STDOUT, check=True, env=env)


def training_record(out: Path, metrics: dict[str, str]) -> dict:
    """What a row's training did: each session's command line (a resumed run has two), minutes, steps,
    the step of ``best/``, and each validation's ``metrics`` (``{name in the row: key in metrics.jsonl}``)."""
    last = json.loads((out / "last" / "trainer_state.json").read_text())
    best = json.loads((out / "best" / "trainer_state.json").read_text())
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    first = next(iter(metrics.values()))
    return {"sessions": [s.get("command") for s in read_sessions(out)], "training_minutes": last["elapsed"] / 60, "steps": last["step"], "best_step": best["step"],
            "validations": [{"step": m["step"], **{name: m[key] for name, key in metrics.items()}}
                            for m in lines if first in m]}


def row_arguments(parser: argparse.ArgumentParser, rows, minutes: float, runs: str, out: Path) -> None:
    parser.add_argument("--minutes", type=float, default=minutes, help="training minutes per model")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--side-by-side", type=int, default=2, help="models trained at once")
    parser.add_argument("--runs", type=Path, default=Path(runs))
    parser.add_argument("--out", type=Path, default=out)
    parser.add_argument("--one", choices=tuple(rows), help=argparse.SUPPRESS)  # a row's own process
    add_markdown_option(parser)


def row_folders(rows, runs: Path) -> dict[str, Path]:
    return {name: runs / name.replace(",", "").replace(" ", "_") for name in rows}


def run_rows(script: str, rows, args, one: Callable[[str, Path, float, int], None]) -> list[dict] | None:
    """With ``--one``: that row, then None. Otherwise every row, ``--side-by-side`` at a time, each in a
    process of its own; then their results, in the rows' order."""
    folders = row_folders(rows, args.runs)
    if args.one:
        one(args.one, folders[args.one], args.minutes, args.threads)
        return None
    args.runs.mkdir(parents=True, exist_ok=True)
    names = list(rows)
    for first in range(0, len(names), args.side_by_side):
        jobs = [subprocess.Popen([sys.executable, script, "--one", name, "--minutes", str(args.minutes),
                                  "--threads", str(args.threads), "--runs", str(args.runs)])
                for name in names[first:first + args.side_by_side]]
        if any(job.wait() != 0 for job in jobs):
            raise SystemExit("a row failed; its training log is beside its run folder")
    return [json.loads(folders[name].with_suffix(".json").read_text()) for name in names]


def row_benchmark(doc: str, script: str, rows, one, markdown, minutes: float, runs: str, out: Path):
    """The command line of a row benchmark: ``(its rows' results, the arguments)`` once every row has
    run, or None where there is nothing more to do (``--markdown``, ``--one``)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    row_arguments(parser, rows, minutes, runs, out)
    args = parser.parse_args()
    if args.markdown:
        print(markdown(saved_rows(args.markdown)))
        return None
    results = run_rows(script, rows, args, one)
    return None if results is None else (results, args)
