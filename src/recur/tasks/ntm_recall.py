"""Associative recall (Graves et al. 2014, §4.3): read a list of items, then one of them as a query,
and answer with the item that followed it in the list.

    for each of the K items:   a delimiter step, then the item's ``item_length`` vectors
    then:                      a query delimiter, the query item, the query delimiter again
    output:                    the item after the query in the list (scored), over ``item_length`` steps

An item is ``item_length`` vectors of ``bits`` random bits (3 of 6 in the paper); the input has
two more channels, the item delimiter and the query delimiter. The query is any item but the last.
A length is K, the number of items: 2 … 6 in training, as in the paper.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import torch

from recur.tasks.ntm_tasks import Batch, BitProblem, memory_task_spec, random_bits
from recur.tasks.ntm_verb import RECALL


@dataclass(frozen=True)
class RecallData(BitProblem):
    length_name: ClassVar[str] = "items"
    bits: int = 6
    min_length: int = field(default=2, metadata={"help": "fewest items in training", "at_least": 2})
    max_length: int = field(default=6, metadata={"help": "most items in training", "at_least": 2})
    item_length: int = field(default=3, metadata={"help": "vectors per item", "at_least": 1, "at_most": 100})

    @property
    def input_size(self) -> int:
        return self.bits + 2  # the bits, the item delimiter and the query delimiter

    @property
    def output_size(self) -> int:
        return self.bits

    def batch(self, size: int, length: int, generator: torch.Generator) -> Batch:
        span = self.item_length + 1  # a delimiter, then the item
        items = random_bits(generator, size, length, self.item_length, self.bits)
        query = torch.randint(0, length - 1, (size,), generator=generator)
        steps = length * span + span + 1 + self.item_length
        inputs = torch.zeros(size, steps, self.input_size)
        listed = torch.zeros(size, length, span, self.input_size)  # [B, K, 1 + item_length, D]
        listed[:, :, 0, self.bits] = 1
        listed[:, :, 1:, : self.bits] = items
        inputs[:, : length * span] = listed.flatten(1, 2)  # [B, K * span, D]: the items one after another
        rows = torch.arange(size)
        asked = length * span
        inputs[:, asked, self.bits + 1] = 1
        inputs[:, asked + 1 : asked + span, : self.bits] = items[rows, query]
        inputs[:, asked + span, self.bits + 1] = 1
        targets = torch.zeros(size, steps, self.bits)
        targets[:, -self.item_length :] = items[rows, query + 1]
        scored = torch.zeros(size, steps, dtype=torch.bool)
        scored[:, -self.item_length :] = True
        return Batch(inputs, targets, scored)


SPEC = memory_task_spec("associative-recall", "recall the item that followed a query item (NTM, Graves et al. 2014)",
                        RecallData, (RECALL,))
