"""Tasks (what the trainer trains), their registry, and ``load``, which turns a checkpoint folder
into a ready model. Adding a task: a module ending in ``SPEC = TaskSpec(...)`` (``recur.tasks.spec``)
and one entry in ``TASKS`` below."""

from __future__ import annotations

from pathlib import Path

from recur.errors import RecurError
from recur.tasks import babi, caption, charlm, classify, forecast, music, ntm_copy, ntm_recall, ntm_repeat_copy, speech, strokes, translate, wordlm
from recur.tasks.spec import TaskSpec
from recur.train import checkpoint

TASKS: dict[str, TaskSpec] = {spec.name: spec for spec in (
    charlm.SPEC,
    wordlm.SPEC,
    classify.SPEC,
    forecast.SPEC,
    ntm_copy.SPEC,
    ntm_repeat_copy.SPEC,
    ntm_recall.SPEC,
    babi.SPEC,
    translate.SPEC,
    caption.SPEC,
    music.SPEC,
    strokes.SPEC,
    speech.SPEC,
)}


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


def task_of(folder: Path) -> tuple[TaskSpec, dict]:
    """The registered task of a checkpoint folder, and its config.json."""
    config = checkpoint.read_config(folder)
    name = config.get("task")
    if not isinstance(name, str) or name not in TASKS:  # an edited file may hold a list: unhashable
        raise RecurError(f"{folder / 'config.json'}: unknown task {name!r}; known: {', '.join(TASKS)}")
    return TASKS[name], config


def load(path: str | Path, wants: type | tuple[type, ...] | None = None, use: str = "this"):
    """A trained model, ready to use, from a checkpoint folder. Never runs code from the files.

    ``wants``: the kind (or kinds) of model the caller needs (``StreamLM`` to sample text); a checkpoint
    of another kind is refused in one line naming ``use`` and the tasks that would do."""
    folder = checkpoint_folder(path)
    spec, config = task_of(folder)
    if wants is not None and not issubclass(spec.ready_type, wants):
        fitting = [name for name, other in TASKS.items() if issubclass(other.ready_type, wants)]
        raise RecurError(f"{path}: a {spec.name} model; {use} needs a model of {' or '.join(fitting)}")
    ready = from_checkpoint_config(folder, spec.untrained_model, config)
    checkpoint.load_model_weights(ready.model, folder)
    ready.model.eval()
    return ready


def from_checkpoint_config(folder: Path, make, config: dict):
    """``make(config)`` (a task's ``untrained_model``, or its ``resumed_task``) for the checkpoint in
    ``folder``; an edited or foreign config.json is refused in one line naming it."""
    try:
        return make(config)
    except RecurError as err:
        raise RecurError(f"{folder}: {err}") from None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as err:  # an edited or foreign file
        raise RecurError(f"{folder / 'config.json'}: not a config this version of recur can read "
                         f"({type(err).__name__}: {err!s:.200})") from None


def held_out_scores(path: str | Path, data: str | None = None) -> dict[str, dict]:
    """The metrics of the model at ``path`` on each of its task's held-out splits (or on the file
    ``data``, read as the task's data type), with the number of items scored and where they came from."""
    model = load(path)
    if data:
        splits = {"data": (model.evaluation_data(data), data)}
    else:
        spec, config = task_of(checkpoint_folder(path))
        splits = {name: (split.data, split.source) for name, split in spec.held_out(config).items()}
    return {name: {**model.evaluate(items), model.item_name: model.count(items), "data": source}
            for name, (items, source) in splits.items()}


__all__ = ["TASKS", "checkpoint_folder", "from_checkpoint_config", "held_out_scores", "load", "task_of"]
