"""Attention over an encoder's outputs: where the decoder looks in the source for each word.

Keys ``h̄_s [B, S, K]`` are the encoder's outputs; a query ``q_t [B, T, Q]`` is the decoder's state
(T queries at once where they are known in advance, one per step otherwise). Each scores every
source position, the scores of padding are masked out, and the context is the weighted mean:

    a_t = softmax_s(score(q_t, h̄_s))          (positions past a source's length get weight 0)
    c_t = Σ_s a_ts h̄_s

Scores, as registered in ``ATTENTIONS``:

    bahdanau  score = vᵀ tanh(W q_t + U h̄_s)      additive (Bahdanau, Cho & Bengio 2015, eq. 6 / A.1.2)
    luong     score = q_tᵀ W h̄_s                   "general" (Luong, Pham & Manning 2015, eq. 8)
    dot       score = q_tᵀ h̄_s                     "dot" (Luong et al. 2015; needs Q = K)

``U h̄_s`` and ``W h̄_s`` depend only on the source, so ``prepare`` computes them once per sentence.
"""

from __future__ import annotations

import torch
from torch import nn

from recur.errors import RecurError


def attend(scores: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(context [B, T, K], weights [B, T, S])`` from ``scores [B, T, S]``, ``keys [B, S, K]`` and the
    source positions that hold a token, ``mask [B, S]``."""
    weights = torch.softmax(scores.masked_fill(~mask[:, None, :], float("-inf")), dim=-1)
    return torch.bmm(weights, keys), weights


class AdditiveAttention(nn.Module):
    """Bahdanau's score ``vᵀ tanh(W q + U h̄)`` with an attention layer of ``size`` units."""

    def __init__(self, query_size: int, key_size: int, size: int):
        super().__init__()
        self.query = nn.Linear(query_size, size, bias=False)  # W
        self.key = nn.Linear(key_size, size)  # U (its bias stands for the layer's)
        self.v = nn.Linear(size, 1, bias=False)

    def prepare(self, keys: torch.Tensor) -> torch.Tensor:
        return self.key(keys)  # U h̄ [B, S, A]

    def forward(self, query: torch.Tensor, prepared: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor):
        hidden = torch.tanh(self.query(query)[:, :, None, :] + prepared[:, None, :, :])  # [B, T, S, A]
        return attend(self.v(hidden).squeeze(-1), keys, mask)


class GeneralAttention(nn.Module):
    """Luong's "general" score ``qᵀ W h̄``."""

    def __init__(self, query_size: int, key_size: int, size: int):
        super().__init__()
        self.key = nn.Linear(key_size, query_size, bias=False)  # W, applied to the keys once

    def prepare(self, keys: torch.Tensor) -> torch.Tensor:
        return self.key(keys)  # W h̄ [B, S, Q]

    def forward(self, query: torch.Tensor, prepared: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor):
        return attend(torch.bmm(query, prepared.transpose(1, 2)), keys, mask)


class DotAttention(nn.Module):
    """Luong's "dot" score ``qᵀ h̄``: no parameters; query and keys must have one size."""

    def __init__(self, query_size: int, key_size: int, size: int):
        super().__init__()
        if query_size != key_size:
            raise RecurError(f"dot attention needs the decoder's size ({query_size}) to equal the encoder "
                             f"output's ({key_size}); a bidirectional encoder doubles it: use luong or bahdanau")

    def prepare(self, keys: torch.Tensor) -> torch.Tensor:
        return keys

    def forward(self, query: torch.Tensor, prepared: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor):
        return attend(torch.bmm(query, prepared.transpose(1, 2)), keys, mask)


ATTENTIONS = {"bahdanau": AdditiveAttention, "luong": GeneralAttention, "dot": DotAttention}
