"""Polyphonic music: test NLL per time step on the four Boulanger-Lewandowski (2012) piano-roll sets,
Bernoulli output against the RNN-NADE, beside a yardstick measured in the same run.

Rows (each ``recur train music`` with the flags shown, for ``--minutes`` × the set's factor below of
training at ``--threads`` each; two rows at a time, each trained and then scored in its own process):

    SET, bernoulli    an LSTM with 88 independent Bernoulli outputs (Bai et al. 2018's LSTM baseline)
    SET, nade         the same LSTM setting the biases of a NADE over the keys (RNN-NADE)
    jsb, bernoulli, variational dropout / nottingham, bernoulli, 512 units   more tries at the Bernoulli targets

and, counted here in seconds, ``SET, key frequencies``: each key sounding with its frequency in the
training steps, independently and with no memory (the floor every model must clear).

Each row's ``best/`` (the lowest validation NLL) is scored on valid and test with the field's
metric (``recur.tasks.music``: NLL per step summed over the 88 keys, pooled over every predicted
step, a piece's first step not predicted). The JSB NADE model's sample, primed with 16 steps of
test piece 0, is written to ``docs/music_sample.{mid,wav,png}``.

    python bench/music.py --minutes 10        # bench/results/music.json (about 55 minutes)
    python bench/music.py --markdown bench/results/music.json
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

import recur
from recur.data.midi_file import write_midi
from recur.data.piano_roll import SETS, read_piano_rolls, set_path
from recur.generate.music_audio import audio_unavailable, render_wav
from recur.machine import machine_info
from recur.tasks import held_out_scores
from recur.viz.piano_roll_plot import plot_piano_roll
from results_file import write_results
from row_runner import row_benchmark, row_folders, train_row, training_record

RESULTS = Path(__file__).resolve().parent / "results"
DOCS = Path(__file__).resolve().parent.parent / "docs"
MINUTES_FACTOR = {"jsb": 1.0, "nottingham": 2.0, "musedata": 1.0, "piano-midi": 1.0}  # Nottingham: 13x JSB's steps
MODEL = {"cell": "lstm", "hidden": "256", "layers": "1", "dropout": "0.5", "input-dropout": "0.2", "lr": "2e-3"}


def flags(**changes: str) -> list[str]:
    """``MODEL``'s flags with ``changes`` (``recurrent_dropout="0.25"``) made or added."""
    settings = {**MODEL, **{name.replace("_", "-"): value for name, value in changes.items()}}
    return [item for name, value in settings.items() for item in (f"--{name}", value)]



OUTPUTS = {"bernoulli": {"output": "bernoulli"}, "nade": {"output": "nade", "nade_hidden": "150"}}
ROWS = {f"{name}, {output}": ["--set", name, *flags(**changes)] for name in SETS for output, changes in OUTPUTS.items()}
ROWS.update({  # more tries at the Bernoulli targets: JSB overfits the default after ~1,600 steps, Nottingham
    # (13 times the steps) levels off under it
    "jsb, bernoulli, variational dropout": ["--set", "jsb", *flags(recurrent_dropout="0.25", output="bernoulli")],
    "nottingham, bernoulli, 512 units": ["--set", "nottingham", *flags(hidden="512", dropout="0.3",
                                                                       output="bernoulli")],
})
PUBLISHED = {  # ../shared/data/SOURCES.md, "Polyphonic music, test NLL per time step", with its status
    "TCN (Bai et al. 2018)": {"jsb": (8.10, "confirmed"), "nottingham": (3.07, "confirmed")},
    "LSTM (Bai et al. 2018)": {"jsb": (8.45, "unconfirmed"), "nottingham": (3.29, "confirmed")},
    "RNN-RBM (Boulanger-Lewandowski 2012)": {s: (v, "unconfirmed") for s, v in
                                             zip(SETS, (7.27, 2.39, 6.01, 7.09))},
}
PRIME_STEPS, SAMPLE_STEPS = 16, 32


