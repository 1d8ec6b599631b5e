"""bAbI question answering with an end-to-end memory network (``recur.models.memn2n``), or an LSTM
reading story and question as one sequence (the paper's yardstick, ``--model lstm``).

Data: ``--data FOLDER`` or ``$RECUR_DATA/babi`` (``recur.data.babi``); ``--task-id N`` trains on task
N, ``--task-id all`` one model on all 20 ("joint"). The last 10 % of each training file is held out
for validation (``--held-out``); ``best/`` keeps the weights of the highest validation accuracy, and
``recur eval`` scores the held-out part and the test file(s) (error = 1 − accuracy, per task when
joint).

The authors' training (facebook/MemNN ``config_babi.m``) is counted in epochs, which the task owns
(an epoch is ⌊questions / batch⌋ batches of a seeded shuffle): linear start for
``--linear-start-epochs`` (20; 30 joint), then the softmax is put back and the step size is halved
every ``--halve-every`` epochs (25; 15 joint), with random time noise ``--time-noise`` (0.1). The
trainer sets the learning rate each step, so the halving is applied to the gradient: the loss keeps
its value and its gradient is scaled by 0.5^h. With plain SGD that is the authors' schedule wherever
the clip is not active. Their loss is summed over a batch of 32 with step 0.005 and clip 40; recur
trains the batch mean, so the same run is SGD at lr 0.16, clip 1.25, a constant schedule (0.16 =
32 × 0.005 and 1.25 = 40 / 32): the task's training defaults (``AUTHORS_TRAINING``), so that::

    recur train babi --task-id 1 --max-steps 3360 --eval-every 28     # 120 epochs of 28 batches

is the authors' run. Unknown words at question time read as ``<unk>``, which the
memory network embeds as zero.
"""

from __future__ import annotations

import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch.nn import functional as F

from recur.checks import check_config
from recur.data import WordVocab, find_data
from recur.data.batches import RowShare, SharesRows
from recur.data.babi import TASK_IDS, VERSIONS, Question, read_babi, split_held_out, task_file, training_files, words
from recur.data.vocab import UNK
from recur.errors import RecurError
from recur.models.classifier import ClassifierConfig, SequenceClassifier
from recur.models.memn2n import MemN2N, MemN2NConfig, StoryBatch, time_indices
from recur.models.memory import sized
from recur.modes import evaluation_mode
from recur.tasks import babi_ask
from recur.tasks.spec import HeldOut, TaskSpec, Verb, saved_model_config
from recur.train.task import Selection

PAD = "<pad>"
BABI_FOLDER = "babi"
BABI_PUBLISHED = "Weston et al. 2015, arXiv:1502.05698; tasks_1-20_v1-2 (research.facebook.com/downloads/babi)"
TASK_CHOICES = (*map(str, TASK_IDS), "all")
JOINT_DEFAULTS = {"dim": 50}  # config_babi.m's joint settings, where the flag is not given
JOINT_DATA_DEFAULTS = {"linear_start_epochs": 30, "halve_every": 15}
EVAL_BATCH = 500
AUTHORS_TRAINING = {"optimizer": "sgd", "lr": 0.16, "clip": 1.25, "schedule": "constant"}  # config_babi.m, batch mean
TIE_BREAK = 1e-8  # x the validation loss (capped at 1,000): under 1e-5, less than one question in 100,000


@dataclass(frozen=True, kw_only=True)
class BabiModelConfig(MemN2NConfig):
    model: str = field(default="memn2n", metadata={
        "choices": ("memn2n", "lstm"), "help": "the memory network, or an LSTM reading story and question as one "
                                               "sequence (the paper's yardstick; embedding --dim)"})
    lstm_hidden: int = field(default=100, metadata={"help": "LSTM units (with --model lstm)", "at_least": 1,
                                                    "at_most": 4096})

    def __post_init__(self):
        check_config(self)


@dataclass(frozen=True)
class BabiDataConfig:
    task_id: str = field(default="1", metadata={"choices": TASK_CHOICES,
                                                "help": "the bAbI task 1..20, or all: one model on all 20 (joint)"})
    version: str = field(default="1k", metadata={"choices": tuple(VERSIONS),
                                                 "help": "1k or 10k training questions per task"})
    batch_size: int = field(default=32, metadata={"at_least": 1})
    held_out: float = field(default=0.1, metadata={"help": "the fraction of each training file held out to "
                                                           "validate", "above": 0, "below": 1})
    time_noise: float = field(default=0.1, metadata={"help": "random time noise: the fraction of empty memory "
                                                             "slots mixed in during training", "at_least": 0,
                                                     "at_most": 1})
    linear_start_epochs: int = field(default=20, metadata={
        "help": "epochs without the softmax in the hops before it is put back; 0: none",
        "default_text": "20; 30 with --task-id all", "at_least": 0})
    halve_every: int = field(default=25, metadata={
        "help": "after linear start, halve the step every this many epochs; 0: never",
        "default_text": "25; 15 with --task-id all", "at_least": 0})
    source: str = field(default="", metadata={"flag": False})  # the babi folder, for resume and eval
    shuffle_seed: int = field(default=0, metadata={"flag": False})

    def __post_init__(self):
        check_config(self)

    @property
    def tasks(self) -> tuple[int, ...]:
        return TASK_IDS if self.task_id == "all" else (int(self.task_id),)


