"""Spoken digits on the Free Spoken Digit Dataset: a recurrent classifier's accuracy on the official
split and on each held-out speaker, and a CTC transcriber's digit error rate on strings of 2-7
digits in each held-out speaker's voice, beside yardsticks measured in the same run.

Rows (each ``recur train speech`` with the flags shown, for ``STEPS`` steps of its kind (not
minutes: this shared machine buys different steps per minute; ``--minutes`` is not used) at
``--threads`` each; ``--side-by-side`` rows at a time, each trained and then scored in its own
process):

    official, digit             a 2-layer bidirectional LSTM over the frames, its outputs averaged over
                                time and read out as one digit per recording
    held out NAME, digit        the same, trained on the other five speakers, tested on all 500 of NAME's
    (every row: 13 MFCCs every 16 ms of the recording without its edges quieter than 30 dB below its
    loudest window; each training recording at a random speed in 1 ± 0.15, with white noise at
    10-40 dB SNR, two time masks of up to 8 frames and a band of up to 4 zeroed coefficients; 2,000
    steps (CTC 1,500); scored at the end of its budget, ``last/``)
    held out NAME, ctc          the same encoder read out per step with CTC, trained on strings of 2-7 digits
                                joined from the other five speakers' recordings, tested on 300 strings joined
                                from NAME's own recordings (greedy ``der`` and prefix beam search ``der_beam``)

and, counted here in seconds on the same splits: the majority class, and scikit-learn's logistic
regression on time-averaged features (the raw log-mel energies and MFCCs, each standardised).
A string model's own yardstick is the empty transcription: DER 1.0.

    OMP_NUM_THREADS=1 python bench/speech.py --side-by-side 2   # bench/results/speech.json (~40 min idle)
    OMP_NUM_THREADS=1 python bench/speech.py --kinds digit       # the digit rows only; the CTC rows kept
    python bench/speech.py --markdown bench/results/speech.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
import torch

from recur.data import fsdd
from recur.data.audio_features import frames
from recur.machine import machine_info
from recur.tasks import held_out_scores
from results_file import write_results
from row_runner import row_benchmark, train_row, training_record

RESULTS = Path(__file__).resolve().parent / "results"
SPEAKERS = ("george", "jackson", "lucas", "nicolas", "theo", "yweweler")
FEATURES = ["--features", "mfcc", "--feature-size", "13", "--trim-db", "30"]  # the task's defaults, spelled out
AUGMENT = ["--speed-perturb", "0.15", "--noise-snr", "10", "--time-mask", "8", "--freq-mask", "4"]  # the defaults
DIGIT = ["--output", "digit", "--pool", "mean", "--hidden", "128", "--layers", "2", "--dropout", "0.3",
         "--batch-size", "32", "--eval-every", "100", *FEATURES, *AUGMENT]
CTC = ["--output", "ctc", "--hidden", "128", "--layers", "2", "--dropout", "0.2", "--stack", "3",
       "--batch-size", "16", "--eval-every", "100", *FEATURES, *AUGMENT]
STEPS = {"digit": 2000, "ctc": 1500}  # budgets in steps: a shared machine buys different steps per minute
# Which checkpoint a row is scored on, fixed before the run: the model at the end of its budget.
# The validation speakers are the training speakers (94-97 % accuracy and DER about 1 % by step 500,
# near 100 % late on), so best/ is one of many near-ties and says nothing about a new voice.
SCORED = {"digit": "last", "ctc": "last"}
ROWS = {"official, digit": DIGIT}
ROWS.update({f"held out {name}, digit": [*DIGIT, "--held-out-speaker", name] for name in SPEAKERS})
ROWS.update({f"held out {name}, ctc": [*CTC, "--held-out-speaker", name] for name in SPEAKERS})
TARGETS = {"official accuracy": 0.97, "mean held-out-speaker accuracy": 0.90, "held-out-speaker DER": 0.05}


def kind(name: str) -> str:
    return name.rsplit(", ", 1)[1]


def train_and_score(name: str, out: Path, minutes: float, threads: int) -> None:  # noqa: ARG001 - steps, not minutes
    """One row, in its own process: train (unless ``best/`` exists), score, write ``out.json``."""
    command = ["train", "speech", "--out", str(out), "--max-steps", str(STEPS[kind(name)]), "--threads", str(threads),
               *ROWS[name]]
    train_row(out, command, env={**os.environ, "OMP_NUM_THREADS": str(threads)})
    torch.set_num_threads(threads)
    metric = "accuracy" if kind(name) == "digit" else "der"
    scored = SCORED[kind(name)]
    row = {"model": name, "protocol": name.split(",")[0], "kind": kind(name), "flags": ROWS[name],
           "command": "recur " + " ".join(command), **training_record(out, {metric: f"val_{metric}"}),
           "scored": f"{scored}/", **held_out_scores(out / scored)}
    write_results(row, out.with_suffix(".json"))


def yardstick_rows() -> list[dict]:
    """Majority class and logistic regression on time-averaged raw features, per protocol."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    found = fsdd.recordings(fsdd.fsdd_folder())
    every = {r.path: u for r, u in zip(found, fsdd.utterances(found))}
    averaged = {kind: {path: frames(u.samples, kind, size, normalised=False).mean(axis=0) for path, u in every.items()}
                for kind, size in (("logmel", 40), ("mfcc", 20))}
    rows = []
    for speaker in ("", *SPEAKERS):
        parts = fsdd.split(found, speaker)
        protocol = f"held out {speaker}" if speaker else "official"
        labels = {name: np.array([r.digit for r in part]) for name, part in parts.items()}
        majority = np.bincount(labels["train"]).argmax()
        rows.append({"model": f"{protocol}, majority class", "protocol": protocol, "kind": "yardstick",
                     **{split: {"accuracy": float((labels[split] == majority).mean()), "recordings": len(labels[split])}
                        for split in ("valid", "test")}})
        for feature in averaged:
            x = {name: np.stack([averaged[feature][r.path] for r in part]) for name, part in parts.items()}
            fit = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)).fit(x["train"], labels["train"])
            rows.append({"model": f"{protocol}, logistic regression on time-averaged {feature}", "protocol": protocol,
                         "kind": "yardstick",
                         **{split: {"accuracy": float(fit.score(x[split], labels[split])),
                                    "recordings": len(labels[split])} for split in ("valid", "test")}})
    return rows


