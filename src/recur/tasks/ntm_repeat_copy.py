"""Repeat copy (Graves et al. 2014, §4.2): read a sequence of random bit vectors and a number of
repeats R, then write the sequence R times in a row and an end marker.

    step     1 … L          L + 1                       L + 2 … L + LR + 1      L + LR + 2
    input    x_1 … x_L      delimiter, R normalised     nothing                 nothing
    output   (not scored)   (not scored)                x_1 … x_L, R times      end marker

R reaches the network as one number, normalised with the mean and standard deviation of R over
the training repeats (uniform on ``min_repeats`` … ``max_repeats``), as the paper normalises it to
mean 0 and variance 1. A length is L; every sequence of one length draws its own R from the
training repeats. The paper trains on L and R each in 1 … 10.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from recur.errors import RecurError
from recur.tasks.ntm_tasks import Batch, BitProblem, memory_task_spec, random_bits
from recur.tasks.ntm_verb import RECALL


@dataclass(frozen=True)
class RepeatCopyData(BitProblem):
    max_length: int = 10
    min_repeats: int = field(default=1, metadata={"at_least": 1})
    max_repeats: int = field(default=10, metadata={"at_least": 1, "at_most": 100})

    def __post_init__(self):
        super().__post_init__()
        if self.min_repeats > self.max_repeats:
            raise RecurError(f"min-repeats {self.min_repeats} is above max-repeats {self.max_repeats}")

    @property
    def input_size(self) -> int:
        return self.bits + 2  # the bits, the delimiter channel and the repeats channel

    @property
    def output_size(self) -> int:
        return self.bits + 1  # the bits and the end marker

    def normalised(self, repeats: torch.Tensor) -> torch.Tensor:
        """(R − mean) / std of R uniform on the training repeats (std 1 when there is one value)."""
        values = self.max_repeats - self.min_repeats + 1
        return (repeats - (self.min_repeats + self.max_repeats) / 2) / (math.sqrt((values**2 - 1) / 12) or 1.0)

    def batch(self, size: int, length: int, generator: torch.Generator) -> Batch:
        vectors = random_bits(generator, size, length, self.bits)
        repeats = torch.randint(self.min_repeats, self.max_repeats + 1, (size,), generator=generator)
        steps = length + 1 + length * int(repeats.max()) + 1
        inputs = torch.zeros(size, steps, self.input_size)
        inputs[:, :length, : self.bits] = vectors
        inputs[:, length, self.bits] = 1  # the delimiter
        inputs[:, length, self.bits + 1] = self.normalised(repeats.float())
        targets = torch.zeros(size, steps, self.output_size)
        scored = torch.zeros(size, steps, dtype=torch.bool)
        for row, r in enumerate(repeats.tolist()):
            first, end = length + 1, length + 1 + length * r  # the copies, then the end marker at ``end``
            targets[row, first:end, : self.bits] = vectors[row].repeat(r, 1)
            targets[row, end, self.bits] = 1
            scored[row, first : end + 1] = True  # a shorter R's row is padded after its end marker, unscored
        return Batch(inputs, targets, scored)


SPEC = memory_task_spec("repeat-copy", "copy a sequence of bit vectors a given number of times (NTM, Graves et al. "
                        "2014)", RepeatCopyData, (RECALL,))