def babi_folder(explicit: str | Path | None = None) -> Path:
    return find_data(BABI_FOLDER, BABI_PUBLISHED, explicit).resolve()


def read_splits(data: BabiDataConfig) -> tuple[list[Question], list[Question], list[str]]:
    """``(train, valid, notes)``: each task's training file less its held-out tail, and that tail."""
    folder = babi_folder(data.source)
    files, notes = training_files(folder, data.version, data.tasks)
    train, valid = [], []
    for task, path in files.items():
        kept, held = split_held_out(read_babi(path, task), data.held_out)
        train += kept
        valid += held
    return train, valid, notes


def read_test(data: BabiDataConfig) -> tuple[list[Question], str]:
    folder = babi_folder(data.source)
    paths = [task_file(folder, "1k", task, "test") for task in data.tasks]
    return [q for task, path in zip(data.tasks, paths) for q in read_babi(path, task)], \
        str(paths[0] if len(paths) == 1 else paths[0].parent)


def build_vocab(questions: list[Question]) -> WordVocab:
    """``<pad>`` (id 0), ``<unk>`` (1), then every word of the training stories, questions and answers."""
    words = (w for q in questions for sentence in (*q.story, q.question, (q.answer,)) for w in sentence)
    return WordVocab.from_words(words, (PAD, UNK))


def longest_sentence(questions: list[Question]) -> int:
    return max(len(s) for q in questions for s in (*q.story, q.question))


@dataclass
class Encoded:
    """Questions as padded id tensors: what batches are cut from."""
    story: torch.Tensor  # [N, M, J]
    slots: torch.Tensor  # [N]
    question: torch.Tensor  # [N, J]
    answer: torch.Tensor  # [N]
    task: torch.Tensor  # [N]

    def batch(self, rows, noise: float = 0.0, generator: torch.Generator | None = None) -> StoryBatch:
        """The questions ``rows`` as a ``StoryBatch`` cut to their longest story; ages with ``noise``."""
        rows = torch.as_tensor(rows)
        slots = self.slots[rows]
        width = max(1, int(slots.max()))
        times = torch.zeros(len(rows), width, dtype=torch.long)
        for row, count in enumerate(slots.tolist()):
            times[row, :count] = time_indices(count, self.story.shape[1], noise, generator)
        return StoryBatch(self.story[rows, :width].long(), times, slots, self.question[rows].long())


def encode(vocab: WordVocab, questions: list[Question], slots: int, words: int) -> Encoded:
    """Each question's last ``slots`` sentences and the question, ``words`` ids each at most."""
    story = torch.zeros(len(questions), slots, words, dtype=torch.int32)
    question = torch.zeros(len(questions), words, dtype=torch.int32)
    counts = torch.zeros(len(questions), dtype=torch.long)
    index, unk = vocab.index, vocab.index[UNK]
    for n, q in enumerate(questions):
        kept = q.story[-slots:]
        counts[n] = len(kept)
        for i, sentence in enumerate((*kept, q.question)):
            if len(sentence) > words:
                raise RecurError(f"a sentence of {len(sentence)} words ({' '.join(sentence[:8])} ...); this model "
                                 f"reads at most {words}")
            ids = torch.tensor([index.get(w, unk) for w in sentence], dtype=torch.int32)
            (story[n, i] if i < len(kept) else question[n])[: len(ids)] = ids
    answers = torch.tensor([index.get(q.answer, unk) for q in questions])
    return Encoded(story, counts, question, answers, torch.tensor([q.task for q in questions]))


def build_model(config: BabiModelConfig) -> torch.nn.Module:
    if config.model == "lstm":  # one sequence in, one answer word out: a classifier over the vocabulary
        return SequenceClassifier(ClassifierConfig(vocab_size=config.vocab_size, classes=config.vocab_size,
                                                   embedding=config.dim, hidden=config.lstm_hidden, layers=1,
                                                   dropout=0.0))
    return MemN2N(config)


