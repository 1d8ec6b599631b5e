"""End-to-end memory network (Sukhbaatar, Szlam, Weston & Fergus 2015, "End-To-End Memory
Networks", arXiv:1503.08895), as the authors' bAbI code configures it (facebook/MemNN
``MemN2N-babi-matlab/config_babi.m``): K = 3 hops, position encoding, temporal encoding, adjacent
weight tying, d = 20 (50 joint), M = 50 memory slots.

A story's sentences x_1 … x_n (the last M, oldest first) are written to memory; the question q is
read into the first controller state u¹. Hop k = 1 … K:

    m_i = Σ_j l_j ⊙ A^k x_ij + T_A^k(t_i)        input memory      [B, M, d]
    c_i = Σ_j l_j ⊙ C^k x_ij + T_C^k(t_i)        output memory     [B, M, d]
    p_i = exp(u^kᵀ m_i) / (Σ_j exp(u^kᵀ m_j) + M − n)   attention  [B, M]  (linear start: p_i = u^kᵀ m_i)
    o^k = Σ_i p_i c_i                            read-out          [B, d]
    u^{k+1} = u^k + o^k
    â = softmax(W u^{K+1})                       the answer        [B, V]

with u¹ = Σ_j l_j ⊙ B q_j. Adjacent weight tying (the paper's section 2.2): A^{k+1} = C^k (and
T_A^{k+1} = T_C^k), B = A¹ and W = C^Kᵀ, so K hops hold K + 1 word tables E_0 … E_K [V, d] (A^k = E_{k-1},
C^k = E_k) and K + 1 time tables [M, d].

Position encoding: the paper writes l_kj = (1 − j/J) − (k/d)(1 − 2j/J) with J the sentence's own
length; the authors' code (whose numbers recur is measured against) uses, for word j of J and
dimension k of d (both from 1),

    l_jk = 1 + 4 (k − (d + 1)/2)(j − (J + 1)/2) / (d J)

with J fixed to the longest sentence of the training data; recur does the same.

The attention's softmax runs over all M slots, as in the authors' code, where the M − n empty ones
hold zero vectors (score 0, each adding e⁰ = 1 to the denominator): a hop can read almost nothing.
This matters: with the empty slots left out (``--no-null-attention``), tasks 4 and 6 end near 14 % and
21 % test error instead of the authors' 4.4 % and 7.9 % (docs/memory.md).

Temporal encoding: t_i counts back from the question (0: the most recent sentence). The authors add
random time noise in training (``time_indices``): a few empty slots are drawn among the story's,
so the model cannot rely on exact distances. Ids 0 (padding) and 1 (an unknown word) read as no
word: their embedding is zero. Every weight starts N(0, 0.1²), as in the authors' code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

NO_WORD = 2  # ids below this (padding, the unknown word) contribute nothing


@dataclass(frozen=True, kw_only=True)
class MemN2NConfig:
    vocab_size: int = field(metadata={"flag": False, "at_least": NO_WORD + 1})  # from the data
    sentence_words: int = field(metadata={"flag": False, "at_least": 1})  # J: the longest training sentence
    hops: int = field(default=3, metadata={"help": "memory hops (K)", "at_least": 1, "at_most": 10})
    dim: int = field(default=20, metadata={"help": "embedding size d", "default_text": "20; 50 with --task-id all",
                                           "at_least": 1, "at_most": 4096})
    memory_slots: int = field(default=50, metadata={"help": "the most recent sentences kept in memory (M)",
                                                    "at_least": 1, "at_most": 10000})
    position_encoding: bool = field(default=True, metadata={"help": "weigh words by position (else bag of words)"})
    temporal: bool = field(default=True, metadata={"help": "add a learned embedding of each sentence's age"})
    null_attention: bool = field(default=True, metadata={
        "help": "the softmax also counts the memory's empty slots (score 0), as the authors' code does"})


@dataclass
class StoryBatch:
    """Questions with their stories, as ids (0 = padding)."""
    story: torch.Tensor  # [B, M, J]: slot i holds the story's i-th kept sentence, oldest first
    times: torch.Tensor  # [B, M]: each slot's age t_i (0 = the most recent sentence)
    slots: torch.Tensor  # [B]: sentences in each story (<= M)
    question: torch.Tensor  # [B, J]

    def as_sequence(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(ids [B, T], lengths [B])``: the story's words then the question's, padding squeezed out
        (what an LSTM reading story and question as one sequence sees)."""
        ids = torch.cat([self.story.flatten(1), self.question], dim=1)  # [B, M*J + J], padding interleaved
        order = torch.argsort((ids == 0).to(torch.int8), dim=1, stable=True)  # words first, in reading order
        ids = ids.gather(1, order)
        lengths = (ids != 0).sum(1)
        return ids[:, : int(lengths.max())].long(), lengths


@dataclass
class MemN2NOutput:
    logits: torch.Tensor  # [B, V]
    attention: torch.Tensor  # [K, B, M]: p_i of each hop


