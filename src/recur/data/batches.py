"""Minibatches of examples in a seeded order that changes every epoch, with a resumable position;
and each process's rows of a batch when several train it together (DDP)."""

from __future__ import annotations

import dataclasses

import torch

from recur.errors import RecurError, require_positive


class RowShare:
    """One process's rows of each step's global batch, for a task that draws the whole batch the
    same way on every process (from its seed and step) and trains its own rows of it.

    Under DDP (``shard``) rank r of W takes rows r, r+W, ... (``mine``); its loss is a mean over its
    own items (rows, words, predicted steps or points), and ``count`` records ``share`` = (its
    items, the batch's items), which ``recur.train.distributed.global_mean`` turns into the weight
    that makes the averaged gradient the whole batch's. On one process ``mine`` is every row."""

    def __init__(self, rows: int):
        self.rows = rows  # of a full batch (--batch-size, or fewer where the data set is smaller)
        self.rank, self.world = 0, 1
        self.share = (0, 0)

    def shard(self, rank: int, world: int) -> None:
        if world > self.rows:
            raise RecurError(f"--batch-size {self.rows} cannot be shared by {world} processes: give at least {world}")
        self.rank, self.world = rank, world

    def mine(self, rows):
        """This rank's rows of ``rows`` (a list, an array or a tensor along its first dimension)."""
        return rows[self.rank :: self.world]

    def mine_of(self, batch):
        """This rank's rows of a batch dataclass whose fields are all tensors ``[B, ...]``."""
        return dataclasses.replace(batch, **{f.name: self.mine(getattr(batch, f.name))
                                             for f in dataclasses.fields(batch)})

    def count(self, mine: int, whole: int) -> None:
        self.share = (int(mine), int(whole))


class EpochOrder:
    """Indices into ``count`` examples, ``batch_size`` at a time: epoch e visits them in the order
    ``randperm(count, seed + e)``; an epoch's last batch holds what is left, so it may be short.

    Sharded over W processes (``shard``, for DDP), rank r takes rows r, r+W, ... of each batch and
    ``share`` says how many of the batch's rows that was; the position stays the whole batch's, so
    a checkpoint does not depend on W. An epoch's last batch with fewer rows than W is skipped."""

    def __init__(self, count: int, batch_size: int, seed: int = 0):
        if count < 1:
            raise RecurError("no training examples")
        require_positive("batch size", batch_size)
        self.count, self.batch_size, self.seed = count, batch_size, seed
        self.position, self.epoch = 0, 0
        self.order = self._shuffled()
        self.rows = RowShare(batch_size)

    def shard(self, rank: int, world: int) -> None:
        if world > self.count:
            raise RecurError(f"{self.count} training examples cannot be shared by {world} processes")
        self.rows.shard(rank, world)

    @property
    def share(self) -> tuple[int, int]:
        """(this rank's rows, the batch's rows) of the last batch."""
        return self.rows.share

    def _shuffled(self) -> list[int]:
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        return torch.randperm(self.count, generator=generator).tolist()

    def next_batch(self) -> list[int]:
        """This rank's rows of the next batch (all of them on one process)."""
        batch = self._next_whole_batch()
        while len(batch) < self.rows.world:  # a tail too short to give every rank a row
            batch = self._next_whole_batch()
        mine = self.rows.mine(batch)
        self.rows.count(len(mine), len(batch))
        return mine

    def _next_whole_batch(self) -> list[int]:
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


class ShardsByOrder:
    """For a task whose batches come from ``self.order`` (an ``EpochOrder``): DDP's ``shard`` and
    ``share`` (``recur.train.distributed``)."""

    def shard(self, rank: int, world: int) -> None:
        self.order.shard(rank, world)

    @property
    def share(self) -> tuple[int, int]:
        return self.order.share


class SharesRows:
    """For a task that trains ``self.rows.mine(...)`` of each batch (``self.rows``: a ``RowShare``):
    DDP's ``shard`` and ``share`` (``recur.train.distributed``)."""

    rows: RowShare

    def shard(self, rank: int, world: int) -> None:
        self.rows.shard(rank, world)

    @property
    def share(self) -> tuple[int, int]:
        return self.rows.share
