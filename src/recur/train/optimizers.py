"""Optimizer registry and the conversion of optimizer state to and from flat tensors + JSON."""

from __future__ import annotations

import torch

from recur.errors import RecurError

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "rmsprop": torch.optim.RMSprop,
    "sgd": torch.optim.SGD,
}


def build_optimizer(name: str, params, lr: float, weight_decay: float = 0.0) -> torch.optim.Optimizer:
    try:
        factory = OPTIMIZERS[name]
    except KeyError:
        raise RecurError(f"unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}") from None
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
    slots: dict[int, dict] = {}
    for flat, value in [*tensors.items(), *rest["scalars"].items()]:
        param_id, key = flat.split(".", 1)
        slots.setdefault(int(param_id), {})[key] = value
    optimizer.load_state_dict({"state": slots, "param_groups": rest["param_groups"]})
