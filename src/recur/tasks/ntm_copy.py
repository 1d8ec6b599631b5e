"""Copy (Graves et al. 2014, §4.1): read a sequence of random bit vectors, then a delimiter, then
write the sequence back from memory.

    step     1 … L          L + 1             L + 2 … 2L + 1
    input    x_1 … x_L      delimiter         nothing
    output   (not scored)   (not scored)      x_1 … x_L

Each x is ``bits`` random bits (8 in the paper); the input has one more channel, on only at the
delimiter. Training lengths L are drawn uniformly from 1 … 20 as in the paper.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from recur.tasks.ntm_tasks import Batch, BitProblem, memory_task_spec, random_bits
from recur.tasks.ntm_verb import RECALL


@dataclass(frozen=True)
class CopyData(BitProblem):
    """Copy: the sequence, a delimiter, then the sequence again (the defaults of ``BitProblem``)."""

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
