"""Character-level language modelling (seed 002's "hello" model, Karpathy's char-rnn).

``CharLMTask`` is what the trainer trains: truncated BPTT over contiguous batches of the
training split, the hidden state carried from one chunk to the next and detached between them,
evaluated on the held-out tail. ``CharLM`` is what ``recur.load`` returns: a trained model with
its vocabulary, ready to score text and write it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from recur.checks import check_config
from recur.data import CharVocab, read_text, split_validation
from recur.errors import RecurError
from recur.models import LanguageModel, LanguageModelConfig
from recur.tasks.spec import HeldOut, TaskSpec, saved_model_config
from recur.tasks.stream_lm import StreamLM, StreamLMTask, mean_loss
from recur.tasks.sample_verb import SAMPLE
from recur.tasks.stream_lm_verbs import EXPORT


@dataclass(frozen=True)
class CharDataConfig:
    seq_len: int = field(default=64, metadata={"help": "characters per truncated-BPTT chunk", "at_least": 1})
    batch_size: int = field(default=32, metadata={"at_least": 1})
    val_fraction: float = field(default=0.1, metadata={
        "help": "the last fraction of the text, held out for validation and never trained on",
        "above": 0, "below": 1})
    # the text file trained on ("" = bundled Tiny Shakespeare), recorded for resume and eval
    source: str = field(default="", metadata={"flag": False})

    def __post_init__(self):
        check_config(self)


def loss_metrics(loss: float) -> dict[str, float]:
    """Nats per character and bits per character (bpc = nats / ln 2)."""
    return {"loss": loss, "bpc": loss / math.log(2)}


class CharLM(StreamLM):
    """A trained character model: ``generate`` text, ``evaluate`` text (see ``StreamLM``)."""

    unit, item_name = "character", "chars"

    def count(self, text: str) -> int:
        return len(text)

    def evaluate(self, text: str) -> dict[str, float]:
        return loss_metrics(mean_loss(self.model, self.vocab.encode(text, "the evaluation text")))

    def evaluation_data(self, path: str) -> str:
        return read_text(path)

    def pieces(self, ids: list[int]) -> list[str]:
        return list(self.vocab.decode(ids))  # one character per id

    def stop_id(self, stop: str) -> int:
        if len(stop) != 1:
            raise RecurError(f"the stop character must be one character, got {stop!r}")
        return int(self.vocab.encode(stop, "the stop character")[0])

    def context(self, prime: str) -> torch.Tensor:
        """The prime's ids; with no prime, as after a newline (or the first character if none was seen)."""
        if prime:
            return self.vocab.encode(prime, "the prime")
        return self.vocab.encode("\n" if "\n" in self.vocab.index else self.vocab.chars[0])


class CharLMTask(StreamLMTask):
    """Trainer-facing task: ``train_loss``, ``evaluate``, ``config``, ``state``/``load_state``."""

    item_name = "chars"

    def __init__(self, model_config: LanguageModelConfig, data: CharDataConfig, vocab: CharVocab, text: str):
        self.data, self.vocab = data, vocab
        train_text, val_text = split_validation(text, data.val_fraction)
        super().__init__(model_config, vocab.encode(train_text, "the training text"), data.batch_size, data.seq_len)
        self.val_ids = vocab.encode(val_text, "the validation text")

    @classmethod
    def from_text(cls, text: str, data: CharDataConfig | None = None, **model_options) -> CharLMTask:
        """A fresh task: the vocabulary is every character of ``text``."""
        vocab = CharVocab.from_text(text)
        return cls(LanguageModelConfig(vocab_size=len(vocab), **model_options), data or CharDataConfig(), vocab, text)

    @classmethod
    def from_config(cls, config: dict, text: str | None = None) -> CharLMTask:
        """Rebuild for resuming; the text is re-read from the recorded source unless given."""
        data = CharDataConfig(**config["data"])
        text = load_training_text(data.source) if text is None else text
        vocab = CharVocab(config["vocab"])
        return cls(LanguageModelConfig(**config["model"]), data, vocab, text)

    def config(self) -> dict:
        return {"task": "charlm", "model": asdict(self.model_config), "data": asdict(self.data),
                "vocab": self.vocab.chars}

    def evaluate(self) -> dict[str, float]:
        return loss_metrics(mean_loss(self.model, self.val_ids))


def load_training_text(source: str) -> str:
    """The text at ``source``, or the bundled Tiny Shakespeare when ``source`` is empty."""
    if not source:
        from recur.assets import tiny_shakespeare
        return read_text(tiny_shakespeare())
    return read_text(Path(source))


def held_out(config: dict) -> dict[str, HeldOut]:
    """A checkpoint's held-out text, ``{"validation": HeldOut(text, source)}``: the validation split
    of its training data."""
    data = config["data"]
    text = split_validation(load_training_text(data["source"]), data["val_fraction"])[1]
    return {"validation": HeldOut(text, f"validation split of {data['source'] or 'bundled Tiny Shakespeare'}")}


def new_task(data_path: str | None, data_options: dict, model_options: dict) -> CharLMTask:
    """A fresh task on the text at ``data_path`` (None: the bundled Tiny Shakespeare)."""
    data = CharDataConfig(**data_options, source=str(Path(data_path).resolve()) if data_path else "")
    return CharLMTask.from_text(load_training_text(data.source), data, **model_options)


def resumed_task(config: dict, data_path: str | None) -> CharLMTask:
    """The task of a checkpoint's config; ``data_path`` if the text has moved."""
    return CharLMTask.from_config(config, load_training_text(str(Path(data_path).resolve())) if data_path else None)


def untrained_model(config: dict) -> CharLM:
    """A ``CharLM`` shaped by a checkpoint's config, with fresh weights."""
    return CharLM(LanguageModel(saved_model_config(config, LanguageModelConfig)), CharVocab(config["vocab"]))


SPEC = TaskSpec(
    name="charlm", summary="character-level language model (Tiny Shakespeare is bundled)",
    data_help="a UTF-8 text file, or a .gz of one (default: the bundled Tiny Shakespeare)",
    DataConfig=CharDataConfig, ModelConfig=LanguageModelConfig, ready_type=CharLM,
    new_task=new_task, resumed_task=resumed_task, held_out=held_out,
    untrained_model=untrained_model, verbs=(SAMPLE, EXPORT))
