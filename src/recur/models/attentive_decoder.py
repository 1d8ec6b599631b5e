"""The decoder every encoder-decoder shares: an RNN that writes a sequence word by word, looking at a
memory of keys through attention (``recur.models.attention``). The keys are what an encoder made of
the input: a source sentence's encoder outputs (``recur.models.seq2seq``), an image's grid of
convolutional features (``recur.models.captioner``).

One step per output word y_t, by ``attention``:

    bahdanau  c_t = Attend(s_{t-1}, h̄)    s_t = RNN([E y_{t-1} ; c_t], s_{t-1})     (Bahdanau et al. 2015;
              Xu et al. 2015 for images)
    luong     s_t = RNN([E y_{t-1} ; h̃_{t-1}], s_{t-1})    c_t = Attend(s_t, h̄)     (Luong et al. 2015;
              the h̃_{t-1} input is "input feeding", §3.3, dropped with input_feed=False)
    none      s_t = RNN(E y_{t-1}, s_{t-1})                                          (Sutskever et al. 2014)

    h̃_t = tanh(W_c [s_t ; c_t])   (h̃_t = s_t without attention)
    p(y_t | y_<t, x) = softmax(W_o h̃_t)

The start state comes from a summary of the input through the "bridge": s_0 = tanh(W_b summary)
for each layer, for h and (LSTMs) c. Attending uses the top layer's ``h``. Training is teacher
forcing: the reference y_{t-1} is the input at step t. Where no step depends on the one before it
except through the RNN (``none``, or ``luong`` without input feeding), the decoder runs over the whole
output at once and attends all steps in one batched product; otherwise it steps. Decoding (greedy,
beam search) is ``recur.generate.translation``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch
from torch import nn
from torch.nn import functional as F

from recur.checks import check_config
from recur.data.subwords import PAD
from recur.models.attention import ATTENTIONS
from recur.models.encoder import EncoderConfig
from recur.state import map_state, state_fields, state_from_fields

ATTENTION_CHOICES = (*ATTENTIONS, "none")
BRIDGED = ("h", "c")  # the state fields the bridge maps: every cell's h, and the LSTMs' memory cell c


@dataclass(frozen=True, kw_only=True)
class DecoderConfig(EncoderConfig):
    """The decoder's settings; a model's config extends it with its encoder's and sets ``key_size``."""
    target_vocab: int = field(default=8000, metadata={"flag": False, "at_least": 5})
    embedding: int = field(default=256, metadata={"help": "word-embedding size", "at_least": 1})
    attention: str = field(default="bahdanau", metadata={
        "choices": ATTENTION_CHOICES, "help": "bahdanau (additive, before the step), luong (general, after it), "
                                              "dot, or none: the input reaches the decoder only through s_0"})
    recurrent_dropout: float = field(default=0.0, metadata={
        "help": "variational dropout on each cell's input and state, one mask per sequence (Gal & Ghahramani); "
                "in the encoder, and in the decoder only where it runs in one pass (none; luong/dot without "
                "input feeding)", "at_least": 0, "below": 1})
    input_feed: bool = field(default=True, metadata={
        "help": "luong/dot: feed the previous step's attentional vector h̃ to the decoder (Luong §3.3)"})

    def __post_init__(self):
        check_config(self)
        super().__post_init__()

    @property
    def key_size(self) -> int:
        """The size of each memory key."""
        raise NotImplementedError

    @property
    def steps_independent(self) -> bool:
        """Whether teacher forcing can run the decoder over all output steps at once."""
        return self.attention == "none" or (self.attention != "bahdanau" and not self.input_feed)


@dataclass
class SourceMemory:
    """What the decoder reads: the keys and which positions hold one."""
    keys: torch.Tensor  # h̄ [B, S, K]
    prepared: torch.Tensor | None  # the attention's key-only part (U h̄ or W h̄) [B, S, A]
    mask: torch.Tensor  # [B, S], True at keys

    def rows(self, index: torch.Tensor) -> SourceMemory:
        return SourceMemory(self.keys[index], None if self.prepared is None else self.prepared[index], self.mask[index])


@dataclass
class DecoderState:
    """The decoder's RNN state (fields ``[layers, B, H]``) and the attentional vector h̃_{t-1} it
    feeds back (None where nothing is fed)."""
    rnn: tuple
    feed: torch.Tensor | None

    def rows(self, index: torch.Tensor) -> DecoderState:
        return DecoderState(map_state(lambda f: f.index_select(1, index), self.rnn),
                            None if self.feed is None else self.feed.index_select(0, index))


