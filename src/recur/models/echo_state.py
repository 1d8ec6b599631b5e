"""Echo state network: a fixed reservoir and a linear read-out fitted in closed form (Jaeger 2001).

    h_t = reservoir(x_t, h_{t-1})                      (``recur.cells.esn``, never trained)
    y_t = W_out [h_t; x_t] + b_out                     (read-out, the only trained part)

``fit`` solves the read-out by ridge regression over all steps after a washout (the first steps,
while the state still remembers its arbitrary start):

    W = (Sᵀ S + λ I)⁻¹ Sᵀ Y,    S = rows [h_t, x_t, 1],  Y = rows y_t,  λ = ``ridge``

(the bias column is not penalised; ``recur.models.ridge``). No gradient descent: one linear solve. ``forward`` maps an
input sequence to outputs like any recur model, so the network drops in wherever a forecaster
does; ``generate`` runs it closed-loop, feeding each prediction back as the next input.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from recur.errors import RecurError, require_positive
from recur.models.ridge import ridge_fit
from recur.recurrent import Recurrent


@dataclass(frozen=True)
class EchoStateConfig:
    input_size: int
    output_size: int
    reservoir: int = 500
    spectral_radius: float = 0.9
    leak: float = 1.0
    input_scaling: float = 1.0
    bias_scaling: float = 0.2
    density: float = 0.1
    ridge: float = 1e-8
    washout: int = 100
    seed: int | None = 0


class EchoStateNetwork(nn.Module):
    """forward(x [B, T, D], state=None) -> (y [B, T, O], state)."""

    def __init__(self, config: EchoStateConfig):
        super().__init__()
        for name in ("input_size", "output_size", "reservoir"):
            require_positive(name.replace("_", " "), getattr(config, name))
        if config.ridge < 0 or config.washout < 0:
            raise RecurError("ridge and washout must be non-negative")
        self.config = config
        options = {k: v for k, v in asdict(config).items()
                   if k in ("spectral_radius", "leak", "input_scaling", "bias_scaling", "density", "seed")}
        self.reservoir = Recurrent("esn", config.input_size, config.reservoir, **options)
        self.readout = nn.Linear(config.reservoir + config.input_size, config.output_size)

    def features(self, x: torch.Tensor, state=None):
        """``[h_t; x_t]`` for every step: ``[B, T, N + D]``, and the reservoir's final state."""
        h, state = self.reservoir(x, state)
        return torch.cat([h, x], dim=-1), state

    def forward(self, x: torch.Tensor, state=None):
        features, state = self.features(x, state)
        return self.readout(features), state

    @torch.no_grad()
    def fit(self, x: torch.Tensor, y: torch.Tensor, washout: int | None = None) -> float:
        """Fit the read-out to map ``x [B, T, D]`` to ``y [B, T, O]``; returns the training NRMSE."""
        washout = self.config.washout if washout is None else washout
        if x.dim() != 3 or y.shape[:2] != x.shape[:2] or y.shape[-1] != self.config.output_size:
            raise RecurError(f"fit needs x [B, T, {self.config.input_size}] and y [B, T, {self.config.output_size}], "
                             f"got {list(x.shape)} and {list(y.shape)}")
        if x.shape[1] <= washout:
            raise RecurError(f"sequence of {x.shape[1]} steps is no longer than the washout of {washout}")
        features, _ = self.features(x)
        S = features[:, washout:].reshape(-1, features.shape[-1])
        Y = y[:, washout:].reshape(-1, y.shape[-1])
        weight, bias = ridge_fit(S, Y, self.config.ridge)
        self.readout.weight.copy_(weight)
        self.readout.bias.copy_(bias)
        return nrmse(S.double() @ weight.T + bias, Y.double())

    @torch.no_grad()
    def generate(self, warmup: torch.Tensor, steps: int) -> torch.Tensor:
        """Drive with ``warmup [B, T, D]``, then run ``steps`` more feeding each output back as the
        next input (needs output size = input size). Returns the generated ``[B, steps, D]``."""
        if self.config.output_size != self.config.input_size:
            raise RecurError("closed-loop generation needs output size equal to input size")
        y, state = self(warmup)
        nxt, out = y[:, -1:], []
        for _ in range(steps):
            out.append(nxt)
            nxt, state = self(nxt, state)
        return torch.cat(out, dim=1)


def nrmse(prediction: torch.Tensor, target: torch.Tensor) -> float:
    """Root-mean-square error over the target's standard deviation (0 = perfect, 1 = predicting the mean)."""
    error = (prediction.detach() - target) ** 2
    return float(error.mean().sqrt() / target.std())
