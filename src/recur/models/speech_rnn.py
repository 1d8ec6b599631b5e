"""Recurrent models over frames of speech features (``recur.data.audio_features``): one spoken digit
(many to one), or a string of digits transcribed by connectionist temporal classification (CTC,
Graves et al. 2006).

    o_1..T = Recurrent(x_1..T)                      x_t [D] a frame, o_t [dirs*H]; bidirectional by default
    digit:  p(y | x) = softmax(W z + b),  z = (1/T) Σ_t o_t            (``pool="mean"``, the default)
                                          z = [h_T^→ ; h_1^←]          (``pool="final"``: the final states)
    ctc:    p(k | t, x) = softmax(W o_t + b)_k,   k ∈ {blank = 0, digit d = d + 1}
            p(ℓ | x) = Σ_{π ∈ B⁻¹(ℓ)} Π_t p(π_t | t, x)  (B: merge repeats, then drop blanks; the sum is
            torch.nn.functional.ctc_loss's forward-backward recursion)

Dropout (``dropout``) falls between layers and on the read-out's input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from recur.models.encoder import EncoderConfig

DIGITS = 10
BLANK = 0  # CTC's blank; digit d is class d + 1
OUTPUTS = ("digit", "ctc")
POOLS = ("mean", "final")


@dataclass(frozen=True, kw_only=True)
class SpeechConfig(EncoderConfig):
    hidden: int = 128
    layers: int = 2
    dropout: float = 0.2
    output: str = field(default="digit", metadata={
        "choices": OUTPUTS, "help": "digit: one spoken digit per recording (many to one); ctc: strings of 2-7 "
                                    "digits, transcribed with CTC"})
    pool: str = field(default="mean", metadata={
        "choices": POOLS, "help": "digit: read out the mean of the last layer's outputs over the frames, or the "
                                  "final states (each direction at its end)"})
    bidirectional: bool = field(default=True, metadata={"help": "read each utterance in both directions"})
    input_size: int = field(default=40, metadata={"flag": False, "at_least": 1})  # the features' size, from the data


class SpeechRNN(nn.Module):
    """forward(frames [B, T, D], lengths [B]) -> digit logits [B, 10] or CTC log-probabilities [B, T, 11]."""

    def __init__(self, config: SpeechConfig):
        super().__init__()
        self.config = config
        self.rnn = config.build_encoder(config.input_size, config.bidirectional)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(self.rnn.output_size, DIGITS + (config.output == "ctc"))

    def forward(self, frames: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        out, state = self.rnn(frames, lengths=lengths)
        if self.config.output == "ctc":
            return self.head(self.drop(out)).log_softmax(-1)  # [B, T, dirs*H] -> [B, T, 11]
        if self.config.pool == "mean":
            inside = (torch.arange(out.shape[1], device=out.device)[None] < lengths.to(out.device)[:, None])
            z = (out * inside[..., None]).sum(1) / lengths.to(out.device)[:, None]  # [B, dirs*H], padding left out
        else:
            final = state.h[-self.rnn.directions:]  # [dirs, B, H]: the last layer, each direction at its end
            z = final.transpose(0, 1).flatten(1)  # [B, dirs*H]
        return self.head(self.drop(z))  # [B, 10]
