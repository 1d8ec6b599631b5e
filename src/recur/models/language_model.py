"""Language model: embedding -> Recurrent -> linear read-out over the vocabulary.

Seed 003's recurrent network with a softmax read-out,

    c_t = cell(U x_t, c_{t-1}),   y_t = softmax(a + V c_t),

where x_t is a one-hot character; ``nn.Embedding`` is the same as multiplying by a one-hot
(seed 003's U·x_{t=4} picks column 4 of U) without the wasted multiply-adds. With ``tie_weights``
the read-out is the embedding itself, V = U (Press & Wolf 2017; Inan et al. 2017): one [V, H]
matrix fewer to learn, which helps word models most.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import nn

from recur.errors import RecurError, require_positive
from recur.recurrent import Recurrent


@dataclass(frozen=True)
class LanguageModelConfig:
    vocab_size: int
    cell: str = "lstm"
    hidden: int = 256
    layers: int = 2
    embedding: int = 64
    dropout: float = 0.0
    recurrent_dropout: float = 0.0
    cell_options: dict = field(default_factory=dict)  # e.g. {"periods": [1, 2, 4]} for clockwork
    tie_weights: bool = False  # the read-out V shares the embedding U (Press & Wolf 2017); embedding = hidden


class LanguageModel(nn.Module):
    """forward(ids [B, T], state=None) -> (logits [B, T, V], state)."""

    def __init__(self, config: LanguageModelConfig):
        super().__init__()
        for name in ("vocab_size", "hidden", "layers", "embedding"):
            require_positive(name.replace("_", " "), getattr(config, name))
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.embedding)
        self.rnn = Recurrent(config.cell, config.embedding, config.hidden, config.layers, config.dropout,
                             recurrent_dropout=config.recurrent_dropout, **config.cell_options)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden, config.vocab_size)
        if config.tie_weights:
            if config.embedding != config.hidden:
                raise RecurError(f"tied weights need the embedding size to equal the hidden size, "
                                 f"got {config.embedding} and {config.hidden}")
            self.head.weight = self.embed.weight  # one [V, H] matrix: rows embed tokens and score them
    def forward(self, ids, state=None):
        x = self.drop(self.embed(ids))  # [B, T, E]
        out, state = self.rnn(x, state)  # [B, T, H]
        return self.head(self.drop(out)), state