def answer_logits(model: torch.nn.Module, batch: StoryBatch) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``(logits [B, V], attention [K, B, M] or None)`` of either model."""
    if isinstance(model, MemN2N):
        out = model(batch)
        return out.logits, out.attention
    return model(*batch.as_sequence()), None


@torch.no_grad()
def score(model: torch.nn.Module, data: Encoded) -> dict[str, float]:
    """Mean cross-entropy, accuracy and error; with several tasks, each task's error too."""
    loss, right = 0.0, torch.zeros(len(data.answer), dtype=torch.bool)
    with evaluation_mode(model):
        for start in range(0, len(data.answer), EVAL_BATCH):
            rows = torch.arange(start, min(start + EVAL_BATCH, len(data.answer)))
            logits, _ = answer_logits(model, data.batch(rows))
            loss += float(F.cross_entropy(logits, data.answer[rows], reduction="sum"))
            right[rows] = logits.argmax(-1) == data.answer[rows]
    accuracy = float(right.float().mean())
    metrics = {"loss": loss / len(right), "accuracy": accuracy, "error": 1 - accuracy}
    tasks = data.task.unique().tolist()
    if len(tasks) > 1:
        metrics.update({f"error_qa{t}": 1 - float(right[data.task == t].float().mean()) for t in tasks})
    return metrics


class BabiReader:
    """A trained model: ``evaluate`` bAbI questions, ``ask`` one question about a story."""

    item_name = "questions"

    def __init__(self, model: torch.nn.Module, vocab: WordVocab, config: BabiModelConfig):
        self.model, self.vocab, self.config = model, vocab, config

    def encode(self, questions: list[Question]) -> Encoded:
        return encode(self.vocab, questions, self.config.memory_slots, self.config.sentence_words)

    def evaluate(self, questions: list[Question]) -> dict[str, float]:
        return score(self.model, self.encode(questions))

    def count(self, questions: list[Question]) -> int:
        return len(questions)

    def evaluation_data(self, path: str) -> list[Question]:
        """A bAbI file; a name like ``qa3_..._test.txt`` says its task."""
        task = re.match(r"qa([0-9]{1,2})_", Path(path).name)
        return read_babi(path, int(task.group(1)) if task else 0)

    @torch.no_grad()
    def ask(self, story: list[str], question: str, source: str = "the story") -> dict:
        """The answer to ``question`` about ``story`` (statements, oldest first; a leading bAbI ID is
        dropped) and each hop's attention over the sentences kept in memory (None for the LSTM)."""
        sentences = []
        for number, line in enumerate(story, start=1):
            if "\t" in line:
                raise RecurError(f"{source}, line {number}: a question line (it has a tab); a story holds statements")
            head, _, rest = line.strip().partition(" ")
            sentence = words(rest if head.isdigit() else line)
            if sentence:
                sentences.append(sentence)
        asked = words(question)
        if not asked:
            raise RecurError("the question is empty")
        if not sentences:
            raise RecurError(f"{source} has no sentences")
        kept = sentences[-self.config.memory_slots:]
        encoded = self.encode([Question(tuple(kept), asked, UNK, (), 0)])
        self.model.eval()
        logits, attention = answer_logits(self.model, encoded.batch([0]))
        probs = logits[0].softmax(-1)
        best = int(probs.argmax())
        unknown = sorted({w for s in (*kept, asked) for w in s if w not in self.vocab.index})
        return {"answer": self.vocab.words[best], "probability": float(probs[best]),
                "sentences": [" ".join(s) for s in kept], "dropped": len(sentences) - len(kept),
                "attention": None if attention is None else attention[:, 0].tolist(), "unknown_words": unknown}


