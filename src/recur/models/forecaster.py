"""Multi-step forecaster (seeds 001 and 002's "many to many", read as one encoder and a direct
multi-step head): a recurrent encoder reads a window of the past, and a linear head maps its final
state to the whole horizon at once.

    x̃_t = (x_t − μ) / σ                 per window and channel: μ, σ of the L input steps
                                        (instance normalisation, Kim et al. 2022's RevIN without its affine part)
    h_L = Recurrent(x̃_1 … x̃_L)          final state of the last layer
    ŷ_{L+1 … L+H} = (W h_L + b) · σ + μ  reshaped to [H, C]

The window normalisation lets one network serve a series whose level drifts (airline passengers
grow sevenfold) and is switched off with ``window_norm=False``. Dropout falls between layers and
before the head.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from recur.errors import require_positive
from recur.recurrent import Recurrent

STD_FLOOR = 1e-5  # a flat window has σ = 0; dividing by this floor keeps it finite


@dataclass(frozen=True)
class ForecasterConfig:
    channels: int = 1
    horizon: int = 24
    cell: str = "lstm"
    hidden: int = 64
    layers: int = 1
    dropout: float = 0.0
    recurrent_dropout: float = 0.0
    window_norm: bool = True
    cell_options: dict = field(default_factory=dict)


class SequenceForecaster(nn.Module):
    """forward(window [B, L, C]) -> forecast [B, H, C]."""

    def __init__(self, config: ForecasterConfig):
        super().__init__()
        for name in ("channels", "horizon", "hidden", "layers"):
            require_positive(name, getattr(config, name))
        self.config = config
        self.rnn = Recurrent(config.cell, config.channels, config.hidden, config.layers, config.dropout,
                             recurrent_dropout=config.recurrent_dropout, **config.cell_options)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(self.rnn.output_size, config.horizon * config.channels)

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        if self.config.window_norm:
            mean = window.mean(dim=1, keepdim=True)
            std = window.std(dim=1, keepdim=True, unbiased=False).clamp_min(STD_FLOOR)
            window = (window - mean) / std
        _, state = self.rnn(window)
        out = self.head(self.drop(state.h[-1])).view(-1, self.config.horizon, self.config.channels)
        return out * std + mean if self.config.window_norm else out
