"""recur's character-level LSTM training against a plain PyTorch loop, same wall-clock budget.

Both train the same model (embedding 64, 2-layer LSTM, hidden 256 by default) on Tiny Shakespeare
with the same batch 32, sequence 64, Adam lr 2e-3 and global-norm clip 5, one after the other in
this process (baseline first, then recur; ``--repeat N`` alternates them N times to show the
noise). Each gets ``--seconds`` of training time (evaluation excluded) and is then scored on the
whole validation split (mean nats/char). recur runs with ``--schedule`` (default cosine, recur's
default); ``--same-schedule`` adds a recur run with a constant lr, the baseline's setting, so
speed can be compared at identical settings. chars/s is steps * 32 * 64 / training seconds.

    python bench/charlm.py                      # 300 s each, writes bench/results/charlm.json
    python bench/charlm.py --seconds 60 --repeat 3 --same-schedule --out /tmp/charlm.json
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import tempfile
from pathlib import Path

import torch

import recur
from recur.tasks.charlm import load_training_text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from charlm_baseline import BATCH, CLIP, EMBEDDING, LAYERS, LR, SEQ_LEN, train_baseline  # noqa: E402
from results_file import write_results  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "charlm.json"


def train_recur(text: str, seconds: float, hidden: int, seed: int, schedule: str) -> dict:
    torch.manual_seed(seed)
    task = recur.CharLMTask.from_text(text, recur.CharDataConfig(seq_len=SEQ_LEN, batch_size=BATCH), cell="lstm",
                                      hidden=hidden, layers=LAYERS, embedding=EMBEDDING)
    config = recur.TrainConfig(minutes=seconds / 60, lr=LR, clip=CLIP, schedule=schedule, eval_every=10**9,
                               log_every=50, seed=seed)
    with tempfile.TemporaryDirectory(prefix="recur-bench-") as tmp:
        summary = recur.Trainer(task, config, Path(tmp) / "run").fit()
    # eval_every is out of reach, so fit() evaluates once, at the end: best_loss is that final loss
    return {"val_loss": summary["best_loss"], "chars_per_s": summary["step"] * BATCH * SEQ_LEN / summary["elapsed"],
            "steps": summary["step"], "train_seconds": summary["elapsed"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="training wall clock for each run")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--repeat", type=int, default=1, help="alternate baseline and recur this many times")
    parser.add_argument("--schedule", default="cosine", choices=["cosine", "constant"], help="recur's lr schedule")
    parser.add_argument("--same-schedule", action="store_true", help="also run recur with a constant lr")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON results")
    args = parser.parse_args()

    text = load_training_text("")  # bundled Tiny Shakespeare
    names = ["baseline", f"recur-{args.schedule}"]
    if args.same_schedule and args.schedule != "constant":
        names.append("recur-constant")
    runs = []
    for repeat in range(args.repeat):
        for name in names:
            print(f"[{repeat + 1}/{args.repeat}] {name}: training {args.seconds:g} s ...", file=sys.stderr, flush=True)
            if name == "baseline":
                result = train_baseline(text, args.seconds, args.hidden, args.seed)
            else:
                result = train_recur(text, args.seconds, args.hidden, args.seed, name.split("-", 1)[1])
            runs.append({"name": name, "repeat": repeat + 1, **result})

    summary = {}
    for name in names:
        mine = [r for r in runs if r["name"] == name]
        summary[name] = {"chars_per_s": statistics.median(r["chars_per_s"] for r in mine),
                         "val_loss": statistics.median(r["val_loss"] for r in mine)}
    base = summary["baseline"]["chars_per_s"]
    for name in names:
        summary[name]["chars_per_s_vs_baseline"] = summary[name]["chars_per_s"] / base
    for r in runs:  # each run against the baseline of its own repeat
        paired = next(b for b in runs if b["name"] == "baseline" and b["repeat"] == r["repeat"])
        r["chars_per_s_vs_baseline"] = r["chars_per_s"] / paired["chars_per_s"]

    report = {
        "benchmark": "charlm: recur vs plain PyTorch, same wall-clock budget",
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "torch": torch.__version__, "recur": recur.__version__, "threads": torch.get_num_threads(),
        "settings": {"seconds": args.seconds, "hidden": args.hidden, "layers": LAYERS, "embedding": EMBEDDING,
                     "batch_size": BATCH, "seq_len": SEQ_LEN, "optimizer": "adam", "lr": LR, "clip": CLIP,
                     "baseline_schedule": "constant", "recur_schedule": args.schedule,
                     "same_schedule": args.same_schedule, "repeat": args.repeat, "seed": args.seed,
                     "data": "Tiny Shakespeare, 90/10 split"},
        "runs": runs,
        "summary": summary,  # medians over repeats
        "ratio_chars_per_s": {f"{n}/baseline": summary[n]["chars_per_s_vs_baseline"] for n in names[1:]},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_results(report, args.out)

    print(f"\ncharlm, {args.seconds:g} s each, hidden {args.hidden}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")
    print(f"{'run':<24}{'rep':>4}{'val loss':>10}{'chars/s':>10}{'steps':>8}{'vs base':>9}")
    for r in runs:
        print(f"{r['name']:<24}{r['repeat']:>4}{r['val_loss']:>10.4f}{r['chars_per_s']:>10,.0f}{r['steps']:>8}"
              f"{r['chars_per_s_vs_baseline']:>9.2f}")
    if args.repeat > 1:
        for name, s in summary.items():
            print(f"{name + ' (median)':<28}{s['val_loss']:>10.4f}{s['chars_per_s']:>10,.0f}"
                  f"{'':>8}{s['chars_per_s_vs_baseline']:>9.2f}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