def summary(rows: list[dict]) -> dict:
    """The targets' numbers: official accuracy, the mean over the six held-out speakers, the DER."""
    by_name = {r["model"]: r for r in rows}
    held = [by_name[f"held out {s}, digit"]["test"]["accuracy"] for s in SPEAKERS if f"held out {s}, digit" in by_name]
    ctc = [by_name[f"held out {s}, ctc"]["test"] for s in SPEAKERS if f"held out {s}, ctc" in by_name]
    out = {"official accuracy": by_name["official, digit"]["test"]["accuracy"],
           "held-out-speaker accuracy": dict(zip(SPEAKERS, held)),
           "mean held-out-speaker accuracy": float(np.mean(held)) if held else None}
    if ctc:
        out["held-out-speaker DER, greedy"] = dict(zip(SPEAKERS, [c["der"] for c in ctc]))
        out["held-out-speaker DER, beam"] = dict(zip(SPEAKERS, [c["der_beam"] for c in ctc]))
        out["mean held-out-speaker DER, greedy"] = float(np.mean([c["der"] for c in ctc]))
        out["mean held-out-speaker DER, beam"] = float(np.mean([c["der_beam"] for c in ctc]))
    met = {"official accuracy": out["official accuracy"] >= TARGETS["official accuracy"],
           "mean held-out-speaker accuracy": held and out["mean held-out-speaker accuracy"] >= TARGETS[
               "mean held-out-speaker accuracy"],
           "held-out-speaker DER": bool(ctc) and out["mean held-out-speaker DER, beam"] <= TARGETS[
               "held-out-speaker DER"]}
    return {**out, "targets": TARGETS, "met": {k: bool(v) for k, v in met.items()}}


def markdown(rows: list[dict]) -> str:
    lines = ["| model | training | valid | test |", "| --- | --- | ---: | ---: |"]
    for r in rows:
        training = f"{r['training_minutes']:.1f} min, {r['steps']:,} steps" if "steps" in r else "counted"
        if r["kind"] == "ctc":
            cells = [f"DER {r[s]['der']:.3f} greedy / {r[s]['der_beam']:.3f} beam" for s in ("valid", "test")]
        else:
            cells = [f"{r[s]['accuracy']:.3f}" for s in ("valid", "test")]
        lines.append(f"| {r['model']} | {training} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def kept_rows(kinds: list[str], out: Path) -> list[dict]:
    """With ``--kinds``: the rows of the other kinds from the results file ``out`` as it was, each
    saying which commit made it (their commands, flags and code are unchanged)."""
    if not kinds:
        return []
    if not out.exists():
        raise SystemExit(f"--kinds {' '.join(kinds)} keeps the other rows of {out}, which does not exist")
    old = json.loads(out.read_text(encoding="utf-8"))
    kept = [r for r in old["rows"] if r["kind"] not in (*kinds, "yardstick")]
    for row in kept:
        if ROWS.get(row["model"]) != row["flags"]:
            raise SystemExit(f"{out}: the row {row['model']!r} was made with other flags; rerun it")
        row.setdefault("made_by_commit", old["machine"]["commit"])
    return kept


def main() -> None:
    os.environ.setdefault("RECUR_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--kinds", nargs="+", choices=tuple(STEPS), default=[],
                     help="train only these kinds of row; keep the others from --out as they are")
    known, sys.argv[1:] = pre.parse_known_args()
    rows_run = {name: flags for name, flags in ROWS.items() if not known.kinds or kind(name) in known.kinds}
    done = row_benchmark(__doc__, __file__, rows_run, train_and_score, markdown, minutes=3.0, runs="runs/speech",
                         out=RESULTS / "speech.json")
    if done is None:
        return
    rows, args = done
    rows += kept_rows(known.kinds, args.out)
    rows.sort(key=lambda r: list(ROWS).index(r["model"]))
    rows += yardstick_rows()
    write_results({"machine": machine_info(), "steps": STEPS,
                   "summary": summary(rows), "rows": rows}, args.out)
    print(markdown(rows))


if __name__ == "__main__":
    main()