def position_encoding(words: int, dim: int) -> torch.Tensor:
    """``l [J, d]``: l_jk = 1 + 4 (k − (d+1)/2)(j − (J+1)/2) / (d J), j and k from 1."""
    j = torch.arange(1, words + 1, dtype=torch.float64)[:, None]
    k = torch.arange(1, dim + 1, dtype=torch.float64)[None, :]
    return 1 + 4 * (k - (dim + 1) / 2) * (j - (words + 1) / 2) / (dim * words)


def time_indices(count: int, slots: int, noise: float = 0.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """Ages ``[count]`` of a story's sentences, oldest first: count−1, …, 1, 0 without noise. With
    ``noise`` (the authors' 0.1), b ~ U{0 … ⌈noise·count⌉ − 1} blank slots are mixed in: the ages are
    ``count`` distinct draws from {0 … count + b − 1}, sorted decreasing and capped at ``slots − 1``."""
    if noise <= 0:
        return torch.arange(count - 1, -1, -1)
    blanks = int(torch.randint(max(1, math.ceil(count * noise)), (), generator=generator))
    drawn = torch.randperm(count + blanks, generator=generator)[:count]
    return drawn.sort(descending=True).values.clamp(max=slots - 1)


def attention_weights(scores: torch.Tensor, filled: torch.Tensor, empty: torch.Tensor) -> torch.Tensor:
    """p_i = exp(s_i) / (Σ_j exp(s_j) + e) over the filled slots (0 elsewhere): ``scores`` and
    ``filled`` ``[B, M]``, ``e`` ``[B]`` empty slots of score 0 that share the softmax."""
    total = scores.masked_fill(~filled, -1e30).logsumexp(-1)  # log Σ_j exp(s_j)  [B]
    total = torch.logaddexp(total, empty.to(scores.dtype).log())  # + e (log 0 = -inf adds nothing)
    return (scores - total.unsqueeze(-1)).exp() * filled


class MemN2N(nn.Module):
    """forward(StoryBatch) -> MemN2NOutput(logits [B, V], attention [K, B, M])."""

    def __init__(self, config: MemN2NConfig, init_std: float = 0.1):
        super().__init__()
        self.config = config
        K, V, M, d = config.hops, config.vocab_size, config.memory_slots, config.dim
        self.words = nn.ParameterList(nn.Parameter(init_std * torch.randn(V, d)) for _ in range(K + 1))  # E_0..E_K
        self.times = nn.ParameterList(nn.Parameter(init_std * torch.randn(M, d)) for _ in range(K + 1))
        encoding = position_encoding(config.sentence_words, d) if config.position_encoding \
            else torch.ones(config.sentence_words, d, dtype=torch.float64)
        self.register_buffer("encoding", encoding.to(torch.get_default_dtype()))  # l [J, d]
        # linear start (section 4.2): no softmax in the hops until the task puts it back; a buffer, so a
        # checkpoint made during that phase is read the way it was trained
        self.register_buffer("linear", torch.tensor(False))

    def hop_tables(self, hop: int) -> tuple[nn.Parameter, nn.Parameter, nn.Parameter, nn.Parameter]:
        """``(A, C, T_A, T_C)`` of hop ``hop`` (from 0): adjacent tying makes A^{k+1} the C^k before it."""
        return self.words[hop], self.words[hop + 1], self.times[hop], self.times[hop + 1]

    def sentences(self, ids: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
        """Σ_j l_j ⊙ E x_j over the last axis of ``ids [..., J]`` -> ``[..., d]``."""
        embedded = nn.functional.embedding(ids, table) * (ids >= NO_WORD).unsqueeze(-1)  # [..., J, d]
        return (embedded * self.encoding[: ids.shape[-1]]).sum(-2)

    def forward(self, batch: StoryBatch) -> MemN2NOutput:
        M = batch.story.shape[1]
        filled = torch.arange(M, device=batch.story.device)[None, :] < batch.slots[:, None]  # [B, M]
        # the batch is cut to its longest story; the model's other slots are empty too
        empty = (self.config.memory_slots - batch.slots).clamp(min=0) if self.config.null_attention \
            else torch.zeros_like(batch.slots)
        # each table's memory is built once: hop k's output memory is hop k+1's input memory
        memories = [self.sentences(batch.story, self.words[k])
                    + (self.times[k][batch.times] if self.config.temporal else 0) * filled.unsqueeze(-1)
                    for k in range(self.config.hops + 1)]  # K+1 of [B, M, d]
        u = self.sentences(batch.question, self.words[0])  # u¹ = B q, B = A¹  [B, d]
        attention = []
        for k in range(self.config.hops):
            scores = (memories[k] @ u.unsqueeze(-1)).squeeze(-1)  # u^kᵀ m_i  [B, M]
            if bool(self.linear):
                p = scores * filled
            else:
                p = attention_weights(scores, filled, empty)
            u = u + (p.unsqueeze(-1) * memories[k + 1]).sum(1)  # u^{k+1} = u^k + Σ_i p_i c_i
            attention.append(p)
        return MemN2NOutput(u @ self.words[-1].T, torch.stack(attention))  # W = C^Kᵀ: [B, V]
