"""What the trainer needs from a task, and nothing more (the trainer knows no task)."""

from __future__ import annotations

from typing import Protocol

import torch
from torch import nn


class Task(Protocol):
    model: nn.Module
    items_per_step: int  # characters, tokens or examples per training step, for throughput
    item_name: str  # e.g. "chars"

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
