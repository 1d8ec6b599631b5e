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

from recur.models.encoder import EncoderConfig


@dataclass(frozen=True, kw_only=True)
class ClassifierConfig(EncoderConfig):
    hidden: int = 150
    layers: int = 1
    dropout: float = 0.5
    vocab_size: int = field(metadata={"flag": False, "at_least": 1})  # from the data
    classes: int = field(default=2, metadata={"flag": False, "at_least": 2})
    embedding: int = field(default=300, metadata={"help": "embedding size (E)", "at_least": 1})
    bidirectional: bool = field(default=False, metadata={"help": "read each sentence in both directions"})


class SequenceClassifier(nn.Module):
    """forward(ids [B, T] (0 = padding), lengths [B]) -> logits [B, classes]."""

    def __init__(self, config: ClassifierConfig):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.embedding, padding_idx=0)
        self.rnn = config.build_encoder(config.embedding, config.bidirectional)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(self.rnn.output_size, config.classes)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        _, state = self.rnn(self.drop(self.embed(ids)), lengths=lengths)
        dirs = self.rnn.directions
        final = state.h[-dirs:]  # [dirs, B, H]: the last layer's directions, each at its sentence's end
        return self.head(self.drop(final.transpose(0, 1).flatten(1)))  # [B, dirs*H] -> [B, classes]
