"""The one checkpoint path: safetensors for tensors, JSON for everything else, never pickle.

A checkpoint is a folder of

    config.json             what rebuilds the model and its task (vocabulary included)
    model.safetensors       the model's parameters
    optimizer.safetensors   optimizer tensors (moments), when training state is kept
    state.safetensors       RNG state and the task's carried tensors (e.g. the TBPTT hidden state)
    trainer_state.json      step, elapsed time, best metric, data position, optimizer settings

It is written into a temporary sibling folder (``.NAME.*``), flushed to disk and renamed into
place, so a crash, a kill or a full disk mid-write leaves the previous checkpoint whole (at worst
renamed to ``NAME.old``, which ``resolve`` finds). Its files get the modes the user's umask gives.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from recur.atomic import as_umask_allows, durable, durable_entries
from recur.errors import RecurError


def write_checkpoint(folder: Path, config: dict, tensors: dict[str, dict[str, torch.Tensor]],
                     json_files: dict[str, dict] | None = None) -> None:
    """Write ``{name}.safetensors`` for each entry of ``tensors`` and ``{name}.json`` for each of
    ``json_files``, plus config.json, atomically replacing ``folder``."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    old = folder.with_name(folder.name + ".old")
    try:
        try:
            _write_json(tmp / "config.json", config)
            for name, group in tensors.items():
                save_file({k: v.detach().contiguous().cpu() for k, v in group.items()}, tmp / f"{name}.safetensors")
            for name, data in (json_files or {}).items():
                _write_json(tmp / f"{name}.json", data)
            as_umask_allows(tmp)
            durable(tmp)
            if folder.exists():  # if not, an ``old`` (left by a write cut between these renames) is the only copy
                if old.exists():
                    shutil.rmtree(old)
                folder.rename(old)
            tmp.rename(folder)
        except (OSError, SafetensorError) as err:  # a full disk, a quota: name the folder, not the temp file
            reason = getattr(err, "strerror", None) or str(err)
            previous = resolve(folder)
            kept = f"the previous checkpoint in {previous} is kept" if (previous / "config.json").exists() else \
                "no earlier checkpoint was there"
            raise RecurError(f"{folder}: could not write the checkpoint ({reason}); {kept}") from None
        durable_entries(folder.parent)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def resolve(folder: Path) -> Path:
    """The folder itself, or its ``.old`` copy if a write was cut off between the two renames."""
    folder = Path(folder)
    old = folder.with_name(folder.name + ".old")
    if not (folder / "config.json").exists() and (old / "config.json").exists():
        return old
    return folder


def read_config(folder: Path) -> dict:
    return _read_json(Path(folder) / "config.json")


def read_json(folder: Path, name: str) -> dict:
    return _read_json(Path(folder) / f"{name}.json")


def read_tensors(folder: Path, name: str) -> dict[str, torch.Tensor]:
    path = Path(folder) / f"{name}.safetensors"
    if not path.exists():
        raise RecurError(f"{path}: missing from the checkpoint")
    try:
        return load_file(path)
    except (SafetensorError, OSError, ValueError) as err:
        raise RecurError(f"{path}: not a readable safetensors file ({err})") from None


def model_weights(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """``model.state_dict()`` with each tensor once: a tied weight (the read-out sharing the
    embedding) appears under its first name only, as safetensors stores no aliases."""
    seen, weights = set(), {}
    for name, tensor in model.state_dict().items():
        key = (tensor.data_ptr(), tuple(tensor.shape), tensor.dtype)
        if key not in seen:
            seen.add(key)
            weights[name] = tensor
    return weights


def load_model_weights(model: torch.nn.Module, folder: Path) -> None:
    """Load ``model.safetensors`` into ``model``, refusing a file that does not match it."""
    weights = read_tensors(folder, "model")
    expected = model_weights(model)
    if set(weights) != set(expected) or any(weights[k].shape != expected[k].shape for k in expected):
        raise RecurError(f"{Path(folder) / 'model.safetensors'}: weights do not match the model in config.json")
    model.load_state_dict(weights, strict=False)  # the keys left out are aliases of tied weights, loaded with them


def append_jsonl(path: Path, record: dict) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _read_json(path: Path) -> dict:
    if not path.exists():
        raise RecurError(f"{path}: missing from the checkpoint")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise RecurError(f"{path}: not valid JSON ({err})") from None
    except (ValueError, RecursionError):  # an integer of over 4,300 digits; nesting deeper than Python's stack
        raise RecurError(f"{path}: not JSON recur can read (a number too long or nesting too deep)") from None
    if not isinstance(data, dict):
        raise RecurError(f"{path}: expected a JSON object, got {json.dumps(data)[:40]}")
    return data
