"""What the trainer needs from a task, and nothing more (the trainer knows no task)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch
from torch import nn


@dataclass(frozen=True)
class Selection:
    """The validation metric that picks the ``best/`` checkpoint, and which way is better."""
    metric: str = "loss"
    higher_is_better: bool = False

    def improves(self, value: float, best: float | None) -> bool:
        return best is None or (value > best if self.higher_is_better else value < best)


LOWEST_LOSS = Selection()


class Task(Protocol):
    model: nn.Module
    items_per_step: int  # characters, tokens or examples per training step, for throughput
    item_name: str  # e.g. "chars"
    # optional: ``selection: Selection`` (default LOWEST_LOSS), the metric that picks best/
    # optional: ``closed_form: bool`` and ``solve()``: weights found in one solve, not by steps

    def config(self) -> dict:
        """JSON that rebuilds the model and the task (vocabulary included)."""

    def train_loss(self) -> torch.Tensor:
        """Mean loss on the next training batch; advances the data position."""

    def evaluate(self) -> dict[str, float]:
        """Validation metrics; must include ``loss`` (lower is better)."""

    def state(self) -> tuple[dict, dict[str, torch.Tensor]]:
        """Data position (JSON) and carried tensors, for exact resume."""

    def load_state(self, position: dict, tensors: dict[str, torch.Tensor]) -> None:
        ...
