"""Hostile input at scale: the fuzz tests' properties (``tests/hostile/test_fuzz_*.py``) run at
thousands of cases, counting what happened to each.

    readers      text, gzip, CSV table, SST, bAbI, Multi30k, piano-roll JSON, strokes, WAV: each case
                 one hostile file (random bytes, or a small real file damaged); read to a well-formed
                 result, refused in one line naming the file, or a failure
    checkpoint   a real tiny character model's config.json (read by ``recur sample`` and by a
                 resume), model.safetensors (sample) and trainer_state.json (resume), one damaged per
                 case; ran, refused in one line naming the run (exit 2), or a failure
    flags        ``recur train charlm``, ``recur train forecast`` and ``recur sample`` with one to four
                 random flags and values; ran, refused in one ``error:`` line (exit 2), or a failure

A failure is a traceback, an internal error (exit 70), a refusal of several lines, one over 2,000
characters or naming no file, a malformed result, or a case still running after 30 s; the first
few of each target are kept with their input. The strategies, readers and verdicts are the tests'
own (``tests/hostile/fuzz_*.py``, imported from the repository root: they need hypothesis, the
test extra). Cases are drawn from ``--seed``: the same seed, the same cases. The seeds of the
reader inputs are cut from the files under ``$RECUR_DATA`` (default ``../shared/data``).

    OMP_NUM_THREADS=1 python bench/fuzz.py --cases 2000 --command-cases 300   # bench/results/fuzz.json
    python bench/fuzz.py --markdown bench/results/fuzz.json
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the tests' strategies: tests/hostile/fuzz_*.py

from hypothesis import given, seed, settings  # noqa: E402 - after the path insert, as every import below

from recur.machine import machine_info  # noqa: E402
from results_file import add_markdown_option, write_results  # noqa: E402
from tests.hostile.fuzz_commands import (CHECKPOINT_FILES, FLAG_COMMANDS, RAN, flag_inputs,  # noqa: E402
                                         judge_checkpoint, judge_flags, tiny_run)
from tests.hostile.fuzz_inputs import FUZZ  # noqa: E402
from tests.hostile.fuzz_readers import READERS, fuzz_data_root, inputs, judge  # noqa: E402
from tests.hostile.fuzz_verdict import FAILURE, READ, REFUSED  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
EXAMPLES = 5  # failures kept per target, with their input


def preview(value) -> str:
    """A case's input, short enough for a results file: its repr's first 300 characters and its size."""
    text = repr(value)
    return text if len(text) <= 300 else f"{text[:300]}... ({len(text):,} characters of repr)"


def tally(strategy, judge_one, cases: int, draw_seed: int, accepted: str) -> dict:
    """Run ``judge_one`` on ``cases`` inputs drawn from ``strategy``; the count of each outcome."""
    counts, failures, started = Counter(), [], time.perf_counter()

    @seed(draw_seed)
    @settings(FUZZ, max_examples=cases, derandomize=False)
    @given(strategy)
    def case(value):
        verdict = judge_one(value)
        counts[verdict.outcome] += 1
        if verdict.failed and len(failures) < EXAMPLES:
            failures.append({"failure": verdict.detail, "input": preview(value)})

    case()
    return {"cases": sum(counts.values()), accepted: counts[accepted], "refused": counts[REFUSED],
            "failures": counts[FAILURE], "failure_examples": failures,
            "seconds": round(time.perf_counter() - started, 1)}


def measure(cases: int, command_cases: int, draw_seed: int, only: set[str]) -> dict:
    root = fuzz_data_root()
    if not root.is_dir():
        sys.exit(f"data root {root} not found: set RECUR_DATA (the reader inputs are cut from its files)")
    targets = {"readers": {}, "checkpoint": {}, "flags": {}}
    for name, reader in READERS.items():
        if not only or name in only:
            targets["readers"][name] = tally(inputs(name, root), lambda contents, r=reader: judge(r, contents),
                                             cases, draw_seed, READ)
            print(f"{name}: {targets['readers'][name]['cases']} cases", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="fuzz-bench-") as folder:
        run = tiny_run(Path(folder))
        for case, damaged in CHECKPOINT_FILES.items():
            if not only or case in only:
                valid = (run / "last" / damaged.name).read_bytes()
                targets["checkpoint"][case] = tally(damaged.hostile(valid),
                                                    lambda data, c=case: judge_checkpoint(run, c, data),
                                                    command_cases, draw_seed, RAN)
                print(f"{case}: {targets['checkpoint'][case]['cases']} cases", file=sys.stderr, flush=True)
        for command in FLAG_COMMANDS:
            if not only or command in only:
                targets["flags"][command] = tally(flag_inputs(command),
                                                  lambda flags, c=command: judge_flags(c, run, flags),
                                                  command_cases, draw_seed, RAN)
                print(f"{command}: {targets['flags'][command]['cases']} cases", file=sys.stderr, flush=True)
    return targets


def markdown(report: dict) -> str:
    lines = ["| target | cases | read or ran | refused in one line | failures |", "| --- | ---: | ---: | ---: | ---: |"]
    for group, results in report["targets"].items():
        for name, r in results.items():
            accepted = r.get(READ, r.get(RAN))
            lines.append(f"| {group}: {name} | {r['cases']:,} | {accepted:,} | {r['refused']:,} | {r['failures']:,} |")
    t = report["totals"]
    lines.append(f"| **all** | **{t['cases']:,}** | {t['accepted']:,} | {t['refused']:,} | **{t['failures']:,}** |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=2000, help="cases per reader (default 2000)")
    parser.add_argument("--command-cases", type=int, default=300,
                        help="cases per checkpoint file and per flag command, each a run of recur (default 300)")
    parser.add_argument("--seed", type=int, default=0, help="draws the cases (default 0)")
    parser.add_argument("--only", action="append", default=[], metavar="TARGET",
                        help="run only this reader, checkpoint case or command (repeatable)")
    parser.add_argument("--out", type=Path, default=RESULTS / "fuzz.json")
    add_markdown_option(parser)
    args = parser.parse_args()
    if args.markdown:
        print(markdown(json.loads(args.markdown.read_text(encoding="utf-8"))))
        return
    os.environ.setdefault("RECUR_DATA", str(ROOT.parent / "shared" / "data"))
    started = time.perf_counter()
    targets = measure(args.cases, args.command_cases, args.seed, set(args.only))
    everything = [r for results in targets.values() for r in results.values()]
    totals = {"cases": sum(r["cases"] for r in everything),
              "accepted": sum(r.get(READ, r.get(RAN, 0)) for r in everything),
              "refused": sum(r["refused"] for r in everything), "failures": sum(r["failures"] for r in everything)}
    report = {"command": "python bench/fuzz.py " + " ".join(sys.argv[1:]), "cases_per_reader": args.cases,
              "cases_per_command": args.command_cases, "seed": args.seed, "machine": machine_info(),
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "seconds": round(time.perf_counter() - started), "totals": totals, "targets": targets}
    write_results(report, args.out)
    print(markdown(report))


if __name__ == "__main__":
    main()
