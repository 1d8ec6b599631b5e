"""Sequence classifier ("many to one", seeds 001 and 004): embedding -> Recurrent -> the final
state -> a linear read-out over the classes.

    h_T = final state of the last layer at each sentence's true end (padding is never read);
    bidirectional: [h_T^→ ; h_1^←], the forward state at the end and the backward state at the start
    p(y | x) = softmax(W [h] + b)

Dropout (``dropout``) falls on the embeddings, between layers and before the read-out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from recur.errors import require_positive
from recur.recurrent import Recurrent


@dataclass(frozen=True)
class ClassifierConfig:
    vocab_size: int
    classes: int = 2
    cell: str = "lstm"
    hidden: int = 150
    layers: int = 1
    embedding: int = 300
    dropout: float = 0.5
    recurrent_dropout: float = 0.0
    bidirectional: bool = False
    cell_options: dict = field(default_factory=dict)


class SequenceClassifier(nn.Module):
    """forward(ids [B, T] (0 = padding), lengths [B]) -> logits [B, classes]."""

    def __init__(self, config: ClassifierConfig):
        super().__init__()
        for name in ("vocab_size", "classes", "hidden", "layers", "embedding"):
            require_positive(name.replace("_", " "), getattr(config, name))
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.embedding, padding_idx=0)
        self.rnn = Recurrent(config.cell, config.embedding, config.hidden, config.layers, config.dropout,
                             bidirectional=config.bidirectional, recurrent_dropout=config.recurrent_dropout,
                             **config.cell_options)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(self.rnn.output_size, config.classes)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        _, state = self.rnn(self.drop(self.embed(ids)), lengths=lengths)
        dirs = self.rnn.directions
        final = state.h[-dirs:]  # [dirs, B, H]: the last layer's directions, each at its sentence's end
        return self.head(self.drop(final.transpose(0, 1).flatten(1)))  # [B, dirs*H] -> [B, classes]
