"""Decoding an encoder-decoder (``recur.models.seq2seq``) through the shared decoding of
``recur.generate.attentive``: each sentence stops at ``</s>`` or after ``min(MAX_OUTPUT, 2·S + 10)``
subwords for its source length S."""

from __future__ import annotations

import torch

from recur.generate.attentive import Decoded, decode
from recur.models.seq2seq import Seq2Seq
from recur.modes import evaluation_mode

MAX_OUTPUT = 200  # the longest translation decoded, in subwords, whatever the source


def output_limits(lengths: torch.Tensor) -> list[int]:
    return [min(MAX_OUTPUT, 2 * int(n) + 10) for n in lengths.tolist()]


@torch.no_grad()
def translate(model: Seq2Seq, source: torch.Tensor, lengths: torch.Tensor, beam: int = 1, alpha: float = 0.6,
              with_attention: bool = False) -> Decoded:
    """Target ids of each sentence of ``source [B, S]`` (``lengths [B]``): greedy with ``beam`` 1,
    else beam search of that width. ``with_attention`` also returns where each output word looked."""
    with evaluation_mode(model):
        memory, state = model.encode(source, lengths)
    return decode(model, memory, state, output_limits(lengths), beam, alpha, with_attention)


__all__ = ["MAX_OUTPUT", "output_limits", "translate"]
