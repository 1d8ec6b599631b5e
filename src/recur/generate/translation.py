"""Decoding an encoder-decoder (``recur.models.seq2seq``): greedy or beam search, batched over
sentences, with the attention of each output word when asked.

Greedy takes ``argmax p(y_t | y_<t, x)`` at each step; beam search keeps ``W`` hypotheses per
sentence through the one search of ``recur.generate.beam`` (GNMT length normalisation, α). Either
stops a sentence at ``</s>`` or after ``min(MAX_OUTPUT, 2·S + 10)`` subwords for the longest source S.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from recur.data.subwords import BOS, EOS, PAD
from recur.generate.beam import check_beam, search_rows
from recur.models.seq2seq import DecoderState, Seq2Seq, SourceMemory
from recur.modes import evaluation_mode

MAX_OUTPUT = 200  # the longest translation decoded, in subwords, whatever the source


@dataclass
class Translation:
    """Decoded target ids per sentence (no specials) and, when asked for, each one's attention
    ``[target words + 1 (</s>), source tokens]`` (None without attention)."""
    ids: list[list[int]]
    attention: list[torch.Tensor | None] = field(default_factory=list)


def output_limit(lengths: torch.Tensor) -> int:
    return min(MAX_OUTPUT, 2 * int(lengths.max()) + 10)


@torch.no_grad()
def translate(model: Seq2Seq, source: torch.Tensor, lengths: torch.Tensor, beam: int = 1, alpha: float = 0.6,
              with_attention: bool = False) -> Translation:
    """Target ids of each sentence of ``source [B, S]`` (``lengths [B]``): greedy with ``beam`` 1,
    else beam search of that width. ``with_attention`` also returns where each output word looked."""
    check_beam(beam, alpha)
    with evaluation_mode(model):
        memory, state = model.encode(source, lengths)
        if beam == 1:
            ids, weights = greedy(model, memory, state, output_limit(lengths))
            if with_attention and weights is not None:
                return Translation(ids, [weights[b, :len(ids[b]) + 1, :int(lengths[b])].cpu() for b in range(len(ids))])
        else:
            ids = beam_ids(model, memory, state, beam, alpha, output_limit(lengths))
            if with_attention:
                return Translation(ids, forced_attention(model, memory, state, ids))
        return Translation(ids, [None] * len(ids) if with_attention else [])


def greedy(model: Seq2Seq, memory: SourceMemory, state: DecoderState, limit: int):
    """``(ids per sentence, weights [B, T, S] or None)``: the most likely word at every step."""
    B = memory.keys.shape[0]
    tokens = torch.full((B,), BOS, dtype=torch.long, device=memory.keys.device)
    done = torch.zeros(B, dtype=torch.bool, device=memory.keys.device)
    out, weights = [], []
    for _ in range(limit):
        logits, state, w = model.step(tokens, state, memory)
        tokens = logits.argmax(-1)
        out.append(torch.where(done, torch.full_like(tokens, PAD), tokens))  # nothing after a sentence's </s>
        weights.append(w)
        done |= tokens == EOS
        if done.all():
            break
    ids = [[i for i in row if i not in (EOS, PAD)] for row in torch.stack(out, 1).tolist()]
    return ids, None if weights[0] is None else torch.stack(weights, 1)


class _BeamRows:
    """The decoder as a row stepper for ``search_rows``: rows ``g·W + k`` share sentence g's memory."""

    def __init__(self, model: Seq2Seq, memory: SourceMemory, state: DecoderState):
        self.model, self.memory, self.state = model, memory, state

    def __call__(self, tokens: torch.Tensor) -> torch.Tensor:
        logits, self.state, _ = self.model.step(tokens.to(self.memory.keys.device), self.state, self.memory)
        return logits.float().cpu()

    def reorder(self, rows: torch.Tensor) -> None:
        self.state = self.state.rows(rows.to(self.memory.keys.device))  # rows stay within their sentence


def beam_ids(model: Seq2Seq, memory: SourceMemory, state: DecoderState, width: int, alpha: float,
             limit: int) -> list[list[int]]:
    B = memory.keys.shape[0]
    each = torch.arange(B, device=memory.keys.device).repeat_interleave(width)  # [B·W]: row -> its sentence
    stepper = _BeamRows(model, memory.rows(each), state.rows(each))
    first = stepper(torch.full((B * width,), BOS, dtype=torch.long))
    best = search_rows(stepper, first, B, width, limit, alpha, EOS)
    return [[i for i in seq if i != EOS] for seq in best]


def forced_attention(model: Seq2Seq, memory: SourceMemory, state: DecoderState,
                     ids: list[list[int]]) -> list[torch.Tensor | None]:
    """The attention of the decoder fed ``ids`` (then ``</s>``) as its outputs, per sentence:
    ``[len + 1, source tokens]``, or None for a model without attention."""
    attention = []
    for b, sequence in enumerate(ids):
        row = torch.tensor([b], device=memory.keys.device)
        sentence, st = memory.rows(row), state.rows(row)
        weights, previous = [], BOS
        for token in (*sequence, EOS):
            _, st, w = model.step(torch.tensor([previous], device=row.device), st, sentence)
            weights.append(w)
            previous = token
        attention.append(None if weights[0] is None else torch.cat(weights)[:, :int(sentence.mask.sum())].cpu())
    return attention


__all__ = ["MAX_OUTPUT", "Translation", "translate"]
