"""Would torch.compile make the scan faster? Compile each cell's step and compare, in one run.

The scan executor runs a cell's ``step`` eagerly once per time step. This script wraps every
cell's ``step`` in ``torch.compile`` (the recurrent products stay eager: they are the scan's own
autograd Function, marked as a graph break), and times forward + backward of a 2-layer,
hidden-512 layer over batch 32 x 64 steps against the same layer uncompiled, alternating the two.
It reports the first call's seconds (the compile) and the ratio of steady-state times.

    python bench/compile_step.py                     # gru-seed, writes bench/results/compile_step.json
    TORCHINDUCTOR_CACHE_DIR=$(mktemp -d) python bench/compile_step.py   # a cold compile
    python bench/compile_step.py --cell layernorm-lstm --rounds 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import torch

from recur import Recurrent
from recur.recurrent import scan
from results_file import write_results

RESULTS = Path(__file__).resolve().parent / "results"


def seconds_per_pass(layer, x, passes: int) -> float:
    start = time.perf_counter()
    for _ in range(passes):
        out, _ = layer(x)
        out.square().mean().backward()
    return (time.perf_counter() - start) / passes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell", default="gru-seed")
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--passes", type=int, default=3, help="timed passes per round")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS / "compile_step.json")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    # the scan's products mutate a Python ledger in backward: keep them out of the traced graph
    scan.DeferredProjection.linear = torch.compiler.disable(scan.DeferredProjection.linear)
    eager = Recurrent(args.cell, 64, args.hidden, 2, executor="scan")
    compiled = Recurrent(args.cell, 64, args.hidden, 2, executor="scan")
    compiled.load_state_dict(eager.state_dict())
    for cell in compiled.cells:
        cell.step = torch.compile(cell.step, dynamic=False)
    x = torch.randn(args.batch, args.seq_len, 64)

    compile_s = seconds_per_pass(compiled, x, 1)
    warm_eager_s = seconds_per_pass(eager, x, 1)
    times = {"compiled": [], "eager": []}
    for _ in range(args.rounds):
        times["compiled"].append(seconds_per_pass(compiled, x, args.passes))
        times["eager"].append(seconds_per_pass(eager, x, args.passes))
    median = {k: statistics.median(v) for k, v in times.items()}
    report = {
        "cell": args.cell, "hidden": args.hidden, "batch": args.batch, "seq_len": args.seq_len,
        "threads": args.threads, "torch": torch.__version__,
        "inductor_cache_dir": os.environ.get("TORCHINDUCTOR_CACHE_DIR", "default (warm if compiled before)"),
        "first_call_s": {"compiled": compile_s, "eager": warm_eager_s},
        "seconds_per_pass": times, "median_s": median,
        "compiled_speed_vs_eager_scan": median["eager"] / median["compiled"],
    }
    print(f"{args.cell}: first call {compile_s:.1f} s compiled vs {warm_eager_s:.2f} s eager; "
          f"steady state {median['compiled'] * 1e3:.0f} ms vs {median['eager'] * 1e3:.0f} ms per pass "
          f"(compiled = {report['compiled_speed_vs_eager_scan']:.2f}x the eager scan's speed)")
    write_results(report, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
