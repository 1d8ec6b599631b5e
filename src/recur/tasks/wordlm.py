"""Word-level language modelling on Penn Treebank (seed 004's word model; Zaremba et al. 2014).

The data are Mikolov's PTB files: one sentence per line, 10,000 word types including ``<unk>``,
numbers as ``N``. Each split is read as one stream with ``<eos>`` closing every line (counted as a
token), the vocabulary is the training split's, and the score is perplexity:

    perplexity = exp( −(1/N) Σ_t log p(w_t | w_<t) )

over the N tokens of the validation or test stream, read as one sequence from a zero state
(Zaremba's evaluation: batch 1). ``WordLMTask`` is what the trainer trains (truncated BPTT, as for
characters: ``StreamLMTask``); ``WordLM`` is what ``recur.load`` returns.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from recur.checks import check_config
from recur.data import WordVocab, find_data, read_text, words_of
from recur.data.vocab import EOS
from recur.errors import RecurError
from recur.models import LanguageModel, LanguageModelConfig
from recur.tasks.spec import HeldOut, TaskSpec, perplexity, saved_model_config
from recur.tasks.stream_lm import StreamLM, StreamLMTask, mean_loss
from recur.tasks.sample_verb import SAMPLE
from recur.tasks.stream_lm_verbs import EXPORT

PTB_FOLDER = "ptb"
PTB_SPLITS = {"train": "ptb.train.txt", "valid": "ptb.valid.txt", "test": "ptb.test.txt"}
PTB_PUBLISHED = "Mikolov's simple-examples.tgz (www.fit.vutbr.cz/~imikolov/rnnlm/), data/ptb.{train,valid,test}.txt"
EVAL_STREAMS = 1  # one stream from a zero state, as Zaremba et al. evaluate


@dataclass(frozen=True)
class WordDataConfig:
    seq_len: int = field(default=35, metadata={"help": "words per truncated-BPTT chunk (Zaremba's unroll)", "at_least": 1})
    batch_size: int = field(default=20, metadata={"at_least": 1})
    # the folder of ptb.{train,valid,test}.txt[.gz] trained on, recorded for resume and eval
    source: str = field(default="", metadata={"flag": False})

    def __post_init__(self):
        check_config(self)


def ptb_folder(explicit: str | Path | None = None) -> Path:
    """``explicit`` (a folder of PTB files), else ``$RECUR_DATA/ptb``."""
    folder = find_data(PTB_FOLDER, PTB_PUBLISHED, explicit)
    if not folder.is_dir():
        raise RecurError(f"{folder}: expected a folder holding {', '.join(PTB_SPLITS.values())}")
    return folder


def read_split(folder: Path, split: str) -> str:
    """One split's text; ``name.txt`` or its gzip ``name.txt.gz``."""
    name = PTB_SPLITS[split]
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.exists():
            return read_text(candidate)
    raise RecurError(f"{folder}: no {name} or {name}.gz (published at {PTB_PUBLISHED})")


def perplexity_metrics(loss: float) -> dict[str, float]:
    """Nats per word and perplexity = e^loss."""
    return {"loss": loss, "perplexity": perplexity(loss)}


class WordLM(StreamLM):
    """A trained word model: ``evaluate`` text (perplexity), ``generate`` and ``beam`` words."""

    unit, item_name = "word", "words"

    def count(self, text: str) -> int:
        return len(words_of(text))

    def evaluate(self, text: str) -> dict[str, float]:
        return perplexity_metrics(mean_loss(self.model, self.vocab.encode(text, "the evaluation text"), EVAL_STREAMS))

    def evaluation_data(self, path: str) -> str:
        return read_text(path)

    def pieces(self, ids: list[int]) -> list[str]:
        return [self.vocab.decode([i]) for i in ids]  # " word", or a line break for <eos>

    def stop_id(self, stop: str) -> int:
        return int(self.vocab.encode_words([stop], "the stop word")[0])

    def context(self, prime: str) -> torch.Tensor:
        """The prime's words (no ``<eos>`` added); with no prime, as after a sentence."""
        return self.vocab.encode_words(prime.split() or [EOS], "the prime")


class WordLMTask(StreamLMTask):
    """Trainer-facing task over PTB's training stream, evaluated on its validation stream."""

    item_name = "words"

    def __init__(self, model_config: LanguageModelConfig, data: WordDataConfig, vocab: WordVocab,
                 train_text: str, valid_text: str):
        self.data, self.vocab = data, vocab
        super().__init__(model_config, vocab.encode(train_text, "the training split"), data.batch_size, data.seq_len)
        self.val_ids = vocab.encode(valid_text, "the validation split")

    @classmethod
    def from_folder(cls, folder: Path, data: WordDataConfig | None = None, **model_options) -> WordLMTask:
        """A fresh task on the PTB files in ``folder``; the vocabulary is the training split's words."""
        data = data or WordDataConfig(source=str(folder))
        train_text = read_split(folder, "train")
        vocab = WordVocab.from_text(train_text)
        return cls(LanguageModelConfig(vocab_size=len(vocab), **model_options), data, vocab, train_text,
                   read_split(folder, "valid"))

    @classmethod
    def from_config(cls, config: dict) -> WordLMTask:
        """Rebuild for resuming, from the recorded folder."""
        data = WordDataConfig(**config["data"])
        folder = ptb_folder(data.source)
        return cls(LanguageModelConfig(**config["model"]), data, WordVocab(config["vocab"]),
                   read_split(folder, "train"), read_split(folder, "valid"))

    def config(self) -> dict:
        return {"task": "wordlm", "model": asdict(self.model_config), "data": asdict(self.data),
                "vocab": self.vocab.words}

    def evaluate(self) -> dict[str, float]:
        return perplexity_metrics(mean_loss(self.model, self.val_ids, EVAL_STREAMS))


def new_task(data_path: str | None, data_options: dict, model_options: dict) -> WordLMTask:
    """A fresh task on the PTB folder ``data_path`` (None: ``$RECUR_DATA/ptb``)."""
    folder = ptb_folder(data_path).resolve()
    return WordLMTask.from_folder(folder, WordDataConfig(**data_options, source=str(folder)), **model_options)


def resumed_task(config: dict, data_path: str | None) -> WordLMTask:
    """The task of a checkpoint's config; ``data_path`` if the PTB folder has moved."""
    if data_path:
        config = {**config, "data": {**config["data"], "source": str(ptb_folder(data_path).resolve())}}
    return WordLMTask.from_config(config)


def held_out(config: dict) -> dict[str, HeldOut]:
    """A checkpoint's held-out splits: ``{"valid": HeldOut(text, path), "test": ...}``."""
    folder = ptb_folder(config["data"]["source"] or None)
    return {split: HeldOut(read_split(folder, split), str(folder / PTB_SPLITS[split])) for split in ("valid", "test")}


def untrained_model(config: dict) -> WordLM:
    """A ``WordLM`` shaped by a checkpoint's config, with fresh weights."""
    return WordLM(LanguageModel(saved_model_config(config, LanguageModelConfig)), WordVocab(config["vocab"]))


SPEC = TaskSpec(
    name="wordlm", summary="word-level language model on Penn Treebank (perplexity)",
    data_help="a folder of ptb.{train,valid,test}.txt[.gz] (default: $RECUR_DATA/ptb)",
    DataConfig=WordDataConfig, ModelConfig=LanguageModelConfig, ready_type=WordLM,
    new_task=new_task, resumed_task=resumed_task, held_out=held_out, untrained_model=untrained_model,
    verbs=(SAMPLE, EXPORT))
