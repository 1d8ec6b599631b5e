"""Training curves from a run's ``metrics.jsonl``: the trainer writes one JSON record per log line
(step, loss, lr, grad_norm, throughput) and one per evaluation (step, ``val_`` metrics)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from recur.errors import RecurError


@dataclass(frozen=True)
class Curves:
    train: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # loss, grad_norm, lr
    validation: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # val_loss, val_accuracy, ...


def read_curves(run: str | Path) -> Curves:
    """The curves of a run folder (or of the ``metrics.jsonl`` named directly)."""
    path = Path(run)
    path = path / "metrics.jsonl" if path.is_dir() else path
    if not path.exists():
        raise RecurError(f"{path}: not found; a run folder of 'recur train' holds metrics.jsonl")
    curves = Curves()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise RecurError(f"{path}, line {number}: not a JSON record") from None
        step = record.get("step")
        if not isinstance(step, int):
            raise RecurError(f"{path}, line {number}: no integer 'step'")
        validation = [k for k in record if k.startswith("val_")]
        target = curves.validation if validation else curves.train
        for name in validation or ("loss", "grad_norm", "lr"):
            value = record.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                target.setdefault(name, []).append((step, float(value)))
    if not curves.train and not curves.validation:
        raise RecurError(f"{path}: no training records in it")
    return curves
