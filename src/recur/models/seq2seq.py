"""Encoder-decoder translation: one RNN reads the source sentence, another writes the target, looking
back at the source through attention (the decoder is ``recur.models.attentive_decoder``, shared
with the captioner).

Encoder (any recur cell, any depth, optionally bidirectional; Sutskever, Vinyals & Le 2014 read the
source reversed, ``reverse_source`` in the task):

    h̄_1..h̄_S, state = Encoder(E_src x_1..x_S)           h̄_s [K], K = dirs·H
    s_0 = tanh(W_b [→h_S ; ←h_1])  per layer and state field (the "bridge"; Bahdanau et al. 2015, A.2.2)

The decoder attends to h̄ (``attention`` bahdanau, luong, dot) or not at all (none: Sutskever's
model, the source only in s_0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from recur.cells import CELLS
from recur.checks import check_config
from recur.data.subwords import PAD
from recur.models.attentive_decoder import (ATTENTION_CHOICES, BRIDGED, AttentiveDecoder, DecoderConfig,
                                            DecoderState, SourceMemory, summed_loss)
from recur.state import state_fields

__all__ = ["ATTENTION_CHOICES", "DecoderState", "Seq2Seq", "Seq2SeqConfig", "SourceMemory"]


@dataclass(frozen=True, kw_only=True)
class Seq2SeqConfig(DecoderConfig):
    source_vocab: int = field(default=8000, metadata={"flag": False, "at_least": 5})
    cell: str = field(default="gru", metadata={"choices": tuple(CELLS), "help": "the recurrent cell"})
    hidden: int = field(default=256, metadata={"help": "units per layer and direction (H)", "at_least": 1})
    layers: int = field(default=1, metadata={"help": "stacked layers of the encoder and of the decoder",
                                             "at_least": 1})
    dropout: float = field(default=0.2, metadata={"help": "dropout on embeddings, between layers and before the "
                                                          "read-out", "at_least": 0, "below": 1})
    embedding: int = field(default=256, metadata={"help": "word-embedding size of both languages", "at_least": 1})
    bidirectional: bool = field(default=True, metadata={"help": "a bidirectional encoder"})

    def __post_init__(self):
        check_config(self)
        super().__post_init__()

    @property
    def key_size(self) -> int:
        return self.hidden * (2 if self.bidirectional else 1)


class Seq2Seq(AttentiveDecoder):
    def __init__(self, config: Seq2SeqConfig):
        super().__init__()
        self.source_embedding = nn.Embedding(config.source_vocab, config.embedding, padding_idx=PAD)
        self.encoder = config.build_encoder(config.embedding, bidirectional=config.bidirectional)
        self.build_decoder(config, summary_size=config.key_size)

    def encode(self, source: torch.Tensor, lengths: torch.Tensor) -> tuple[SourceMemory, DecoderState]:
        """``source [B, S]`` (padded with ``PAD``) of ``lengths [B]`` -> the memory and s_0."""
        keys, final = self.encoder(self.drop(self.source_embedding(source)), lengths=lengths)
        mask = torch.arange(source.shape[1], device=source.device)[None, :] < lengths.to(source.device)[:, None]
        return self.memory(keys, mask), self.initial_state(final, source.shape[0], keys)

    def initial_state(self, final, batch: int, like: torch.Tensor) -> DecoderState:
        """s_0 = tanh(W_b [→h ; ←h]) for each layer, for h and (LSTMs) c."""
        layers, dirs, H = self.config.layers, 2 if self.config.bidirectional else 1, self.config.hidden
        summaries = {name: value.view(layers, dirs, batch, H).permute(0, 2, 1, 3).reshape(layers, batch, dirs * H)
                     for name, value in state_fields(final).items() if name in BRIDGED}  # [layers, B, dirs·H]
        return self.bridged_state(summaries, batch, like)

    def forward(self, source: torch.Tensor, lengths: torch.Tensor, target_in: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: logits ``[B, T, V]`` of each next target token given ``target_in [B, T]``
        (``<s>`` y_1 .. y_{T-1})."""
        memory, state = self.encode(source, lengths)
        return self.teacher_forced(memory, state, target_in)

    def loss(self, source, lengths, target_in, target_out) -> tuple[torch.Tensor, int]:
        """``(summed cross-entropy over the target tokens, their number)``; padding (``PAD``) is not counted."""
        return summed_loss(self(source, lengths, target_in), target_out)
