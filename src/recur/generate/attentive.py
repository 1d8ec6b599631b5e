"""Decoding any attentive decoder (``recur.models.attentive_decoder``: the translator's, the
captioner's) from its memory and start state: greedy or beam search, batched, with the attention of
each output word when asked.

Greedy takes ``argmax p(y_t | y_<t, x)`` at each step; beam search keeps ``W`` hypotheses per input
through the one search of ``recur.generate.beam`` (GNMT length normalisation, α). Either stops an
output at ``</s>`` or at its own length limit, so that an input decodes the same alone or in a batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from recur.data.subwords import BOS, EOS, PAD
from recur.generate.beam import check_beam, search_rows
from recur.models.attentive_decoder import AttentiveDecoder, DecoderState, SourceMemory
from recur.modes import evaluation_mode


@dataclass
class Decoded:
    """Output ids per input (no specials) and, when asked for, each one's attention
    ``[output words + 1 (</s>), memory positions]`` (None without attention)."""
    ids: list[list[int]]
    attention: list[torch.Tensor | None] = field(default_factory=list)


@torch.no_grad()
def decode(model: AttentiveDecoder, memory: SourceMemory, state: DecoderState, limits: list[int], beam: int = 1,
           alpha: float = 0.6, with_attention: bool = False) -> Decoded:
    """The outputs of a batch (at most ``limits[b]`` words each): greedy with ``beam`` 1, else beam
    search of that width. ``with_attention`` also returns where each output word looked."""
    check_beam(beam, alpha)
    with evaluation_mode(model):
        if beam == 1:
            ids, weights = greedy(model, memory, state, limits)
            if with_attention and weights is not None:
                sizes = memory.mask.sum(-1).tolist()
                return Decoded(ids, [weights[b, :len(ids[b]) + 1, :sizes[b]].cpu() for b in range(len(ids))])
        else:
            ids = beam_ids(model, memory, state, beam, alpha, limits)
            if with_attention:
                return Decoded(ids, forced_attention(model, memory, state, ids))
        return Decoded(ids, [None] * len(ids) if with_attention else [])


def greedy(model: AttentiveDecoder, memory: SourceMemory, state: DecoderState, limits: list[int] | int):
    """``(ids per input, weights [B, T, S] or None)``: the most likely word at every step."""
    B, device = memory.keys.shape[0], memory.keys.device
    limits = [limits] * B if isinstance(limits, int) else list(limits)
    longest, limits = max(limits, default=0), torch.as_tensor(limits, dtype=torch.long, device=device)
    tokens = torch.full((B,), BOS, dtype=torch.long, device=device)
    done = limits <= 0
    out, weights = [], []
    for t in range(1, longest + 1):
        logits, state, w = model.step(tokens, state, memory)
        tokens = logits.argmax(-1)
        out.append(torch.where(done, torch.full_like(tokens, PAD), tokens))  # nothing after an output's end
        weights.append(w)
        done |= (tokens == EOS) | (limits <= t)
        if done.all():
            break
    if not out:
        return [[] for _ in range(B)], None
    ids = [[i for i in row if i not in (EOS, PAD)] for row in torch.stack(out, 1).tolist()]
    return ids, None if weights[0] is None else torch.stack(weights, 1)


class _BeamRows:
    """The decoder as a row stepper for ``search_rows``: rows ``g·W + k`` share input g's memory."""

    def __init__(self, model: AttentiveDecoder, memory: SourceMemory, state: DecoderState):
        self.model, self.memory, self.state = model, memory, state

    def __call__(self, tokens: torch.Tensor) -> torch.Tensor:
        logits, self.state, _ = self.model.step(tokens.to(self.memory.keys.device), self.state, self.memory)
        return logits.float().cpu()

    def reorder(self, rows: torch.Tensor) -> None:
        self.state = self.state.rows(rows.to(self.memory.keys.device))  # rows stay within their input


def beam_ids(model: AttentiveDecoder, memory: SourceMemory, state: DecoderState, width: int, alpha: float,
             limits: list[int] | int) -> list[list[int]]:
    B = memory.keys.shape[0]
    each = torch.arange(B, device=memory.keys.device).repeat_interleave(width)  # [B·W]: row -> its input
    stepper = _BeamRows(model, memory.rows(each), state.rows(each))
    first = stepper(torch.full((B * width,), BOS, dtype=torch.long))
    best = search_rows(stepper, first, B, width, limits, alpha, EOS)
    return [[i for i in seq if i != EOS] for seq in best]


def forced_attention(model: AttentiveDecoder, memory: SourceMemory, state: DecoderState,
                     ids: list[list[int]]) -> list[torch.Tensor | None]:
    """The attention of the decoder fed ``ids`` (then ``</s>``) as its outputs, per input:
    ``[len + 1, memory positions]``, or None for a model without attention."""
    attention = []
    for b, sequence in enumerate(ids):
        row = torch.tensor([b], device=memory.keys.device)
        one, st = memory.rows(row), state.rows(row)
        weights, previous = [], BOS
        for token in (*sequence, EOS):
            _, st, w = model.step(torch.tensor([previous], device=row.device), st, one)
            weights.append(w)
            previous = token
        attention.append(None if weights[0] is None else torch.cat(weights)[:, :int(one.mask.sum())].cpu())
    return attention


__all__ = ["Decoded", "beam_ids", "decode", "forced_attention", "greedy"]
