"""Each process's rows of a batch under DDP: ``EpochOrder`` (an order of examples) and ``RowShare``
(a batch every rank draws alike): rows r, r+W, ..., every row once, and the share they record."""

from dataclasses import dataclass

import pytest
import torch

from recur.data.batches import EpochOrder, RowShare
from recur.errors import RecurError


def test_the_ranks_rows_of_an_order_cover_each_batch_once():
    orders = [EpochOrder(10, 4, seed=1) for _ in range(3)]
    for rank, order in enumerate(orders):
        order.shard(rank, 3)
    whole = EpochOrder(10, 4, seed=1)
    for _ in range(5):  # batches of 4, 4, then the tail of 2 (fewer rows than ranks: skipped), ...
        batch = whole.next_batch()
        while len(batch) < 3:
            batch = whole.next_batch()
        mine = [order.next_batch() for order in orders]
        assert sorted(sum(mine, [])) == sorted(batch)
        assert [order.share for order in orders] == [(len(m), len(batch)) for m in mine]


def test_a_batch_smaller_than_the_processes_is_refused():
    with pytest.raises(RecurError, match="--batch-size 2 cannot be shared by 3 processes"):
        EpochOrder(10, 2).shard(0, 3)
    with pytest.raises(RecurError, match="--batch-size 2 cannot be shared by 3 processes"):
        RowShare(2).shard(0, 3)


@dataclass
class Pair:
    x: torch.Tensor
    y: torch.Tensor


def test_row_share_takes_every_worldth_row_of_lists_tensors_and_batches():
    share = RowShare(5)
    assert share.mine([0, 1, 2, 3, 4]) == [0, 1, 2, 3, 4]  # one process: every row
    share.shard(1, 2)
    assert share.mine([0, 1, 2, 3, 4]) == [1, 3]
    batch = share.mine_of(Pair(torch.arange(10).view(5, 2), torch.arange(5)))
    assert batch.x.tolist() == [[2, 3], [6, 7]] and batch.y.tolist() == [1, 3]
    share.count(torch.tensor(7), 19)
    assert share.share == (7, 19) and isinstance(share.share[0], int)
