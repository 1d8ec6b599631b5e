"""What a run folder holds, in one record: ``recur info DIR``.

    task, model and data settings, training settings     last/config.json, last/trainer_state.json
    each session's command, times and machine           run.json
    steps, training time, the best validation score     trainer_state.json of last/ and best/
    every validation (step and metrics)                 metrics.jsonl (``recur.analysis.curves``)
    held-out metrics of best/ (valid/test splits)       evaluated now, unless evaluate=False

The summaries of the runs the docs quote are committed under ``bench/results/runs/``.
"""

from __future__ import annotations

import json
from pathlib import Path

from recur.analysis.curves import read_curves
from recur.errors import RecurError
from recur.tasks import checkpoint_folder, held_out_scores
from recur.train import checkpoint
from recur.train.run_log import read_sessions


def run_summary(path: str | Path, evaluate: bool = True) -> dict:
    """The record of the run folder ``path`` (holding ``last/`` and ``best/``)."""
    path = Path(path)
    last = checkpoint.resolve(path / "last")
    if not (last / "config.json").exists():
        raise RecurError(f"{path}: not a run folder (no last/config.json); 'recur info' reads the folder given "
                         "to 'recur train --out'")
    config = checkpoint.read_config(last)
    trainer_state = checkpoint.read_json(last, "trainer_state")
    best_folder = checkpoint.resolve(path / "best")
    best = checkpoint.read_json(best_folder, "trainer_state") if (best_folder / "config.json").exists() else None
    summary = {
        "run": str(path.resolve()), "task": config.get("task"), "model": config.get("model"),
        "data": config.get("data"), "train_config": trainer_state.get("train_config"),
        "sessions": read_sessions(path),
        "steps": trainer_state.get("step"), "training_seconds": trainer_state.get("elapsed"),
        "best": best and {"step": best.get("step"), "validation": best.get("val")},
        "validations": validations(path),
        "held_out": held_out_scores(checkpoint_folder(path)) if evaluate else None,
    }
    return summary


def validations(path: Path) -> dict[str, list[list[float]]]:
    """``{"val_loss": [[step, value], ...], ...}``: every validation the run logged (none if it has no
    metrics.jsonl)."""
    if not (path / "metrics.jsonl").exists():
        return {}
    return {name: [[step, value] for step, value in points] for name, points in read_curves(path).validation.items()}


def summary_text(summary: dict) -> str:
    """The record as a few readable lines."""
    def settings(d: dict | None) -> str:
        return ", ".join(f"{k}={v}" for k, v in (d or {}).items())

    lines = [f"run      {summary['run']}", f"task     {summary['task']}",
             f"model    {settings(summary['model'])}", f"data     {settings(summary['data'])}",
             f"training {settings(summary['train_config'])}",
             f"steps    {summary['steps']} in {summary['training_seconds'] or 0:.0f} s of training"]
    for number, session in enumerate(summary["sessions"], 1):
        machine = session.get("machine", {})
        lines.append(f"session {number}: {session.get('started')} .. {session.get('ended', '(not ended)')}, "
                     f"steps {session.get('from_step')}..{session.get('to_step', '?')}: {session.get('command')}")
        ranks = session.get("processes", 1)
        lines.append(f"          on {machine.get('processor')}, {machine.get('cores')} cores, torch "
                     f"{machine.get('torch')} ({machine.get('torch_threads')} threads"
                     f"{f' per process, {ranks} processes' if ranks != 1 else ''}), commit {machine.get('commit')}")
    if summary["best"]:
        lines.append(f"best     step {summary['best']['step']}: {json.dumps(summary['best']['validation'])}")
    for split, scores in (summary["held_out"] or {}).items():
        lines.append(f"{split:<8} {json.dumps(scores)}")
    return "\n".join(lines)