def train_and_score(name: str, out: Path, minutes: float, threads: int) -> None:
    """One row, in its own process: train (unless ``best/`` exists), score, write ``out.json``."""
    minutes *= MINUTES_FACTOR[name.split(",")[0]]
    command = ["train", "music", "--out", str(out), "--minutes", f"{minutes:g}", "--threads", str(threads),
               *ROWS[name]]
    train_row(out, command)
    torch.set_num_threads(threads)
    row = {"model": name, "set": name.split(",")[0], "flags": ROWS[name], "command": "recur " + " ".join(command),
           **training_record(out, {"nll": "val_loss"}), **held_out_scores(out)}
    write_results(row, out.with_suffix(".json"))


def key_frequency_rows() -> list[dict]:
    """Each set's floor: p(key sounds) = its frequency over the training steps (clipped away from 0
    and 1), every key independent, nothing remembered."""
    rows = []
    for name in SETS:
        pieces = read_piano_rolls(set_path(name))
        train = np.concatenate(pieces["train"]).astype(np.float64)
        p = np.clip(train.mean(axis=0), 1e-4, 1 - 1e-4)
        row = {"model": f"{name}, key frequencies", "set": name}
        for split in ("valid", "test"):
            predicted = np.concatenate([piece[1:] for piece in pieces[split]]).astype(np.float64)
            nll = -(predicted * np.log(p) + (1 - predicted) * np.log(1 - p)).sum(axis=1).mean()
            row[split] = {"nll": float(nll), "steps": len(predicted)}
        rows.append(row)
    return rows


def write_sample(out: Path) -> dict:
    """A sample of the model at ``out``, primed with test piece 0: docs/music_sample.{mid,png,wav}."""
    model = recur.load(out)
    prime = model.held_out_piece("test", 0)[:PRIME_STEPS]
    roll = model.sample(SAMPLE_STEPS, prime, temperature=1.0, seed=0)
    written = {"midi": str(write_midi(DOCS / "music_sample.mid", roll, model.step_seconds).relative_to(DOCS.parent)),
               "png": str(plot_piano_roll(DOCS / "music_sample.png", roll, model.step_seconds, PRIME_STEPS,
                                          f"{model.data.set}, {model.model.config.output}: {PRIME_STEPS} steps of "
                                          f"test piece 0, then {SAMPLE_STEPS} sampled (seed 0)")
                          .relative_to(DOCS.parent)),
               "command": f"recur sample {out} --out docs/music_sample.mid --png docs/music_sample.png --wav "
                          f"docs/music_sample.wav --prime-from test:0 --prime-steps {PRIME_STEPS} --length "
                          f"{SAMPLE_STEPS} --seed 0"}
    if audio_unavailable() is None:
        written["wav"] = str(render_wav(DOCS / "music_sample.mid", DOCS / "music_sample.wav").relative_to(DOCS.parent))
    return written


def markdown(rows: list[dict]) -> str:
    lines = ["| model | training | valid NLL | test NLL |", "| --- | --- | ---: | ---: |"]
    for r in rows:
        training = f"{r['training_minutes']:.0f} min, {r['steps']:,} steps" if "steps" in r else "counted"
        lines.append(f"| {r['model']} | {training} | {r['valid']['nll']:.2f} | {r['test']['nll']:.2f} |")
    return "\n".join(lines)


def main() -> None:
    os.environ.setdefault("RECUR_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    done = row_benchmark(__doc__, __file__, ROWS, train_and_score, markdown, minutes=10.0, runs="runs/music",
                         out=RESULTS / "music.json")
    if done is None:
        return
    rows, args = done
    rows += key_frequency_rows()
    sample = write_sample(row_folders(ROWS, args.runs)["jsb, nade"])
    write_results({"machine": machine_info(), "minutes": args.minutes, "minutes_factor": MINUTES_FACTOR,
                   "published": {k: {s: {"nll": v, "status": st} for s, (v, st) in d.items()}
                                 for k, d in PUBLISHED.items()},
                   "sample": sample, "rows": rows}, args.out)
    print(markdown(rows))


if __name__ == "__main__":
    main()
