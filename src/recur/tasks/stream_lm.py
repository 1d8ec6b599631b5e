"""What every language model over one token stream shares (characters in ``charlm``, words in
``wordlm``): truncated BPTT over contiguous batches of the training split, the hidden state carried
from one chunk to the next and detached between them, a fresh state at each epoch, and the mean
cross-entropy of a held-out stream read with its state carried through.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.nn import functional as F

from recur.checks import check_value
from recur.data import TextStream
from recur.errors import RecurError
from recur.generate import stream_ids
from recur.generate.beam import beam_search
from recur.models import LanguageModel, LanguageModelConfig
from recur.models.memory import sized
from recur.modes import evaluation_mode
from recur.state import detach_state, map_state, state_fields, state_from_fields
from recur.tasks.spec import Sampler
from recur.train import distributed

EVAL_BATCH, EVAL_SEQ_LEN = 32, 256
STATE_BATCH_DIM = 1  # the carried state's fields are [layers, B, H]


@torch.no_grad()
def mean_loss(model, ids: torch.Tensor, batch: int = EVAL_BATCH) -> float:
    """Mean cross-entropy in nats per predicted token over ``ids``, the hidden state carried
    through each of up to ``batch`` contiguous rows."""
    if len(ids) < 2:
        raise RecurError("text too short to evaluate: need at least 2 tokens")
    batch = max(1, min(batch, (len(ids) - 1) // EVAL_SEQ_LEN))
    seq_len = min(EVAL_SEQ_LEN, (len(ids) - 1) // batch)
    total, count, state = 0.0, 0, None
    with evaluation_mode(model):
        for x, y in TextStream(ids, batch, seq_len).all_chunks():
            logits, state = model(x, state)
            total += float(F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="sum"))
            count += y.numel()
    return total / count


class StreamLMTask:
    """The trainer-facing part shared by stream language models: ``train_loss``, ``state``,
    ``load_state``. Subclasses add ``config``, ``evaluate`` and their data."""

    def __init__(self, model_config: LanguageModelConfig, train_ids: torch.Tensor, batch_size: int, seq_len: int):
        self.model_config = model_config
        self.model = sized(LanguageModel, model_config)
        self.train_stream = TextStream(train_ids, batch_size, seq_len, "the training split")
        self.items_per_step = batch_size * seq_len  # the global batch's, under DDP too
        self.position, self.epoch, self.carried = 0, 0, None
        self.world = distributed.SINGLE

    def shard(self, rank: int, world: int) -> None:
        """Train on rows ``rank::world`` of the batch (``recur.train.distributed``): each row is a
        contiguous stretch of text, so a rank's rows and their carried state are whole streams."""
        rows = distributed.rows_of(rank, world, self.train_stream.batch_size)
        stream = self.train_stream
        stream.inputs, stream.targets = stream.inputs[rows].contiguous(), stream.targets[rows].contiguous()
        self.world = distributed.World(rank, world)

    def train_loss(self) -> torch.Tensor:
        x, y = self.train_stream.chunk(self.position)
        logits, state = self.model(x, self.carried)
        self.carried = detach_state(state)
        self.position += 1
        if self.position == len(self.train_stream):  # a new epoch starts from a fresh state
            self.position, self.epoch, self.carried = 0, self.epoch + 1, None
        return F.cross_entropy(logits.flatten(0, 1), y.flatten())

    def state(self):
        """The data position and the whole batch's carried state (gathered from every rank under DDP)."""
        tensors = {} if self.carried is None else state_fields(self.carried)
        tensors = {k: distributed.gather_rows(self.world, t, STATE_BATCH_DIM) for k, t in tensors.items()}
        return {"position": self.position, "epoch": self.epoch}, tensors

    def load_state(self, position: dict, tensors: dict[str, torch.Tensor]) -> None:
        self.position, self.epoch = position["position"], position["epoch"]
        device = next(self.model.parameters()).device
        def mine(t: torch.Tensor) -> torch.Tensor:  # this rank's rows of the saved (global) batch
            rows = torch.arange(self.world.rank, t.shape[STATE_BATCH_DIM], self.world.size)
            return t.index_select(STATE_BATCH_DIM, rows).to(device)
        self.carried = state_from_fields(self.model.rnn.state_type, {k: mine(t) for k, t in tensors.items()}) \
            if tensors else None

    def to(self, device: torch.device) -> StreamLMTask:
        """Put the training stream, the validation ids (``val_ids``) and the carried state on
        ``device``; the trainer moves the model."""
        stream = self.train_stream
        stream.inputs, stream.targets = stream.inputs.to(device), stream.targets.to(device)
        self.val_ids = self.val_ids.to(device)
        if self.carried is not None:
            self.carried = map_state(lambda t: t.to(device), self.carried)
        return self


class StreamLM(Sampler):
    """A trained stream language model, ready to use: ``generate`` and ``beam`` write text, ``evaluate``
    scores it. Subclasses say what a token is: ``unit``, ``pieces`` (ids to text, one piece per id),
    ``context`` (a prime's ids), ``stop_id`` and ``evaluate``.

    One rule for the prime: ``generate``, ``generate_many``, ``stream`` and ``beam`` return only the
    text generated after it, never the prime itself, so ``prime + lm.generate(prime)`` is the whole
    text (a word model's pieces start with their space). ``recur sample`` and the ``recur serve``
    page show the prime, then that text.

    ``precision`` is the generation engine's weight format (``fp32``, ``bf16``, ``int8``; see
    ``recur.generate.engine``); evaluation always runs the model as trained."""

    unit, kind = "token", "text"

    def __init__(self, model: LanguageModel, vocab, precision: str = "fp32"):
        self.model, self.vocab, self.precision = model, vocab, precision

    def generate(self, prime: str = "", length: int = 500, temperature: float = 1.0, top_k: int | None = None,
                 top_p: float | None = None, seed: int | None = None) -> str:
        """The text of the ``length`` tokens generated after ``prime``, without the prime. With no
        prime the model starts as after a line break (a word model: after a sentence)."""
        return self.generate_many(prime, length, temperature, top_k, top_p, seed, samples=1)[0]

    def generate_many(self, prime: str = "", length: int = 500, temperature: float = 1.0, top_k: int | None = None,
                      top_p: float | None = None, seed: int | None = None, samples: int = 1) -> list[str]:
        """``samples`` independent continuations of ``prime`` (each without it), drawn together as one batch."""
        texts = [[] for _ in range(samples)]
        for pieces in self.stream(prime, length, temperature, top_k, top_p, seed, samples):
            for text, piece in zip(texts, pieces):
                text.append(piece)
        return ["".join(text) for text in texts]

    def stream(self, prime: str = "", length: int = 500, temperature: float = 1.0, top_k: int | None = None,
               top_p: float | None = None, seed: int | None = None, samples: int = 1) -> Iterator[list[str]]:
        """Each step's text after ``prime``, one piece per sample, as soon as it is drawn."""
        check_value("length", length, int, {"at_least": 0})
        for ids in stream_ids(self.model, self.context(prime), length, temperature, top_k, top_p, seed, samples,
                              self.precision):
            yield self.pieces(ids)

    def beam(self, prime: str = "", length: int = 500, width: int = 5, alpha: float = 0.6,
             stop: str | None = None) -> str:
        """The most likely continuation of ``prime`` (without it) found by beam search, ending early
        at ``stop`` if it occurs."""
        check_value("length", length, int, {"at_least": 0})
        stop_id = None if stop is None else self.stop_id(stop)
        ids = beam_search(self.model, self.context(prime), length, width, alpha, stop_id, self.precision)
        return "".join(self.pieces(ids))
