"""Translation with an encoder-decoder (``recur.models.seq2seq``) on a parallel corpus, Multi30k by
default (``$RECUR_DATA/multi30k``; ``--source de --target en`` or the reverse).

Subwords: one SentencePiece unigram vocabulary per language (``--subwords`` pieces each), trained on
the training split only and stored in the checkpoint's config.json. The source gets ``</s>`` at its
end (reversed before it with ``--reverse-source``, Sutskever et al. 2014); the decoder reads
``<s> y_1 .. y_n`` and is trained to write ``y_1 .. y_n </s>``. Training pairs longer than
``--max-length`` subwords on either side are left out (none of Multi30k's at the default).

Batches: each epoch a seeded shuffle, cut into pools of 50 batches whose sentences are sorted by
length (little padding), the batches then shuffled; the loss is the mean over the batch's target
tokens. Validation: the teacher-forced loss per token and the greedy BLEU of ``val``, which picks
``best/``. ``recur eval`` scores val, test2016 and test2017 with sacreBLEU at beam 5
(``recur.analysis.translation_scores``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from recur.analysis.translation_scores import corpus_scores
from recur.checks import check_config
from recur.data import find_data
from recur.data.batches import RowShare, SharesRows
from recur.data.parallel import LANGUAGES, MULTI30K_FOLDER, MULTI30K_PUBLISHED, Pairs, read_pairs, read_split
from recur.data.subwords import BOS, EOS, PAD, Subwords
from recur.errors import RecurError
from recur.generate.translation import translate
from recur.models.memory import sized
from recur.models.seq2seq import Seq2Seq, Seq2SeqConfig
from recur.modes import evaluation_mode
from recur.tasks import translate_verb
from recur.tasks.spec import HeldOut, TaskSpec, Verb, perplexity, saved_model_config
from recur.train.task import Selection

POOL = 50  # batches per length-sorted pool
EVAL_BATCH = 100  # sentences decoded at once
HELD_OUT_SPLITS = ("val", "test2016", "test2017")
EVAL_BEAM = 5  # recur eval's beam width (the targets are at beam 5)
TRAINING = {"lr": 1e-3, "clip": 1.0, "eval_every": 250}  # Adam as Bahdanau-style tutorials train it


@dataclass(frozen=True)
class TranslateDataConfig:
    source_language: str = field(default="de", metadata={"choices": LANGUAGES, "help": "the language read",
                                                         "flag_name": "source"})
    target_language: str = field(default="en", metadata={"choices": LANGUAGES, "help": "the language written",
                                                         "flag_name": "target"})
    subwords: int = field(default=8000, metadata={"help": "SentencePiece pieces per language (trained on the "
                                                          "training split)", "at_least": 8, "at_most": 100000})
    reverse_source: bool = field(default=False, metadata={"help": "read the source backwards (Sutskever et al. "
                                                                  "2014)"})
    batch_size: int = field(default=64, metadata={"help": "sentence pairs per step", "at_least": 1})
    max_length: int = field(default=100, metadata={"help": "leave out training pairs with more subwords on a "
                                                           "side", "at_least": 1})
    source: str = field(default="", metadata={"flag": False})  # the corpus folder
    shuffle_seed: int = field(default=0, metadata={"flag": False})

    def __post_init__(self):
        check_config(self)
        if self.source_language == self.target_language:
            raise RecurError(f"the source and target languages are both {self.source_language!r}")


def corpus_folder(explicit: str | Path | None = None) -> Path:
    return find_data(MULTI30K_FOLDER, MULTI30K_PUBLISHED, explicit).resolve()


def read(data: TranslateDataConfig, split: str) -> Pairs:
    return read_split(Path(data.source), split, data.source_language, data.target_language)


@dataclass
class Batch:
    source: torch.Tensor  # [B, S], PAD after each sentence's end
    lengths: torch.Tensor  # [B]
    target_in: torch.Tensor  # [B, T]: <s> y_1 .. y_n
    target_out: torch.Tensor  # [B, T]: y_1 .. y_n </s>

    def to(self, device) -> Batch:
        return Batch(*(t.to(device) for t in (self.source, self.lengths, self.target_in, self.target_out)))


def source_ids(ids: list[int], reverse: bool) -> list[int]:
    return (ids[::-1] if reverse else ids) + [EOS]


def padded(rows: list[list[int]]) -> torch.Tensor:
    out = torch.full((len(rows), max(map(len, rows))), PAD, dtype=torch.long)
    for i, row in enumerate(rows):
        out[i, :len(row)] = torch.tensor(row, dtype=torch.long)
    return out


def make_batch(sources: list[list[int]], targets: list[list[int]] | None, reverse: bool) -> Batch:
    """Subword ids of sentence pairs (targets None: sources only, for decoding) as padded tensors."""
    src = [source_ids(s, reverse) for s in sources]
    targets = targets if targets is not None else [[] for _ in sources]
    return Batch(padded(src), torch.tensor([len(s) for s in src]), padded([[BOS, *t] for t in targets]),
                 padded([[*t, EOS] for t in targets]))


class Translator:
    """A trained model with its two vocabularies: ``translate`` sentences; ``evaluate`` BLEU."""

    item_name = "sentences"

    def __init__(self, model: Seq2Seq, subwords: tuple[Subwords, Subwords], data: TranslateDataConfig):
        self.model, (self.source_subwords, self.target_subwords), self.data = model, subwords, data
        self.beam, self.alpha = EVAL_BEAM, 0.6

    @property
    def direction(self) -> str:
        return f"{self.data.source_language}→{self.data.target_language}"

    def encode(self, sentences: list[str]) -> list[list[int]]:
        return self.source_subwords.encode_all([s.strip() for s in sentences])

    def translate(self, sentences: list[str], beam: int | None = None, alpha: float | None = None,
                  with_attention: bool = False):
        """The translations of ``sentences`` (and, ``with_attention``, each one's attention
        ``[target pieces + 1, source pieces + 1]``, both ending with ``</s>``)."""
        texts, attention = [], []
        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))  # similar lengths decode together
        encoded = self.encode([sentences[i] for i in order])
        device = next(self.model.parameters()).device
        for start in range(0, len(order), EVAL_BATCH):
            batch = make_batch(encoded[start:start + EVAL_BATCH], None, self.data.reverse_source).to(device)
            out = translate(self.model, batch.source, batch.lengths, beam or self.beam,
                            self.alpha if alpha is None else alpha, with_attention)
            texts += [self.target_subwords.decode(ids) for ids in out.ids]
            attention += out.attention
        back = sorted(range(len(order)), key=order.__getitem__)
        return ([texts[i] for i in back], [attention[i] for i in back]) if with_attention else [texts[i] for i in back]

    def source_pieces(self, sentence: str) -> list[str]:
        pieces = self.source_subwords.pieces(sentence.strip())
        return (pieces[::-1] if self.data.reverse_source else pieces) + ["</s>"]

    def target_pieces(self, text: str) -> list[str]:
        return self.target_subwords.pieces(text) + ["</s>"]

    def loss(self, pairs: Pairs) -> float:
        """Teacher-forced cross-entropy per target subword (nats)."""
        return teacher_forced_loss(self.model, self.encode(pairs.source),
                                   self.target_subwords.encode_all(pairs.target), self.data.reverse_source)

    def evaluate(self, pairs: Pairs) -> dict:
        scores, signatures = corpus_scores(self.translate(pairs.source), pairs.target)
        loss = self.loss(pairs)
        return {**scores, "loss": loss, "perplexity": perplexity(loss), "beam": self.beam,
                "direction": f"{self.data.source_language}-{self.data.target_language}", "signatures": signatures}

    def count(self, pairs: Pairs) -> int:
        return len(pairs)

    def evaluation_data(self, path: str) -> Pairs:
        """``--data FILE.SRC``: the file in the source language, beside it FILE.TARGET (``.gz`` or not)."""
        given = Path(path)
        stem = given.name.removesuffix(".gz").removesuffix(f".{self.data.source_language}")
        target = given.with_name(given.name.replace(f"{stem}.{self.data.source_language}",
                                                    f"{stem}.{self.data.target_language}"))
        if target == given:
            raise RecurError(f"{path}: name the source-language file, {stem}.{self.data.source_language}[.gz], with "
                             f"{stem}.{self.data.target_language}[.gz] beside it")
        return read_pairs(given, target)


@torch.no_grad()
def teacher_forced_loss(model: Seq2Seq, sources, targets, reverse: bool) -> float:
    total, tokens = 0.0, 0
    device = next(model.parameters()).device
    with evaluation_mode(model):
        for start in range(0, len(sources), EVAL_BATCH):
            batch = make_batch(sources[start:start + EVAL_BATCH], targets[start:start + EVAL_BATCH], reverse).to(device)
            loss, count = model.loss(batch.source, batch.lengths, batch.target_in, batch.target_out)
            total, tokens = total + float(loss), tokens + count
    return total / tokens


class TranslationTask(SharesRows):
    """Trainer-facing: length-pooled batches in a seeded order, epoch by epoch. Under DDP every
    rank orders the batches alike and trains its own pairs of each; a batch with fewer pairs than
    processes (an epoch's shortest) is skipped, on every rank."""

    item_name = "tokens"
    selection = Selection("bleu", higher_is_better=True)  # greedy BLEU on val picks best/

    def __init__(self, config: Seq2SeqConfig, data: TranslateDataConfig, subwords: tuple[Subwords, Subwords]):
        self.model_config, self.data, self.subwords = config, data, subwords
        self.model = sized(Seq2Seq, config)
        self.device = torch.device("cpu")
        train = read(data, "train")
        sources, targets = subwords[0].encode_all(train.source), subwords[1].encode_all(train.target)
        kept = [i for i in range(len(sources)) if max(len(sources[i]), len(targets[i])) <= data.max_length]
        if not kept:
            raise RecurError(f"every training pair has more than {data.max_length} subwords on a side; raise --max-length")
        self.sources, self.targets = [sources[i] for i in kept], [targets[i] for i in kept]
        self.valid = read(data, "val")
        self.translator = Translator(self.model, subwords, data)
        self.items_per_step = round(min(data.batch_size, len(kept)) * sum(map(len, self.targets)) / len(kept))
        self.batches_per_epoch = math.ceil(len(kept) / data.batch_size)
        self.epoch, self.position = 0, 0
        self.rows = RowShare(min(data.batch_size, len(kept)))
        self._order_epoch, self._order = None, []

    def to(self, device) -> None:
        self.device = torch.device(device)

    def epoch_batches(self) -> list[list[int]]:
        """The row lists of this epoch's batches: a seeded shuffle, sorted by length within pools."""
        if self._order_epoch != self.epoch:
            generator = torch.Generator().manual_seed(hash((self.data.shuffle_seed, self.epoch)) % 2**62)
            rows = torch.randperm(len(self.sources), generator=generator).tolist()
            size, batches = self.data.batch_size, []
            for start in range(0, len(rows), size * POOL):
                pool = sorted(rows[start:start + size * POOL], key=lambda r: (len(self.sources[r]), len(self.targets[r])))
                batches += [pool[i:i + size] for i in range(0, len(pool), size)]
            order = torch.randperm(len(batches), generator=generator).tolist()
            self._order_epoch, self._order = self.epoch, [batches[i] for i in order]
        return self._order

    def train_loss(self) -> torch.Tensor:
        rows = self.next_rows()
        while len(rows) < self.rows.world:
            rows = self.next_rows()
        whole = sum(len(self.targets[r]) + 1 for r in rows)  # every target word and its </s>
        rows = self.rows.mine(rows)
        batch = make_batch([self.sources[r] for r in rows], [self.targets[r] for r in rows],
                           self.data.reverse_source).to(self.device)
        loss, tokens = self.model.loss(batch.source, batch.lengths, batch.target_in, batch.target_out)
        self.rows.count(tokens, whole)
        return loss / tokens

    def next_rows(self) -> list[int]:
        rows = self.epoch_batches()[self.position]
        self.position += 1
        if self.position == self.batches_per_epoch:
            self.epoch, self.position = self.epoch + 1, 0
        return rows

    def evaluate(self) -> dict[str, float]:
        scores, _ = corpus_scores(self.translator.translate(self.valid.source, beam=1), self.valid.target)
        return {"loss": self.translator.loss(self.valid), **scores, "epoch": self.epoch + self.position /
                self.batches_per_epoch}

    def config(self) -> dict:
        return {"task": "translate", "model": asdict(self.model_config), "data": asdict(self.data),
                "subwords": {"source": self.subwords[0].to_text(), "target": self.subwords[1].to_text()}}

    def state(self):
        return {"epoch": self.epoch, "position": self.position}, {}

    def load_state(self, position: dict, tensors: dict) -> None:
        self.epoch, self.position = int(position["epoch"]), int(position["position"])


def saved_subwords(config: dict) -> tuple[Subwords, Subwords]:
    saved = config.get("subwords")
    if not isinstance(saved, dict) or not all(isinstance(saved.get(k), str) for k in ("source", "target")):
        raise RecurError("config.json has no subword models (\"subwords\": {\"source\", \"target\"})")
    try:
        return Subwords.from_text(saved["source"]), Subwords.from_text(saved["target"])
    except RecurError as err:
        raise RecurError(f"config.json: {err}") from None


def saved_configs(config: dict) -> tuple[Seq2SeqConfig, TranslateDataConfig, tuple[Subwords, Subwords]]:
    model = saved_model_config(config, Seq2SeqConfig)
    data = TranslateDataConfig(**config["data"])
    subwords = saved_subwords(config)
    if (len(subwords[0]), len(subwords[1])) != (model.source_vocab, model.target_vocab):
        raise RecurError(f"config.json: subword models of {len(subwords[0])} and {len(subwords[1])} pieces for a "
                         f"model of {model.source_vocab} and {model.target_vocab}")
    return model, data, subwords


def new_task(data_path: str | None, data_options: dict, model_options: dict) -> TranslationTask:
    """A fresh task on the corpus folder ``data_path`` (None: ``$RECUR_DATA/multi30k``): the subword
    vocabularies are trained here, on the training split."""
    data = TranslateDataConfig(**data_options, source=str(corpus_folder(data_path)),
                               shuffle_seed=torch.initial_seed() % 2**31)  # the order follows --seed
    train = read(data, "train")
    read(data, "val")  # refused now, not at the first validation
    subwords = (Subwords.train(train.source, data.subwords), Subwords.train(train.target, data.subwords))
    config = Seq2SeqConfig(source_vocab=len(subwords[0]), target_vocab=len(subwords[1]), **model_options)
    return TranslationTask(config, data, subwords)


def resumed_task(config: dict, data_path: str | None) -> TranslationTask:
    model, data, subwords = saved_configs(config)
    data = TranslateDataConfig(**{**asdict(data), "source": str(corpus_folder(data_path or data.source))})
    return TranslationTask(model, data, subwords)


def held_out(config: dict) -> dict[str, HeldOut]:
    """val, test2016 and test2017, where the corpus folder has them (val always)."""
    data = TranslateDataConfig(**config["data"])
    splits = {}
    for split in HELD_OUT_SPLITS:
        try:
            pairs = read(data, split)
        except RecurError:
            if split == "val":
                raise
            continue
        splits[split] = HeldOut(pairs, pairs.where)
    return splits


def untrained_model(config: dict) -> Translator:
    model, data, subwords = saved_configs(config)
    return Translator(Seq2Seq(model), subwords, data)


TRANSLATE = Verb("translate", "translate sentences with a trained translation model", Translator,
                 translate_verb.translate_arguments, translate_verb.run_translate,
                 description="Translate the sentences given (or one per line of standard input) with a model of "
                             "'recur train translate'; --show-attention draws where each word looked.")

SPEC = TaskSpec(
    name="translate", summary="translation: encoder-decoder with attention on Multi30k (sacreBLEU)",
    data_help=f"a folder of line-aligned SPLIT.LANG[.gz] files (default: $RECUR_DATA/{MULTI30K_FOLDER})",
    DataConfig=TranslateDataConfig, ModelConfig=Seq2SeqConfig, ready_type=Translator,
    new_task=new_task, resumed_task=resumed_task, held_out=held_out, untrained_model=untrained_model,
    verbs=(TRANSLATE,), train_defaults=TRAINING)
