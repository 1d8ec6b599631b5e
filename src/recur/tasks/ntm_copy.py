"""Copy (Graves et al. 2014, §4.1): read a sequence of random bit vectors, then a delimiter, then
write the sequence back from memory.

    step     1 … L          L + 1             L + 2 … 2L + 1
    input    x_1 … x_L      delimiter         nothing
    output   (not scored)   (not scored)      x_1 … x_L

Each x is ``bits`` random bits (8 in the paper); the input has one more channel, on only at the
delimiter. Training lengths L are drawn uniformly from 1 … 20 as in the paper.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import torch

from recur.checks import check_config
from recur.tasks.ntm_tasks import (
    Batch,
    check_length_range,
    memory_task_spec,
    random_bits,
)
from recur.tasks.ntm_verb import RECALL


@dataclass(frozen=True)
class CopyData:
    length_name: ClassVar[str] = "vectors"
    bits: int = field(default=8, metadata={"help": "bits per vector", "at_least": 1, "at_most": 1024})
    min_length: int = field(default=1, metadata={"help": "shortest training sequence", "at_least": 1})
    max_length: int = field(default=20, metadata={"help": "longest training sequence", "at_least": 1,
                                                  "at_most": 10_000})
    # 4 sequences a step at --lr 1e-3 learned copy within 30,000 sequences here; 8 at 3e-3 did not
    batch_size: int = field(default=4, metadata={"help": "sequences per step", "at_least": 1, "at_most": 100_000})
    data_seed: int = field(default=0, metadata={"help": "seeds the training sequences", "at_least": 0,
                                                "at_most": 2**63 - 1})

    def __post_init__(self):
        check_config(self)
        check_length_range(self)

    @property
    def input_size(self) -> int:
        return self.bits + 1  # the bits and the delimiter channel

    @property
    def output_size(self) -> int:
        return self.bits

    def batch(self, size: int, length: int, generator: torch.Generator) -> Batch:
        vectors = random_bits(generator, size, length, self.bits)
        inputs = torch.zeros(size, 2 * length + 1, self.input_size)
        inputs[:, :length, : self.bits] = vectors
        inputs[:, length, self.bits] = 1  # the delimiter
        targets = torch.zeros(size, 2 * length + 1, self.bits)
        targets[:, length + 1 :] = vectors
        scored = torch.zeros(size, 2 * length + 1, dtype=torch.bool)
        scored[:, length + 1 :] = True
        return Batch(inputs, targets, scored)


SPEC = memory_task_spec("copy", "copy a sequence of random bit vectors through memory (NTM, Graves et al. 2014)",
                        CopyData, (RECALL,))
