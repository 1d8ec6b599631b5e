"""Faults: `recur train` killed with SIGKILL at `--kills` random moments (drawn from `--seed`), half of
them aimed inside a checkpoint write, each followed by the checks of ``tests/train/kill_faults.py``:
the checkpoints recur would load are whole and byte for byte what an uninterrupted run saved at their
step, `recur sample` prints text, the next start resumes, and each run, resumed to its end, matches
the uninterrupted run (files and metrics) with no temporary folder left.

The model is tiny (an LSTM of 16 units on 20,000 characters of Tiny Shakespeare) and validates every
2 steps, writing best/ and last/ each time, so writes fill much of its time. Kills come in chains of
``--per-chain``, one run folder each: kill, check, resume, kill, ... A kill counts as inside a write
when it left a temporary folder (``.last.*``, ``.best.*``) or an ``.old`` copy behind.

    OMP_NUM_THREADS=1 python bench/faults.py             # 200 kills: bench/results/faults.json
    python bench/faults.py --kills 20 --seed 1 --out /tmp/faults.json
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "train"))  # the code the suite's test runs

import kill_faults  # noqa: E402
from recur.assets import tiny_shakespeare  # noqa: E402
from recur.machine import machine_info  # noqa: E402
from results_file import write_results  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "faults.json"
TEXT_CHARS = 20_000
MAX_STEPS = 160  # each chain's budget; a chain stops killing once last/ passes STOP_AFTER_STEP
STOP_AFTER_STEP = 120


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-chain", type=int, default=25,
                        help="kills in one run folder before it is resumed to its end")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    started = time.perf_counter()
    moments = kill_faults.draw_moments(random.Random(args.seed), args.kills)
    kills, chain_problems = [], {}
    with tempfile.TemporaryDirectory(prefix="recur-faults-") as scratch:
        root = Path(scratch)
        text = root / "text.txt"
        text.write_text(tiny_shakespeare().read_text(encoding="utf-8")[:TEXT_CHARS], encoding="utf-8")
        reference = kill_faults.reference_run(root / "reference", text, MAX_STEPS)
        while len(kills) < args.kills:
            chain = len(chain_problems)
            todo = moments[len(kills):len(kills) + args.per_chain]
            done, chain_problems[chain] = kill_faults.run_chain(chain, root / f"chain{chain}", text, reference, todo,
                                                                STOP_AFTER_STEP)
            kills += done
            print(f"chain {chain}: {len(done)} kills, {sum(not k.problems for k in done)} survived, "
                  f"{sum(k.inside_write for k in done)} inside a write; at the end: {chain_problems[chain] or 'ok'} "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)
            if not done:  # the run could not even start: more chains would fail the same way
                break
    summary = kill_faults.summary(kills, chain_problems)
    print(json.dumps({k: v for k, v in summary.items() if k != "by_moment"}))
    write_results({"machine": machine_info(), "command": shlex.join(["python", "bench/faults.py", *sys.argv[1:]]),
                   "seed": args.seed, "kills_asked": args.kills, "per_chain": args.per_chain,
                   "run": {"flags": kill_faults.TINY, "max_steps": MAX_STEPS, "text_chars": TEXT_CHARS,
                           "stop_after_step": STOP_AFTER_STEP},
                   "moment_weights": kill_faults.MOMENTS, "seconds": round(time.perf_counter() - started, 1),
                   **summary, "chain_problems": {str(c): p for c, p in chain_problems.items()},
                   "failures": [k.record() for k in kills if k.problems], "kills": [k.record() for k in kills]},
                  args.out)


if __name__ == "__main__":
    main()
