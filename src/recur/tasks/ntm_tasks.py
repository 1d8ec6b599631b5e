"""What the Neural Turing Machine's algorithmic tasks share (copy, repeat copy, associative recall;
Graves et al. 2014, §4): sequences of random bits generated from a seed, a mask of the steps whose
outputs are scored, the score in bits, and the ``TaskSpec`` each task module ends with.

A task module gives a frozen ``DataConfig`` (a ``BitProblem``): its flags, the range of lengths it
trains on, and ``batch(size, length, generator)``, every sequence of one length (a "length" is the
task's own measure: sequence length for copy, items for associative recall). The rest is here:

    loss        binary cross-entropy of the output bits, mean over scored bits (nats per bit)
    cost_bits   Σ over a sequence's scored bits of −log₂ p(target bit): the paper's "cost per sequence"
    bit_errors  per sequence, the output bits that are wrong when each output is rounded at p = 0.5

Training sequences come from a ``torch.Generator`` seeded with ``data_seed`` whose state is saved
with every checkpoint, so a resumed run draws exactly the sequences a straight one would. The
held-out sets are drawn from fixed seeds (``HELD_OUT_SEEDS``), every training length equally.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import ClassVar

import torch
from torch.nn import functional as F

from recur.checks import check_config
from recur.data.batches import RowShare, SharesRows
from recur.errors import RecurError
from recur.models.memory import sized
from recur.models.ntm import NTMConfig, build_memory_model
from recur.modes import evaluation_mode
from recur.tasks.spec import HeldOut, TaskSpec, saved_model_config

HELD_OUT_SEEDS = {"valid": 1_000_001, "test": 1_000_002}
HELD_OUT_PER_LENGTH = 16
EVAL_BATCH = 64


@dataclass(frozen=True)
class Batch:
    inputs: torch.Tensor  # [B, T, D]
    targets: torch.Tensor  # [B, T, Y], zero where not scored
    scored: torch.Tensor  # [B, T] bool: the steps whose outputs are scored


@dataclass(frozen=True)
class BitProblem:
    """A bit-sequence task's data config: the flags every such task has, checked in one place, and
    the sequences they describe (``batch``, ``input_size``, ``output_size``: the task's own).
    A task changes a default by re-declaring the field (``bits: int = 6``); its range stays."""
    length_name: ClassVar[str] = "vectors"  # what a length counts, e.g. "vectors", "items"
    bits: int = field(default=8, metadata={"help": "bits per vector", "at_least": 1, "at_most": 1024})
    min_length: int = field(default=1, metadata={"help": "shortest training sequence", "at_least": 1})
    max_length: int = field(default=20, metadata={"help": "longest training sequence", "at_least": 1,
                                                  "at_most": 10_000})
    # 4 sequences a step at --lr 1e-3: what bench/ntm.py's copy runs used (bench/results/ntm_copy.json)
    batch_size: int = field(default=4, metadata={"help": "sequences per step", "at_least": 1, "at_most": 100_000})
    data_seed: int = field(default=0, metadata={"help": "seeds the training sequences", "at_least": 0,
                                                "at_most": 2**63 - 1})

    def __post_init__(self):
        check_config(self)
        if self.min_length > self.max_length:
            raise RecurError(f"min-length {self.min_length} is above max-length {self.max_length}")

    def batch(self, size: int, length: int, generator: torch.Generator) -> Batch:
        raise NotImplementedError


def random_bits(generator: torch.Generator, *shape: int) -> torch.Tensor:
    """Independent fair bits as floats."""
    return torch.randint(0, 2, shape, generator=generator).to(torch.get_default_dtype())


def training_length(data: BitProblem, generator: torch.Generator) -> int:
    """A length drawn uniformly from the training range."""
    return int(torch.randint(data.min_length, data.max_length + 1, (1,), generator=generator))


def held_out_batches(data: BitProblem, lengths, per_length: int, seed: int) -> list[Batch]:
    """``per_length`` sequences of each length, from ``seed``: batches of at most EVAL_BATCH."""
    generator = torch.Generator().manual_seed(seed)
    return [data.batch(min(EVAL_BATCH, per_length - start), length, generator)
            for length in lengths for start in range(0, per_length, EVAL_BATCH)]


def losses(model, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    """(binary cross-entropy of every scored output bit [B, T, Y] (zero elsewhere), logits)."""
    logits, _ = model(batch.inputs)
    entropy = F.binary_cross_entropy_with_logits(logits, batch.targets, reduction="none")
    return entropy * batch.scored.unsqueeze(-1), logits


def training_loss(model, batch: Batch) -> torch.Tensor:
    """Mean cross-entropy over the scored bits (nats per bit)."""
    entropy, _ = losses(model, batch)
    return entropy.sum() / (batch.scored.sum() * batch.targets.shape[-1])


@torch.no_grad()
def score(model, batches: list[Batch]) -> dict[str, float]:
    """``loss`` (nats per scored bit), ``cost_bits`` and ``bit_errors`` (each per sequence) over ``batches``."""
    entropy_sum = errors = bits = sequences = 0.0
    with evaluation_mode(model):
        for batch in batches:
            entropy, logits = losses(model, batch)
            wrong = ((logits > 0).float() != batch.targets) & batch.scored.unsqueeze(-1)
            entropy_sum += float(entropy.sum())
            errors += float(wrong.sum())
            bits += float(batch.scored.sum()) * batch.targets.shape[-1]
            sequences += len(batch.inputs)
    return {"loss": entropy_sum / bits, "cost_bits": entropy_sum / math.log(2) / sequences,
            "bit_errors": errors / sequences}


class MemoryTask(SharesRows):
    """Trainer-facing: a fresh batch of one random length each step, scored on the held-out set
    (under DDP every rank draws the batch and trains its own rows of it)."""

    item_name = "sequences"

    def __init__(self, name: str, model_config: NTMConfig, data: BitProblem):
        self.name, self.model_config, self.data = name, model_config, data
        self.model = sized(build_memory_model, model_config)
        self.items_per_step = data.batch_size
        self.rows = RowShare(data.batch_size)
        self.generator = torch.Generator().manual_seed(data.data_seed)
        self.valid = held_out_batches(data, range(data.min_length, data.max_length + 1), HELD_OUT_PER_LENGTH,
                                      HELD_OUT_SEEDS["valid"])

    def train_loss(self) -> torch.Tensor:
        whole = self.data.batch(self.data.batch_size, training_length(self.data, self.generator), self.generator)
        batch = self.rows.mine_of(whole)
        self.rows.count(batch.scored.sum(), whole.scored.sum())  # the loss is a mean over scored steps' bits
        return training_loss(self.model, batch)

    def evaluate(self) -> dict[str, float]:
        return score(self.model, self.valid)

    def config(self) -> dict:
        return {"task": self.name, "model": asdict(self.model_config), "data": asdict(self.data)}

    def state(self):
        return {}, {"generator": self.generator.get_state()}

    def load_state(self, position: dict, tensors: dict) -> None:
        self.generator.set_state(tensors["generator"])


class MemoryModel:
    """What ``recur.load`` returns: the trained model and the problem it was trained on."""

    item_name = "sequences"

    def __init__(self, name: str, model, data: BitProblem):
        self.name, self.model, self.data = name, model, data

    def evaluate(self, batches: list[Batch]) -> dict[str, float]:
        return score(self.model, batches)

    def count(self, batches: list[Batch]) -> int:
        return sum(len(b.inputs) for b in batches)

    def evaluation_data(self, path: str):
        raise RecurError(f"{self.name} generates its sequences from a seed and reads no file; "
                         f"'recur recall DIR --lengths ...' scores it at other lengths")

    def at_lengths(self, lengths: list[int], sequences: int, seed: int) -> dict[int, dict[str, float]]:
        """The scores at each length, ``sequences`` sequences each, drawn from ``seed``."""
        return {length: score(self.model, held_out_batches(self.data, [length], sequences, seed + length))
                for length in lengths}

    @torch.no_grad()
    def trace(self, length: int, seed: int) -> tuple[Batch, torch.Tensor, torch.Tensor | None]:
        """One sequence of ``length`` from ``seed``: (the batch, output probabilities [T, Y], the
        heads' weightings [T, heads, N], or None for a model without memory)."""
        batch = self.data.batch(1, length, torch.Generator().manual_seed(seed))
        with evaluation_mode(self.model):
            logits, weightings = self.model(batch.inputs)
        return batch, torch.sigmoid(logits[0]), None if weightings is None else weightings[0]


def memory_task_spec(name: str, summary: str, data_type: type, verbs: tuple) -> TaskSpec:
    """The ``TaskSpec`` of a bit-sequence task whose data config is ``data_type``."""

    def model_config(data: BitProblem, options: dict) -> NTMConfig:
        return NTMConfig(**{**options, "input_size": data.input_size, "output_size": data.output_size})

    def new_task(data_path: str | None, data_options: dict, model_options: dict) -> MemoryTask:
        if data_path:
            raise RecurError(f"--data: {name} generates its sequences from --data-seed and reads no file")
        data = data_type(**data_options)
        return MemoryTask(name, model_config(data, model_options), data)

    def resumed_task(config: dict, data_path: str | None) -> MemoryTask:
        return MemoryTask(name, saved_model_config(config, NTMConfig), data_type(**config["data"]))

    def held_out(config: dict) -> dict[str, HeldOut]:
        data = data_type(**config["data"])
        lengths = range(data.min_length, data.max_length + 1)
        return {split: HeldOut(held_out_batches(data, lengths, HELD_OUT_PER_LENGTH, seed),
                               f"generated from seed {seed}: {HELD_OUT_PER_LENGTH} sequences of each length "
                               f"{data.min_length}-{data.max_length}")
                for split, seed in HELD_OUT_SEEDS.items()}

    def untrained_model(config: dict) -> MemoryModel:
        return MemoryModel(name, build_memory_model(saved_model_config(config, NTMConfig)),
                           data_type(**config["data"]))

    return TaskSpec(name=name, summary=summary, data_help="not used: the sequences are generated from --data-seed",
                    DataConfig=data_type, ModelConfig=NTMConfig, ready_type=MemoryModel, new_task=new_task,
                    resumed_task=resumed_task, held_out=held_out, untrained_model=untrained_model, verbs=verbs,
                    train_defaults={"lr": 1e-3})  # what learned copy within 30,000 sequences (docs/memory.md)
