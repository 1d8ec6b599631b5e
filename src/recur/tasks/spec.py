"""The task contract: what a task module gives ``recur train``, ``recur eval``, ``recur.load`` and
its own command-line verbs. A task is one module that ends in ``SPEC = TaskSpec(...)`` and one line
in ``recur.tasks.TASKS``; nothing else in the house changes (docs/architecture.md walks through it).

    TaskSpec.DataConfig, .ModelConfig   frozen dataclasses; ``recur train TASK`` gets one flag per field
                                        (metadata ``flag=False`` hides a field the data decides, e.g.
                                        the vocabulary size; ``help`` and ``choices`` feed --help)
    new_task(data_path, data, model)    a fresh trainer-facing task (``recur.train.task.Task``) from the
                                        data at ``data_path`` (None: the bundled or $RECUR_DATA default)
                                        and the flags given, as dicts of field values
    resumed_task(config, data_path)     the task of a checkpoint's config.json, to continue training
    held_out(config)                    ``{split: HeldOut}``: the typed data ``recur eval`` scores
    untrained_model(config)             the ready model (``ReadyModel``) shaped by config.json, with
                                        fresh weights; ``recur.load`` fills in the trained ones
    verbs                               the task's own commands (``recur predict``, ``recur forecast``)
    train_defaults                      the task's own defaults for training flags (``--lr``, ``--optimizer``)
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol

from torch import nn

from recur.errors import RecurError
from recur.train.task import Task


@dataclass(frozen=True)
class HeldOut:
    """One held-out split: the data, already in the type the ready model's ``evaluate`` takes
    (text, labelled sentences, rows of a series), and where it came from."""
    data: Any
    source: str


class ReadyModel(Protocol):
    """What ``recur.load`` returns: a trained model with what it needs to be used (vocabulary,
    scaling, ...)."""
    model: nn.Module
    item_name: str  # what ``count`` counts, e.g. "chars", "sentences", "windows"

    def evaluate(self, data) -> dict[str, float]:
        """Metrics on held-out data of the task's type."""

    def count(self, data) -> int:
        """How many items ``evaluate`` scores in ``data``."""

    def evaluation_data(self, path: str):
        """A user's file (``recur eval --data FILE``) read as the task's data type."""


class Sampler:
    """What ``recur sample`` serves: a ready model that writes something new (a language model's
    text, a music model's piece, a stroke model's drawings). ``kind`` names which
    (``recur.tasks.sample_verb.KINDS``)."""
    kind: str


@dataclass(frozen=True)
class Verb:
    """A task's own command, ``recur NAME CHECKPOINT ...``: the CLI loads the checkpoint, refusing
    one whose ready model is not a ``wants``, and calls ``run(model, args)``. Tasks that share a
    verb (``sample`` for every language model) list the same object."""
    name: str
    help: str
    wants: type
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Any, argparse.Namespace], int]
    description: str | None = None


@dataclass(frozen=True)
class TaskSpec:
    name: str
    summary: str  # one line, for ``recur train --help``
    data_help: str  # what ``--data`` reads, and the default
    DataConfig: type
    ModelConfig: type
    ready_type: type  # the class ``untrained_model`` returns
    new_task: Callable[[str | None, dict, dict], Task]
    resumed_task: Callable[[dict, str | None], Task]
    held_out: Callable[[dict], dict[str, HeldOut]]
    untrained_model: Callable[[dict], ReadyModel]
    verbs: tuple[Verb, ...] = ()
    # the task's own defaults for ``TrainConfig`` fields (``recur train NAME`` shows and uses them; a
    # flag still wins): settings that fit this task, as the NTM's lr 1e-3 or bAbI's authors' SGD
    train_defaults: Mapping[str, Any] = field(default_factory=dict)


def saved_model_config(config: dict, config_type: type):
    """``config_type(**config["model"])`` from a checkpoint's config.json, refusing settings the
    type does not have (a checkpoint of another version or another task) rather than ignoring them,
    values of the wrong type or range (the config checks them), and a vocabulary whose length is not
    the model's ``vocab_size``."""
    model = config.get("model")
    if not isinstance(model, dict):
        raise RecurError("config.json has no \"model\" settings")
    names = {f.name for f in fields(config_type)}
    unknown, missing = set(model) - names, {f.name for f in fields(config_type) if f.name not in model
                                            and f.default is MISSING and f.default_factory is MISSING}
    if unknown or missing:
        raise RecurError(f"config.json: {'unknown' if unknown else 'missing'} model settings: "
                         f"{', '.join(sorted(unknown or missing))}")
    try:
        model_config = config_type(**model)
    except RecurError as err:
        raise RecurError(f"config.json: {err}") from None
    vocab = config.get("vocab")
    if vocab is not None and hasattr(model_config, "vocab_size") and len(vocab) != model_config.vocab_size:
        raise RecurError(f"config.json: the vocabulary has {len(vocab)} entries but vocab_size is "
                         f"{model_config.vocab_size}")
    return model_config


def data_source(data_path: str | None) -> str:
    """The ``source`` a task's data config keeps: ``--data`` as an absolute path, or "" for the
    task's default data (bundled or under $RECUR_DATA)."""
    return str(Path(data_path).expanduser().resolve()) if data_path else ""


def resumed_data(config: dict, data_type: type, data_path: str | None):
    """The ``data_type`` of a checkpoint's config.json, with ``--data`` (if given) read instead of
    the data it trained on."""
    return data_type(**{**config["data"], **({"source": data_source(data_path)} if data_path else {})})


def perplexity(loss: float) -> float:
    """e^loss, the perplexity of a mean loss in nats; infinite where that passes a float's range (a
    diverged run's loss of thousands), not an OverflowError."""
    try:
        return math.exp(loss)
    except OverflowError:
        return math.inf
