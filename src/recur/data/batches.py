"""Minibatches of examples in a seeded order that changes every epoch, with a resumable position."""

from __future__ import annotations

import torch

from recur.errors import RecurError, require_positive


class EpochOrder:
    """Indices into ``count`` examples, ``batch_size`` at a time: epoch e visits them in the order
    ``randperm(count, seed + e)``; an epoch's last batch holds what is left, so it may be short."""

    def __init__(self, count: int, batch_size: int, seed: int = 0):
        if count < 1:
            raise RecurError("no training examples")
        require_positive("batch size", batch_size)
        self.count, self.batch_size, self.seed = count, batch_size, seed
        self.position, self.epoch = 0, 0
        self.order = self._shuffled()

    def _shuffled(self) -> list[int]:
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        return torch.randperm(self.count, generator=generator).tolist()

    def next_batch(self) -> list[int]:
        start = self.position * self.batch_size
        batch = self.order[start : start + self.batch_size]
        self.position += 1
        if self.position * self.batch_size >= self.count:  # the epoch is done: a new order
            self.position, self.epoch = 0, self.epoch + 1
            self.order = self._shuffled()
        return batch

    def state(self) -> dict:
        return {"position": self.position, "epoch": self.epoch}

    def load_state(self, state: dict) -> None:
        self.position, self.epoch = state["position"], state["epoch"]
        self.order = self._shuffled()