class AttentiveDecoder(nn.Module):
    """The decoder half; a model calls ``build_decoder`` in its ``__init__`` and supplies ``encode``
    (input -> ``(SourceMemory, DecoderState)``)."""

    def build_decoder(self, config: DecoderConfig, summary_size: int) -> None:
        """The decoder's layers, for keys of ``config.key_size`` and a start summary of ``summary_size``."""
        self.config = config
        H, K, E = config.hidden, config.key_size, config.embedding
        self.target_embedding = nn.Embedding(config.target_vocab, E, padding_idx=PAD)
        fed = {"bahdanau": K, "none": 0}.get(config.attention, H if config.input_feed else 0)
        # a stepping decoder calls its RNN once per word, so a variational mask could not last the
        # sequence: there recurrent dropout applies to the encoder alone
        stepping = replace(config, recurrent_dropout=0.0) if not config.steps_independent else config
        self.decoder = stepping.build_encoder(E + fed)
        self.bridge = nn.Linear(summary_size, H)  # W_b
        self.attention = None if config.attention == "none" else ATTENTIONS[config.attention](H, K, H)
        self.combine = None if config.attention == "none" else nn.Linear(H + K, H, bias=False)  # W_c
        self.readout = nn.Linear(H, config.target_vocab)  # W_o
        self.drop = nn.Dropout(config.dropout)

    def memory(self, keys: torch.Tensor, mask: torch.Tensor) -> SourceMemory:
        return SourceMemory(keys, None if self.attention is None else self.attention.prepare(keys), mask)

    def bridged_state(self, summaries: dict[str, torch.Tensor], batch: int, like: torch.Tensor) -> DecoderState:
        """s_0: ``tanh(W_b summary)`` for each field named in ``summaries`` (``[layers, B, summary]``)
        that the decoder's state has among h and c; its other fields (clockwork's clock) start fresh."""
        fresh = self.decoder.init_state(batch, like)
        start = {name: torch.tanh(self.bridge(summaries[name])) if name in BRIDGED and name in summaries else value
                 for name, value in state_fields(fresh).items()}
        feed = None
        if self.config.attention not in ("bahdanau", "none") and self.config.input_feed:
            feed = like.new_zeros(batch, self.config.hidden)
        return DecoderState(state_from_fields(type(fresh), start), feed)

    def _top(self, rnn) -> torch.Tensor:
        return state_fields(rnn)["h"][-1]  # [B, H]: the top layer's h

    def _output(self, s: torch.Tensor, context: torch.Tensor | None) -> torch.Tensor:
        """h̃ = tanh(W_c [s ; c]), or s without attention."""
        return s if context is None else torch.tanh(self.combine(torch.cat([s, context], dim=-1)))

    def step(self, tokens: torch.Tensor, state: DecoderState, memory: SourceMemory):
        """One decoder step on ``tokens [B]`` (y_{t-1}): ``(logits [B, V], state, weights [B, S] | None)``."""
        out, state, weights = self.advance(tokens, state, memory)
        return self.readout(self.drop(out)), state, weights

    def advance(self, tokens: torch.Tensor, state: DecoderState, memory: SourceMemory):
        """One decoder step short of the read-out: ``(h̃_t [B, H], state, weights [B, S] | None)``."""
        inputs = [self.drop(self.target_embedding(tokens))]
        context = weights = None
        if self.config.attention == "bahdanau":
            context, weights = self.attention(self._top(state.rnn)[:, None], memory.prepared, memory.keys, memory.mask)
            inputs.append(context[:, 0])
        elif state.feed is not None:
            inputs.append(state.feed)
        s, rnn = self.decoder(torch.cat(inputs, dim=-1)[:, None], state.rnn)  # s [B, 1, H]
        if self.attention is not None and self.config.attention != "bahdanau":
            context, weights = self.attention(s, memory.prepared, memory.keys, memory.mask)
        out = self._output(s[:, 0], None if context is None else context[:, 0])
        return out, DecoderState(rnn, out if state.feed is not None else None), None if weights is None else weights[:, 0]

    def teacher_forced(self, memory: SourceMemory, state: DecoderState, target_in: torch.Tensor) -> torch.Tensor:
        """Logits ``[B, T, V]`` of each next word given ``target_in [B, T]`` (``<s>`` y_1 .. y_{T-1})."""
        if self.config.steps_independent:
            s, _ = self.decoder(self.drop(self.target_embedding(target_in)), state.rnn)  # [B, T, H]
            context = None if self.attention is None else \
                self.attention(s, memory.prepared, memory.keys, memory.mask)[0]
            return self.readout(self.drop(self._output(s, context)))
        outputs = []
        for t in range(target_in.shape[1]):
            out, state, _ = self.advance(target_in[:, t], state, memory)
            outputs.append(out)
        return self.readout(self.drop(torch.stack(outputs, dim=1)))  # one read-out product for all steps

    def attention_weights(self, memory: SourceMemory, state: DecoderState, target_in: torch.Tensor) -> torch.Tensor:
        """Where the decoder looks for each word it is fed (teacher forcing, ``target_in [B, T]``):
        ``[B, T, S]``. Needs attention."""
        if self.attention is None:
            raise ValueError("a decoder without attention has no attention weights")
        weights = []
        for t in range(target_in.shape[1]):
            _, state, w = self.advance(target_in[:, t], state, memory)
            weights.append(w)
        return torch.stack(weights, dim=1)


def summed_loss(logits: torch.Tensor, target_out: torch.Tensor) -> tuple[torch.Tensor, int]:
    """``(summed cross-entropy over the target tokens, their number)``; padding (``PAD``) is not counted."""
    loss = F.cross_entropy(logits.flatten(0, 1), target_out.flatten(), ignore_index=PAD, reduction="sum")
    return loss, int((target_out != PAD).sum())