class BabiTask(SharesRows):
    """Trainer-facing: seeded shuffled batches, epoch by epoch, with the authors' epoch schedule
    (under DDP every rank draws the batch and trains its own rows of it)."""

    item_name = "questions"
    # validation accuracy picks best/; with 100 held-out questions ties are common, and the later model
    # of lower loss wins them (the loss term is far below one question's worth of accuracy)
    selection = Selection("accuracy_then_loss", higher_is_better=True)

    def __init__(self, config: BabiModelConfig, data: BabiDataConfig, vocab: WordVocab, train: list[Question],
                 valid: list[Question]):
        self.model_config, self.data, self.vocab = config, data, vocab
        self.model = sized(build_model, config)
        self.train = encode(vocab, train, config.memory_slots, config.sentence_words)
        self.valid = encode(vocab, valid, config.memory_slots, config.sentence_words)
        self.items_per_step = min(data.batch_size, len(train))
        self.rows = RowShare(self.items_per_step)
        self.batches_per_epoch = max(1, len(train) // data.batch_size)  # the authors' ⌊N / batch⌋
        self.epoch, self.position = 0, 0
        self._set_phase()

    def _generator(self, *salt: int) -> torch.Generator:
        return torch.Generator().manual_seed(hash((self.data.shuffle_seed, self.epoch, *salt)) % 2**62)

    def _set_phase(self) -> None:
        if isinstance(self.model, MemN2N):
            self.model.linear.fill_(self.epoch < self.data.linear_start_epochs)

    def gradient_scale(self) -> float:
        """0.5^h after h halvings: the authors halve at the end of every ``halve_every``-th epoch after
        linear start (their ``(epoch + 1) % step == 0``, before the epoch is trained)."""
        after = self.epoch - self.data.linear_start_epochs
        if after < 0 or not self.data.halve_every:
            return 1.0
        return 0.5 ** ((after + 1) // self.data.halve_every)

    def train_loss(self) -> torch.Tensor:
        self._set_phase()
        order = torch.randperm(len(self.train.answer), generator=self._generator())
        rows = order[self.position * self.items_per_step: (self.position + 1) * self.items_per_step]
        batch = self.rows.mine_of(self.train.batch(rows, self.data.time_noise, self._generator(self.position + 1)))
        logits, _ = answer_logits(self.model, batch)
        loss = F.cross_entropy(logits, self.train.answer[self.rows.mine(rows)])
        self.rows.count(len(batch.question), len(rows))
        scale = self.gradient_scale()
        self.position += 1
        if self.position == self.batches_per_epoch:
            self.epoch, self.position = self.epoch + 1, 0
        return loss if scale == 1.0 else scale * loss + (1 - scale) * loss.detach()  # its value, its gradient × scale

    def evaluate(self) -> dict[str, float]:
        metrics = score(self.model, self.valid)
        return {**metrics, "accuracy_then_loss": metrics["accuracy"] - TIE_BREAK * min(metrics["loss"], 1e3)}

    def config(self) -> dict:
        return {"task": "babi", "model": asdict(self.model_config), "data": asdict(self.data),
                "vocab": self.vocab.words}

    def state(self):
        return {"epoch": self.epoch, "position": self.position}, {}

    def load_state(self, position: dict, tensors: dict) -> None:
        self.epoch, self.position = int(position["epoch"]), int(position["position"])
        self._set_phase()


def new_task(data_path: str | None, data_options: dict, model_options: dict) -> BabiTask:
    """A fresh task on the babi folder ``data_path`` (None: ``$RECUR_DATA/babi``); ``--task-id all``
    takes the authors' joint settings for the flags not given."""
    if data_options.get("task_id") == "all":
        data_options = {**JOINT_DATA_DEFAULTS, **data_options}
        model_options = {**JOINT_DEFAULTS, **model_options}
    # the shuffle and the time noise follow --seed (the CLI seeds torch before building the task)
    data = BabiDataConfig(**data_options, source=str(babi_folder(data_path)), shuffle_seed=torch.initial_seed() % 2**31)
    train, valid, notes = read_splits(data)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    vocab = build_vocab(train)
    config = BabiModelConfig(vocab_size=len(vocab), sentence_words=longest_sentence(train), **model_options)
    return BabiTask(config, data, vocab, train, valid)


def resumed_task(config: dict, data_path: str | None) -> BabiTask:
    data = BabiDataConfig(**{**config["data"], "source": str(babi_folder(data_path or config["data"]["source"]))})
    train, valid, _ = read_splits(data)
    return BabiTask(saved_model_config(config, BabiModelConfig), data, WordVocab(config["vocab"]), train, valid)


def held_out(config: dict) -> dict[str, HeldOut]:
    """``{"valid": ..., "test": ...}``: the held-out tail of the training file(s) and the test file(s)."""
    data = BabiDataConfig(**config["data"])
    _, valid, _ = read_splits(data)
    test, source = read_test(data)
    return {"valid": HeldOut(valid, f"{data.source} ({data.task_id}, held-out {data.held_out:g})"),
            "test": HeldOut(test, source)}


def untrained_model(config: dict) -> BabiReader:
    model_config = saved_model_config(config, BabiModelConfig)
    return BabiReader(build_model(model_config), WordVocab(config["vocab"]), model_config)


ASK = Verb("ask", "answer a question about a story with a trained bAbI model; prints each hop's attention", BabiReader,
           babi_ask.ask_arguments, babi_ask.run_ask)

SPEC = TaskSpec(
    name="babi", summary="bAbI question answering: end-to-end memory network (test error)",
    data_help=f"the babi folder (default: $RECUR_DATA/{BABI_FOLDER})",
    DataConfig=BabiDataConfig, ModelConfig=BabiModelConfig, ready_type=BabiReader,
    new_task=new_task, resumed_task=resumed_task, held_out=held_out, untrained_model=untrained_model,
    verbs=(ASK,), train_defaults=AUTHORS_TRAINING)
