"""Image captioning with visual attention (``recur.models.captioner``) on strips of real handwritten
digits (``recur.data.digit_strips``: scikit-learn's 1,797 8×8 digits, split by image).

Captions are words of a fixed vocabulary (``digit_strips.WORDS`` after the specials ``<pad> <unk>
<s> </s>``); the decoder reads ``<s> w_1 .. w_n`` and is trained to write ``w_1 .. w_n </s>``
(``--style`` spell, count or largest). Training draws a fresh batch of strips from the training
digits at every step, from the seed ``[data_seed, step]``, so a resumed run sees exactly the strips
a straight one would. Validation (``val``: strips of the validation digits, from a fixed seed) is the
teacher-forced loss and the greedy exact-caption accuracy, which picks ``best/``. ``recur eval``
scores val and test (strips of the test digits) at beam 5 (``recur.analysis.caption_scores``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from recur.analysis.caption_scores import attention_hits, caption_scores
from recur.checks import check_config
from recur.data.batches import RowShare, SharesRows
from recur.data.digit_strips import (HEIGHT, MAX_DIGITS, STYLES, WIDTH, WORDS, Strips, compose, digit_images,
                                     split_indices)
from recur.data.subwords import BOS, EOS, PAD
from recur.errors import RecurError
from recur.generate.attentive import decode
from recur.models.attentive_decoder import summed_loss
from recur.models.captioner import POOL, Captioner, CaptionerConfig
from recur.models.memory import sized
from recur.modes import evaluation_mode
from recur.tasks import caption_verb
from recur.tasks.spec import HeldOut, TaskSpec, Verb, perplexity, saved_model_config
from recur.train.task import Selection

SPECIALS = ("<pad>", "<unk>", "<s>", "</s>")  # ids PAD, UNK, BOS, EOS, as the subword vocabularies have them
VOCABULARY = (*SPECIALS, *WORDS)
HELD_OUT_SEEDS = {"val": 1_000_001, "test": 1_000_002}
EVAL_BATCH = 200
EVAL_BEAM = 5
MAX_CAPTION = 20  # words decoded at most (the longest caption, five counts joined by "and", has 14)
TRAINING = {"lr": 2e-3, "clip": 1.0, "eval_every": 250}


@dataclass(frozen=True)
class CaptionDataConfig:
    style: str = field(default="spell", metadata={"choices": STYLES, "help": "captions: spell the digits, count "
                                                                             "them, or name the largest"})
    max_digits: int = field(default=MAX_DIGITS, metadata={"help": "digits per strip, 1 to this", "at_least": 1,
                                                          "at_most": MAX_DIGITS})
    batch_size: int = field(default=64, metadata={"help": "strips per step", "at_least": 1})
    val_strips: int = field(default=500, metadata={"help": "strips in the validation set", "at_least": 1})
    test_strips: int = field(default=1000, metadata={"help": "strips in the test set", "at_least": 1})
    data_seed: int = field(default=0, metadata={"help": "seeds the training strips", "at_least": 0,
                                                "at_most": 2**63 - 1})

    def __post_init__(self):
        check_config(self)


class Digits:
    """The digit images, their labels and the split, read once."""
    _cache: tuple | None = None

    @classmethod
    def get(cls) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        if cls._cache is None:
            images, labels = digit_images()
            cls._cache = (images, labels, split_indices(len(labels)))
        return cls._cache


def held_out_strips(data: CaptionDataConfig, split: str) -> Strips:
    images, labels, splits = Digits.get()
    count = data.val_strips if split == "val" else data.test_strips
    return compose(images, labels, splits[split], count, HELD_OUT_SEEDS[split], data.max_digits)


def word_ids(caption: str) -> list[int]:
    return [VOCABULARY.index(w) for w in caption.split()]


def caption_batch(captions: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """``(target_in [B, T]: <s> w.., target_out [B, T]: w.. </s>)``, padded with PAD."""
    rows = [word_ids(c) for c in captions]
    T = max(map(len, rows)) + 1
    target_in = torch.full((len(rows), T), PAD, dtype=torch.long)
    target_out = torch.full((len(rows), T), PAD, dtype=torch.long)
    for i, row in enumerate(rows):
        target_in[i, :len(row) + 1] = torch.tensor([BOS, *row])
        target_out[i, :len(row) + 1] = torch.tensor([*row, EOS])
    return target_in, target_out


class ImageCaptioner:
    """A trained captioner: ``caption`` images; ``evaluate`` on strips."""

    item_name = "strips"

    def __init__(self, model: Captioner, data: CaptionDataConfig):
        self.model, self.data = model, data
        self.beam, self.alpha = EVAL_BEAM, 0.6

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def grid(self) -> tuple[int, int]:
        return HEIGHT // POOL, WIDTH // POOL

    def caption(self, images: np.ndarray, beam: int | None = None, alpha: float | None = None,
                with_attention: bool = False):
        """Captions of ``images [N, 12, 64]`` (and, ``with_attention``, each one's weights
        ``[words + 1, grid cells]``)."""
        texts, attention = [], []
        for start in range(0, len(images), EVAL_BATCH):
            batch = torch.as_tensor(images[start:start + EVAL_BATCH], dtype=torch.float32, device=self.device)
            with evaluation_mode(self.model):
                memory, state = self.model.encode(batch)
            out = decode(self.model, memory, state, [MAX_CAPTION] * len(batch), beam or self.beam,
                         self.alpha if alpha is None else alpha, with_attention)
            texts += [" ".join(VOCABULARY[i] for i in ids) for ids in out.ids]
            attention += out.attention
        return (texts, attention) if with_attention else texts

    @torch.no_grad()
    def forced(self, strips: Strips, references: list[str]) -> tuple[float, list[torch.Tensor] | None]:
        """``(teacher-forced loss per word, attention [B, T, cells] per batch or None)``."""
        total, words, looks = 0.0, 0, []
        with evaluation_mode(self.model):
            for start in range(0, len(strips), EVAL_BATCH):
                images = torch.as_tensor(strips.images[start:start + EVAL_BATCH], device=self.device)
                target_in, target_out = (t.to(self.device) for t in caption_batch(references[start:start + EVAL_BATCH]))
                memory, state = self.model.encode(images)  # once, for the loss and the attention
                loss, count = summed_loss(self.model.teacher_forced(memory, state, target_in), target_out)
                total, words = total + float(loss), words + count
                if self.model.attention is not None:
                    looks.append(self.model.attention_weights(memory, state, target_in).cpu())
        return total / words, looks if self.model.attention is not None else None

    def evaluate(self, strips: Strips) -> dict:
        references = strips.captions(self.data.style)
        scores, signature = caption_scores(self.caption(strips.images), references)
        loss, looks = self.forced(strips, references)
        result = {**scores, "loss": loss, "perplexity": perplexity(loss), "beam": self.beam,
                  "style": self.data.style, "signature": signature}
        if looks is not None and self.data.style == "spell":
            weights = [w for batch in looks for w in batch]
            hits = [hit for w, spans in zip(weights, strips.columns)
                    for hit in attention_hits(w, spans, self.grid[1], POOL)]
            result["attention_accuracy"] = round(100 * sum(hits) / len(hits), 4)
        return result

    def count(self, strips: Strips) -> int:
        return len(strips)

    def test_strips(self) -> Strips:
        return held_out_strips(self.data, "test")

    def evaluation_data(self, path: str):
        raise RecurError("a captioner is scored on the strips it composes from the held-out digits and reads no "
                         "--data file; 'recur caption DIR IMAGE.png' captions a picture of your own")


class CaptionTask(SharesRows):
    """Trainer-facing: a fresh batch of training strips each step; greedy exact accuracy on val.
    Under DDP every rank composes the batch and trains its own strips of it; the CNN's batch
    normalisation then takes its statistics over the whole batch (``recur.train.distributed``)."""

    item_name = "strips"
    selection = Selection("exact", higher_is_better=True)

    def __init__(self, config: CaptionerConfig, data: CaptionDataConfig):
        self.model_config, self.data = config, data
        self.model = sized(Captioner, config)
        self.device = torch.device("cpu")
        self.items_per_step = data.batch_size
        self.rows = RowShare(data.batch_size)
        self.valid = held_out_strips(data, "val")
        self.captioner = ImageCaptioner(self.model, data)
        self.steps = 0

    def to(self, device) -> None:
        self.device = torch.device(device)

    def train_loss(self) -> torch.Tensor:
        images, labels, splits = Digits.get()
        strips = compose(images, labels, splits["train"], self.data.batch_size, [self.data.data_seed, self.steps],
                         self.data.max_digits)
        target_in, target_out = caption_batch(strips.captions(self.data.style))
        images, target_in, mine_out = (self.rows.mine(t) for t in (torch.as_tensor(strips.images), target_in, target_out))
        loss, words = self.model.loss(images.to(self.device), target_in.to(self.device), mine_out.to(self.device))
        self.rows.count(words, (target_out != PAD).sum())
        self.steps += 1
        return loss / words

    def evaluate(self) -> dict[str, float]:
        references = self.valid.captions(self.data.style)
        scores, _ = caption_scores(self.captioner.caption(self.valid.images, beam=1), references)
        loss, _ = self.captioner.forced(self.valid, references)
        return {"loss": loss, "exact": scores["exact"], "token_accuracy": scores["token_accuracy"]}

    def config(self) -> dict:
        return {"task": "caption", "model": asdict(self.model_config), "data": asdict(self.data),
                "words": list(VOCABULARY)}

    def state(self):
        return {"steps": self.steps}, {}

    def load_state(self, position: dict, tensors: dict) -> None:
        self.steps = int(position["steps"])


def saved_configs(config: dict) -> tuple[CaptionerConfig, CaptionDataConfig]:
    model = saved_model_config(config, CaptionerConfig)
    if config.get("words") != list(VOCABULARY) or model.target_vocab != len(VOCABULARY):
        raise RecurError("config.json: the caption vocabulary is not this version's")
    return model, CaptionDataConfig(**config["data"])


def new_task(data_path: str | None, data_options: dict, model_options: dict) -> CaptionTask:
    if data_path:
        raise RecurError("--data: the captioning strips are composed from scikit-learn's digits and no file is read")
    return CaptionTask(CaptionerConfig(target_vocab=len(VOCABULARY), **model_options), CaptionDataConfig(**data_options))


def resumed_task(config: dict, data_path: str | None) -> CaptionTask:
    return CaptionTask(*saved_configs(config))


def held_out(config: dict) -> dict[str, HeldOut]:
    data = CaptionDataConfig(**config["data"])
    return {split: HeldOut(held_out_strips(data, split), f"{count} strips of the {split} digits, seed {seed}")
            for split, seed, count in (("val", HELD_OUT_SEEDS["val"], data.val_strips),
                                       ("test", HELD_OUT_SEEDS["test"], data.test_strips))}


def untrained_model(config: dict) -> ImageCaptioner:
    model, data = saved_configs(config)
    return ImageCaptioner(Captioner(model), data)


CAPTION = Verb("caption", "caption pictures of handwritten digits with a trained captioner", ImageCaptioner,
               caption_verb.caption_arguments, caption_verb.run_caption,
               description="Caption each image given (PNG or any picture Pillow reads: scaled and thresholded as "
                           "docs/caption.md says); --show-attention draws where each word looked.")

SPEC = TaskSpec(
    name="caption", summary="image captioning with visual attention on strips of handwritten digits",
    data_help="not used: the strips are composed from scikit-learn's digits",
    DataConfig=CaptionDataConfig, ModelConfig=CaptionerConfig, ready_type=ImageCaptioner,
    new_task=new_task, resumed_task=resumed_task, held_out=held_out, untrained_model=untrained_model,
    verbs=(CAPTION,), train_defaults=TRAINING)
