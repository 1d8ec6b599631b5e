"""SST-2 sentiment: a recur classifier and its yardsticks (majority class, bag-of-words logistic
regression) on the same split, in one run.

The classifier is trained by the same command a user runs, ``recur train classify`` with the flags
given after ``--``, for ``--minutes`` of training; ``best/`` (the highest dev accuracy) is scored on
the 872 dev and 1,821 test sentences. The yardsticks are fitted in the same run on the same
training set (``bench/sst2_baselines.py``). Several ``--runs`` repeat the model with seeds 1..N.

    pip install scikit-learn
    RECUR_DATA=../shared/data python bench/classify.py --minutes 15 -- --bidirectional   # bench/results/classify.json
    python bench/classify.py --markdown bench/results/classify.json
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import tempfile
import time
from pathlib import Path

import torch

import recur
from recur.cli import main as recur_main
from recur.tasks import classify
from results_file import add_markdown_option, saved_rows, write_results
from sst2_baselines import require_sklearn, sst_splits, yardsticks

RESULTS = Path(__file__).resolve().parent / "results"


def train_and_score(flags: list[str], minutes: float, seed: int, out: Path) -> dict:
    argv = ["train", "classify", "--out", str(out), "--minutes", str(minutes), "--seed", str(seed), *flags]
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        if recur_main(argv) != 0:
            raise SystemExit(f"recur {' '.join(argv)} failed")
    summary = json.loads(printed.getvalue().strip().splitlines()[-1])
    config = json.loads((out / "best" / "config.json").read_text())
    model = recur.load(out)
    scores = {split: model.evaluate(held.data)["accuracy"] for split, held in classify.held_out(config).items()}
    kept = json.loads((out / "best" / "trainer_state.json").read_text())
    return {"model": f"recur: recur {' '.join(argv[:2] + flags)} --minutes {minutes} --seed {seed}",
            "seed": seed, "steps": summary["step"], "best_step": kept["step"],
            "wall_seconds": time.perf_counter() - started, **scores}


def flag_value(flags: list[str], name: str, default):
    """The value given to ``name`` among recur's flags, else ``default``."""
    return flags[flags.index(name) + 1] if name in flags[:-1] else default


def markdown(rows: list[dict]) -> str:
    lines = ["| model | dev | test |", "| --- | ---: | ---: |"]
    lines += [f"| {r['model']} | {100 * r['dev']:.1f} % | {100 * r['test']:.1f} % |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=15.0, help="training budget of each model (default 15)")
    parser.add_argument("--runs", type=int, default=1, help="models to train, seeds 1..N (default 1)")
    parser.add_argument("--out", type=Path, default=RESULTS / "classify.json")
    parser.add_argument("flags", nargs="*", help="after --: flags for recur train classify, e.g. -- --bidirectional")
    add_markdown_option(parser)
    args = parser.parse_args()
    if args.markdown:
        print(markdown(saved_rows(args.markdown)))
        return
    require_sklearn("bench/classify.py")
    train_set, data = flag_value(args.flags, "--train-set", "phrases"), flag_value(args.flags, "--data", None)
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for seed in range(1, args.runs + 1):
            rows.append(train_and_score(args.flags, args.minutes, seed, Path(workdir) / f"seed{seed}"))
            print(f"{rows[-1]['model']}: dev {100 * rows[-1]['dev']:.1f} %, test {100 * rows[-1]['test']:.1f} %",
                  flush=True)
    train, held = sst_splits(data, train_set)
    rows += yardsticks(train, held)
    print(markdown(rows))
    write_results({"benchmark": "SST-2 sentiment, recur against its yardsticks", "train_set": train_set,
                   "torch": torch.__version__, "threads": torch.get_num_threads(), "rows": rows}, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
