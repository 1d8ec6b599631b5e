"""Training curves from a run's ``metrics.jsonl``: the trainer writes one JSON record per log line
(step, loss, lr, grad_norm, throughput) and one per evaluation (step, ``val_`` metrics).

What the loss measures depends on the run's task, named in its checkpoint's config.json:

    charlm     cross-entropy −log p(x_t | x_<t), nats per character
    wordlm     the same, nats per word
    classify   cross-entropy −log p(y | x), nats per sentence
    forecast   MSE (or, with --loss mae, MAE) of values z-scored with the training rows' mean and
               standard deviation: (ŷ − y)² / σ², no unit

``loss_name`` says which, so a picture labels its axis by what was measured.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from recur.errors import RecurError
from recur.train import checkpoint

LOSS_NAMES = {"charlm": "cross-entropy (nats/char)", "wordlm": "cross-entropy (nats/word)",
              "classify": "cross-entropy (nats/sentence)"}
FORECAST_LOSS_NAMES = {"mse": "MSE (z-scored values)", "mae": "MAE (z-scored values)"}
UNKNOWN_LOSS = "loss"  # a metrics.jsonl without a checkpoint beside it: the unit is not known


@dataclass(frozen=True)
class Curves:
    train: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # loss, grad_norm, lr
    validation: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # val_loss, val_accuracy, ...
    loss: str = UNKNOWN_LOSS  # what the loss measures, from ``loss_name``

    def best_validation(self) -> float | None:
        """The lowest validation loss, or None before the first evaluation."""
        return min((v for _, v in self.validation.get("val_loss", [])), default=None)

    def steps(self) -> int:
        return max((s for s, _ in self.train.get("loss", [])), default=0)


def loss_name(config: dict) -> str:
    """What a run's loss measures, from its checkpoint's config (``UNKNOWN_LOSS`` for a task not listed)."""
    task = config.get("task")
    if task == "forecast":
        data = config.get("data") if isinstance(config.get("data"), dict) else {}
        return FORECAST_LOSS_NAMES.get(data.get("loss", "mse"), UNKNOWN_LOSS)
    return LOSS_NAMES.get(task, UNKNOWN_LOSS)


def run_loss_name(run: Path) -> str:
    """``loss_name`` of the checkpoint in the run folder ``run`` (itself, ``best/`` or ``last/``)."""
    for candidate in (run, run / "best", run / "last"):
        folder = checkpoint.resolve(candidate)
        if (folder / "config.json").is_file():
            config = checkpoint.read_config(folder)
            if not isinstance(config, dict):
                raise RecurError(f"{folder / 'config.json'}: expected a JSON object")
            return loss_name(config)
    return UNKNOWN_LOSS


def _number(value) -> bool:
    """A finite JSON number (a diverged run's inf or nan is left out of a curve; ``true`` is not 1)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def read_curves(run: str | Path) -> Curves:
    """The curves of a run folder (or of the ``metrics.jsonl`` named directly)."""
    path = Path(run)
    folder = path if path.is_dir() else path.parent
    path = path / "metrics.jsonl" if path.is_dir() else path
    if not path.is_file():
        raise RecurError(f"{path}: not found; a run folder of 'recur train' holds metrics.jsonl")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise RecurError(f"{path}: not UTF-8 text; expected the JSON lines 'recur train' writes") from None
    train, validation = {}, {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            raise RecurError(f"{path}, line {number}: not a JSON record") from None
        if not isinstance(record, dict):
            raise RecurError(f"{path}, line {number}: not a JSON record")
        step = record.get("step")
        if not isinstance(step, int) or isinstance(step, bool):
            raise RecurError(f"{path}, line {number}: no integer 'step'")
        names = [k for k in record if k.startswith("val_")]
        target = validation if names else train
        for name in names or ("loss", "grad_norm", "lr"):
            if _number(record.get(name)):
                target.setdefault(name, []).append((step, float(record[name])))
    if not train and not validation:
        raise RecurError(f"{path}: no training records in it")
    return Curves(train, validation, run_loss_name(folder))
