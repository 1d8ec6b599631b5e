"""Recurrent state as data: the few operations every state type supports, whatever its fields hold.

A state is a small named record of tensors: a cell's ``NamedTuple`` (``LSTMState(h, c)``, fields
``[B, H]``; ``[layers·dirs, B, H]`` once ``Recurrent`` stacks its layers) or a dataclass whose
fields have any shape (an NTM's memory ``[B, N, M]`` beside its head weightings ``[B, N]``). Code
that carries, saves or reorders state goes through these functions instead of assuming a layout.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import torch


def state_fields(state) -> dict[str, torch.Tensor]:
    """``{field name: tensor}`` of a named-tuple or dataclass state."""
    if dataclasses.is_dataclass(state):
        return {f.name: getattr(state, f.name) for f in dataclasses.fields(state)}
    return dict(zip(state._fields, state))


def field_names(state_type: type) -> list[str]:
    if dataclasses.is_dataclass(state_type):
        return [f.name for f in dataclasses.fields(state_type)]
    return list(state_type._fields)


def state_from_fields(state_type: type, tensors: dict[str, torch.Tensor]):
    """The state of type ``state_type`` holding ``tensors`` (every field must be present)."""
    return state_type(**{name: tensors[name] for name in field_names(state_type)})


def map_state(fn: Callable[[torch.Tensor], torch.Tensor], state):
    """The same type of state with ``fn`` applied to every field (``None`` stays ``None``)."""
    if state is None:
        return None
    return state_from_fields(type(state), {name: fn(t) for name, t in state_fields(state).items()})


def detach_state(state):
    """Cut the graph behind a carried state (truncated BPTT)."""
    return map_state(torch.Tensor.detach, state)


def stack_states(states: list):
    """One state whose every field stacks the given states' fields along a new first dimension."""
    first = states[0]
    return state_from_fields(type(first), {name: torch.stack([state_fields(s)[name] for s in states])
                                           for name in state_fields(first)})
