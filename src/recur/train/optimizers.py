"""Optimizer registry and the conversion of optimizer state to and from flat tensors + JSON."""

from __future__ import annotations

import json

import torch

from recur.errors import RecurError

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "rmsprop": torch.optim.RMSprop,
    "sgd": torch.optim.SGD,
}


LARGEST_SETTING = 1e30  # past ~1e37 a step overflows float32 (Adam's is lr / 0.1): a crash, not a diverged run


def build_optimizer(name: str, params, lr: float, weight_decay: float = 0.0) -> torch.optim.Optimizer:
    try:
        factory = OPTIMIZERS[name]
    except KeyError:
        raise RecurError(f"unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}") from None
    for setting, value in (("lr", lr), ("weight-decay", weight_decay)):
        if value > LARGEST_SETTING:
            raise RecurError(f"{setting} must be at most {LARGEST_SETTING:g} (the optimizer's step works in float32), "
                             f"got {value:g}")
    return factory(params, lr=lr, weight_decay=weight_decay)


def optimizer_to_flat(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    """Split ``state_dict()`` into tensors keyed ``"{param}.{key}"`` and a JSON-able rest."""
    state = optimizer.state_dict()
    tensors, scalars = {}, {}
    for param_id, slots in state["state"].items():
        for key, value in slots.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{param_id}.{key}"] = value
            else:
                scalars[f"{param_id}.{key}"] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def optimizer_from_flat(optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], rest: dict) -> None:
    """Load what ``optimizer_to_flat`` split off back into ``optimizer``. The loaded parameter groups
    must hold the settings ``optimizer`` was built with (recur never changes them, but for ``lr``,
    which the schedule sets before every step): an edited one (one number for ``betas``, an ``eps``
    of 1e308, ``capturable`` on a CPU, a setting deleted) would only fail in the middle of a step.
    Raises ``ValueError`` on any mismatch."""
    own = _plain(optimizer.state_dict()["param_groups"])
    groups, scalars = rest["param_groups"], rest["scalars"]
    if not isinstance(groups, list) or len(groups) != len(own) or not isinstance(scalars, dict):
        raise ValueError(f"expected {len(own)} parameter group(s) and a dict of scalars")
    if any(not isinstance(group, dict) or group.get("params") != built["params"] for group, built in zip(groups, own)):
        raise ValueError("the parameter groups do not list this model's parameters in order")
    slots: dict[int, dict] = {}
    for flat, value in [*tensors.items(), *scalars.items()]:
        param_id, key = flat.split(".", 1)
        if key in slots.get(int(param_id), {}):
            raise ValueError(f"optimizer state {flat} is saved twice")
        slots.setdefault(int(param_id), {})[key] = value
    optimizer.load_state_dict({"state": slots, "param_groups": groups})
    for loaded, built in zip(_plain(optimizer.state_dict()["param_groups"]), own):
        changed = sorted(k for k in set(built) - {"lr"} if loaded.get(k, _MISSING) != built[k])
        if changed:
            raise ValueError(f"optimizer setting {', '.join(changed)} is not the one this run was built with")
    for param, slot in optimizer.state.items():  # a moment of another parameter's shape fails only in a step
        for key, value in slot.items():
            if isinstance(value, torch.Tensor) and value.ndim and value.shape != param.shape:
                raise ValueError(f"optimizer state {key} is {list(value.shape)}, its parameter {list(param.shape)}")


_MISSING = object()


def _plain(groups: list[dict]) -> list[dict]:
    """Parameter groups as JSON reads them back (tuples as lists)."""
    return json.loads(json.dumps(groups))
