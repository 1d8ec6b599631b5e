"""Tasks (what the trainer trains) and ``load``, which turns a checkpoint folder into a ready model."""

from __future__ import annotations

from pathlib import Path

from recur.data import read_text
from recur.errors import RecurError
from recur.tasks import charlm, classify, forecast, wordlm
from recur.train import checkpoint
from recur.train.trainer import load_model_weights

# each: DataConfig, ModelConfig, new_task, resumed_task, held_out, ready_model
TASKS = {"charlm": charlm, "wordlm": wordlm, "classify": classify, "forecast": forecast}


def checkpoint_folder(path: str | Path) -> Path:
    """The folder holding the model to use: ``path`` itself if it is a checkpoint, else its
    ``best/`` (the best validation score), else its ``last/``."""
    path = Path(path)
    if not path.exists():
        raise RecurError(f"{path}: no such checkpoint folder")
    if not path.is_dir():
        raise RecurError(f"{path}: not a folder; expected a checkpoint folder made by 'recur train'")
    for candidate in (path, path / "best", path / "last"):
        folder = checkpoint.resolve(candidate)
        if (folder / "config.json").exists() and (folder / "model.safetensors").exists():
            return folder
    raise RecurError(f"{path}: not a recur checkpoint (no config.json and model.safetensors in it, best/ or last/)")


def load(path: str | Path):
    """A trained model, ready to use, from a checkpoint folder. Never runs code from the files."""
    folder = checkpoint_folder(path)
    config = checkpoint.read_config(folder)
    task = config.get("task")
    if task not in TASKS:
        raise RecurError(f"{folder / 'config.json'}: unknown task {task!r}; known: {', '.join(TASKS)}")
    ready = TASKS[task].ready_model(config)
    load_model_weights(ready.model, folder)
    ready.model.eval()
    return ready


def held_out_scores(path: str | Path, data: str | None = None) -> dict[str, dict]:
    """The metrics of the model at ``path`` on each of its task's held-out splits (or on the file
    ``data``), with the number of items scored and where they came from."""
    model = load(path)
    if data:
        splits = {"data": (read_text(data), data)}
    else:
        config = checkpoint.read_config(checkpoint_folder(path))
        splits = TASKS[config["task"]].held_out(config)
    return {name: {**model.evaluate(text), model.item_name: model.count(text), "data": source}
            for name, (text, source) in splits.items()}


__all__ = ["TASKS", "checkpoint_folder", "held_out_scores", "load"]
