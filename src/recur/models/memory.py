"""Refusing a model too big for this machine before allocating it: ``--hidden 100000`` is a
160 GB LSTM, and PyTorch would start allocating it (or die) rather than say so.

The model is first built on PyTorch's ``meta`` device, which records shapes and allocates nothing;
training holds each parameter four times over (the weights, their gradients and Adam's two
moments), so a model is refused when 4 × parameters × bytes per value exceeds the machine's memory.
One too big even to measure (``--hidden 2**62``: its sizes overflow int64, on meta too) is refused
in one line when the real build fails, as is one the allocator cannot place.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable

import torch
from torch import nn

from recur.errors import RecurError

COPIES_WHEN_TRAINING = 4  # weights, gradients, two optimizer moments


def machine_memory_bytes() -> int | None:
    """Physical memory, or None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def training_bytes(build: Callable[[], nn.Module]) -> int | None:
    """Bytes to train the module ``build()`` makes, measured on the meta device (None if the module
    cannot be built there, e.g. an initialiser that needs real numbers)."""
    try:
        with torch.device("meta"):
            probe = build()
    except RecurError:
        raise
    except Exception:  # noqa: BLE001 - a probe that cannot run on meta is simply not measured
        return None
    return COPIES_WHEN_TRAINING * sum(p.numel() * p.element_size() for p in probe.parameters())


def build_within_memory(build: Callable[[], nn.Module], what: str, memory: int | None = None) -> nn.Module:
    """``build()``, unless training what it builds needs more than the machine's memory: then one
    line naming ``what`` (the settings that size it), the need and the memory."""
    memory = machine_memory_bytes() if memory is None else memory
    need = training_bytes(build)
    if need is not None and memory is not None and need > memory:
        raise RecurError(f"{what} needs about {need / 2**30:,.0f} GiB to train (weights, gradients, optimizer "
                         f"moments); this machine has {memory / 2**30:,.0f} GiB: choose a smaller size")
    try:
        return build()
    except (RuntimeError, TypeError, MemoryError) as err:  # sizes past int64 (the probe failed too), no memory
        raise RecurError(f"{what} cannot be built: {str(err).splitlines()[0]:.160}; choose a smaller size") from None


def sized(build: Callable, config) -> nn.Module:
    """``build(config)`` (a task's whole model) within the machine's memory: a refusal names the
    config's whole-number settings, the sizes (``--channels``, ``--nade-hidden``, ...)."""
    sizes = ", ".join(f"{f.name}={getattr(config, f.name)}" for f in dataclasses.fields(config)
                      if type(getattr(config, f.name)) is int)
    return build_within_memory(lambda: build(config), f"this model ({sizes})")
