"""Validation loss of every cell on Tiny Shakespeare after the same wall-clock budget.

Each cell trains the demo's char-LM (2 layers, hidden 256, embedding 64, cosine schedule) through
the ``recur`` command for ``--minutes`` on one thread; ``--parallel`` runs go side by side (one per
core). The best validation loss (nats/char) of each run is collected into
``bench/results/cells_quality.json``. A fixed time budget, not a fixed step count, is the fair
question for a user: what does this cell reach in the time I have? Faster cells take more steps.

    python bench/cells_quality.py --minutes 3 --parallel 2
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from results_file import write_results

DEFAULT_CELLS = "lstm,gru,gru-seed,elman,irnn,clockwork,depth-gated,layernorm-lstm,esn"
RESULTS = Path(__file__).resolve().parent / "results"


def command(cell: str, minutes: float, out: Path) -> list[str]:
    return [sys.executable, "-m", "recur.cli", "train", "charlm", "--cell", cell, "--minutes", str(minutes),
            "--out", str(out), "--eval-every", "500", "--log-every", "1000"]


def run_all(cells: list[str], minutes: float, parallel: int, work: Path) -> dict:
    """Run every cell, ``parallel`` at a time on one thread each; returns cell -> summary."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    pending, running, results = list(cells), {}, {}
    while pending or running:
        while pending and len(running) < parallel:
            cell = pending.pop(0)
            log = open(work / f"{cell}.log", "w")
            running[cell] = (subprocess.Popen(command(cell, minutes, work / cell), stdout=subprocess.PIPE,
                                              stderr=log, text=True, env=env), log)
            print(f"started {cell}", file=sys.stderr)
        for cell, (proc, log) in list(running.items()):
            if proc.poll() is None:
                continue
            log.close()
            lines = proc.stdout.read().strip().splitlines()
            results[cell] = json.loads(lines[-1]) if proc.returncode == 0 and lines else {"error": proc.returncode}
            print(f"{cell}: {results[cell]}", file=sys.stderr)
            del running[cell]
        time.sleep(1)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", default=DEFAULT_CELLS)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--parallel", type=int, default=2, help="runs at once, one thread each")
    parser.add_argument("--out", type=Path, default=RESULTS / "cells_quality.json")
    args = parser.parse_args()
    cells = [c.strip() for c in args.cells.split(",") if c.strip()]
    with tempfile.TemporaryDirectory() as work:
        results = run_all(cells, args.minutes, args.parallel, Path(work))
    print(f"{'cell':<16}{'val loss':>10}{'steps':>8}")
    for cell in cells:
        r = results[cell]
        loss = f"{r['best_loss']:.4f}" if "best_loss" in r else "failed"
        print(f"{cell:<16}{loss:>10}{r.get('step', 0):>8}")
    report = {"benchmark": "validation loss per cell, Tiny Shakespeare, equal wall-clock budget",
              "minutes": args.minutes, "parallel": args.parallel, "threads_per_run": 1,
              "model": "charlm defaults: 2 layers, hidden 256, embedding 64, cosine lr 2e-3, batch 32 x 64",
              "torch": torch.__version__, "date": datetime.date.today().isoformat(), "results": results}
    write_results(report, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
