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

from recur.errors import RecurError
from recur.models.encoder import EncoderConfig
from recur.models.memory import build_within_memory


@dataclass(frozen=True, kw_only=True)
class LanguageModelConfig(EncoderConfig):
    vocab_size: int = field(metadata={"flag": False, "at_least": 1})  # from the data
    embedding: int = field(default=64, metadata={"help": "embedding size (E)", "at_least": 1})
    tie_weights: bool = field(default=False, metadata={
        "help": "the read-out shares the embedding matrix (Press & Wolf 2017; needs --embedding equal to --hidden)"})

    def __post_init__(self):
        super().__post_init__()
        if self.tie_weights and self.embedding != self.hidden:
            raise RecurError(f"tied weights need the embedding size to equal the hidden size, "
                             f"got {self.embedding} and {self.hidden}")


class LanguageModel(nn.Module):
    """forward(ids [B, T], state=None) -> (logits [B, T, V], state)."""

    def __init__(self, config: LanguageModelConfig):
        super().__init__()
        self.config = config
        self.embed = build_within_memory(lambda: nn.Embedding(config.vocab_size, config.embedding),
                                         f"an embedding of {config.vocab_size} tokens × {config.embedding}")
        self.rnn = config.build_encoder(config.embedding)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden, config.vocab_size)
        if config.tie_weights:
            self.head.weight = self.embed.weight  # one [V, H] matrix: rows embed tokens and score them
    def forward(self, ids, state=None):
        x = self.drop(self.embed(ids))  # [B, T, E]
        out, state = self.rnn(x, state)  # [B, T, H]
        return self.head(self.drop(out)), state
