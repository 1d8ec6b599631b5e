"""Multi-step forecaster (seeds 001 and 002's "many to many", read as one encoder and a direct
multi-step head): a recurrent encoder reads a window of the past, and a linear head maps its final
state to the whole horizon at once.

    x̃_t = (x_t − μ) / σ                 per window and channel: μ, σ of the L input steps
                                        (instance normalisation, Kim et al. 2022's RevIN without its affine part)
    h_L = Recurrent(x̃_1 … x̃_L)          final state of the last layer
    ŷ_{L+1 … L+H} = (W h_L + b) · σ + μ  reshaped to [H, C]

The window normalisation lets one network serve a series whose level drifts (airline passengers
grow sevenfold) and is switched off with ``window_norm=False``. Dropout falls between layers and
before the head. An encoder with nothing to train (the echo state network's reservoir) has its head
solved in closed form instead, by ``fit_head``: ridge regression from h_L to the normalised targets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from recur.models.encoder import EncoderConfig
from recur.models.ridge import ridge_fit

STD_FLOOR = 1e-5  # a flat window has σ = 0; dividing by this floor keeps it finite


@dataclass(frozen=True, kw_only=True)
class ForecasterConfig(EncoderConfig):
    hidden: int = 64
    layers: int = 1
    channels: int = field(default=1, metadata={"flag": False, "at_least": 1})  # from the data
    horizon: int = field(default=24, metadata={"flag": False, "at_least": 1})  # from the data config
    window_norm: bool = field(default=True, metadata={
        "help": "z-score each input window by its own mean and deviation (RevIN without the affine part)"})
    ridge: float = field(default=10.0, metadata={
        "help": "the closed-form head's penalty λ, for encoders with nothing to train (esn)", "at_least": 0})


class SequenceForecaster(nn.Module):
    """forward(window [B, L, C]) -> forecast [B, H, C]."""

    def __init__(self, config: ForecasterConfig):
        super().__init__()
        self.config = config
        self.rnn = config.build_encoder(config.channels)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(self.rnn.output_size, config.horizon * config.channels)

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        mean, std = self._window_scale(window)
        _, state = self.rnn((window - mean) / std)
        out = self.head(self.drop(state.h[-1])).view(-1, self.config.horizon, self.config.channels)
        return out * std + mean

    def _window_scale(self, window: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(μ, σ)`` of each window and column ``[B, 1, C]``; (0, 1) without window normalisation."""
        if not self.config.window_norm:
            return window.new_zeros(()), window.new_ones(())
        return (window.mean(dim=1, keepdim=True),
                window.std(dim=1, keepdim=True, unbiased=False).clamp_min(STD_FLOOR))

    @torch.no_grad()
    def fit_head(self, windows: torch.Tensor, targets: torch.Tensor, batch: int = 512) -> None:
        """Solve the head in closed form: ridge regression (λ = ``config.ridge``) from the encoder's
        final states to the window-normalised targets. This is how an encoder with nothing to train,
        the echo state network's reservoir, is trained (Jaeger 2001)."""
        states, goals = [], []
        for start in range(0, len(windows), batch):
            window, target = windows[start : start + batch], targets[start : start + batch]
            mean, std = self._window_scale(window)
            _, state = self.rnn((window - mean) / std)
            states.append(state.h[-1])
            goals.append(((target - mean) / std).flatten(1))
        weight, bias = ridge_fit(torch.cat(states), torch.cat(goals), self.config.ridge)
        self.head.weight.copy_(weight)
        self.head.bias.copy_(bias)
