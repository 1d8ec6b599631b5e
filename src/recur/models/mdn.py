"""A mixture density network over pen strokes: Graves, "Generating Sequences With Recurrent Neural
Networks", arXiv:1308.0850 (2013), section 4 (eqs 15–26).

Each point ``x_t = (Δx, Δy, lifted)`` is predicted from what came before. The network's output at
step t, ``ŷ_t = b_y + W_y h_t``, holds a pen logit ``ê`` and, for each of M components, ``π̂_j``,
``μ̂_j ∈ R²``, ``σ̂_j ∈ R²`` and ``ρ̂_j``:

    e = σ(ê)                              p(lifted) (Graves writes 1/(1 + exp(ê)): the same, ê negated)
    π_j = exp(π̂_j) / Σ_k exp(π̂_k)        mixture weights
    μ_j = μ̂_j,   σ_j = exp(σ̂_j) + σ_min,   ρ_j = (1 − ε) tanh(ρ̂_j)
    N(x | μ, σ, ρ) = exp(−Z / (2(1 − ρ²))) / (2π σ₁ σ₂ √(1 − ρ²))
    Z = (x₁ − μ₁)²/σ₁² + (x₂ − μ₂)²/σ₂² − 2ρ(x₁ − μ₁)(x₂ − μ₂)/(σ₁σ₂)
    −log p(x_{t+1} | ŷ_t) = −log Σ_j π_j N(Δ_{t+1} | μ_j, σ_j, ρ_j) − log(e if lifted else 1 − e)

(``σ_min`` and ``ε`` keep a component from collapsing onto one repeated offset of the integer data:
the density stays finite.) Sampling with Graves' bias ``b ≥ 0`` (section 5.4) narrows the
components and favours the likeliest, for neater writing: ``σ_j = exp(σ̂_j − b)``, ``π ∝
exp(π̂ (1 + b))``; a temperature ``τ`` (Ha & Eck 2017) divides ``π̂`` and ``ê`` by ``τ`` and scales
each variance by ``τ``.

What the mixture is conditioned on (``--memory``): ``rnn`` the recurrent state after every point so
far (the model); ``previous`` the point before only, through one tanh layer; ``none`` nothing (one
mixture for every point). The last two are the yardsticks a model with memory must beat.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from recur.models.encoder import EncoderConfig

MEMORIES = ("rnn", "previous", "none")
SIGMA_MIN, RHO_MAX = 1e-3, 1 - 1e-5
POINT = 3  # Δx, Δy, lifted


@dataclass(frozen=True, kw_only=True)
class StrokeConfig(EncoderConfig):
    hidden: int = 256
    layers: int = 1
    mixtures: int = field(default=20, metadata={"help": "bivariate Gaussians in the offset's mixture (M)",
                                                "at_least": 1})
    memory: str = field(default="rnn", metadata={
        "choices": MEMORIES, "help": "what the mixture sees: rnn every point so far; the yardsticks previous "
                                     "(the point before only) and none (nothing)"})


@dataclass(frozen=True)
class Mixture:
    """The distribution of the next point: shapes ``[...]`` for ``pen_logit``, ``[..., M]`` for
    ``log_pi`` and ``rho``, ``[..., M, 2]`` for ``mu`` and ``sigma``."""
    pen_logit: torch.Tensor
    log_pi: torch.Tensor
    mu: torch.Tensor
    sigma: torch.Tensor
    rho: torch.Tensor


def mixture(raw: torch.Tensor, bias: float = 0.0, temperature: float = 1.0) -> Mixture:
    """The network's output ``raw [..., 1 + 6M]`` as a ``Mixture`` (bias 0 and temperature 1: the
    distribution trained on)."""
    M = (raw.shape[-1] - 1) // 6
    pen, pi_hat, mu, log_sigma, rho_hat = raw.split([1, M, 2 * M, 2 * M, M], dim=-1)
    sigma = torch.exp(log_sigma - bias) * math.sqrt(temperature) + SIGMA_MIN
    return Mixture(pen_logit=pen.squeeze(-1) / temperature,
                   log_pi=torch.log_softmax(pi_hat * (1 + bias) / temperature, dim=-1),
                   mu=mu.unflatten(-1, (M, 2)), sigma=sigma.unflatten(-1, (M, 2)),
                   rho=RHO_MAX * torch.tanh(rho_hat))


def offset_log_density(mix: Mixture, offset: torch.Tensor) -> torch.Tensor:
    """``log Σ_j π_j N(offset | μ_j, σ_j, ρ_j)`` for ``offset [..., 2]``: ``[...]``."""
    z = (offset.unsqueeze(-2) - mix.mu) / mix.sigma  # [..., M, 2]: each coordinate in its component's units
    one_minus = 1 - mix.rho**2
    Z = z[..., 0] ** 2 + z[..., 1] ** 2 - 2 * mix.rho * z[..., 0] * z[..., 1]
    log_n = (-Z / (2 * one_minus) - math.log(2 * math.pi) - torch.log(mix.sigma).sum(-1)
             - 0.5 * torch.log(one_minus))
    return torch.logsumexp(mix.log_pi + log_n, dim=-1)


def point_nll(mix: Mixture, point: torch.Tensor) -> torch.Tensor:
    """``−log p(point | mix)`` for ``point [..., 3]``: the offset's density and the pen's Bernoulli."""
    pen = F.binary_cross_entropy_with_logits(mix.pen_logit, point[..., 2], reduction="none")
    return pen - offset_log_density(mix, point[..., :2])


def sample_point(mix: Mixture, generator: torch.Generator | None = None) -> torch.Tensor:
    """One point ``[B, 3]`` drawn from ``mix`` (shapes ``[B, ...]``): a component by its weight, an
    offset from its Gaussian (a standard pair made correlated), the pen from its Bernoulli."""
    j = torch.multinomial(mix.log_pi.exp(), 1, generator=generator)  # [B, 1]
    pick = lambda t: t.gather(1, j.view(-1, 1, *[1] * (t.dim() - 2)).expand(-1, 1, *t.shape[2:])).squeeze(1)
    mu, sigma, rho = pick(mix.mu), pick(mix.sigma), pick(mix.rho)
    n = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
    dx = mu[:, 0] + sigma[:, 0] * n[:, 0]
    dy = mu[:, 1] + sigma[:, 1] * (rho * n[:, 0] + torch.sqrt(1 - rho**2) * n[:, 1])
    u = torch.rand(mix.pen_logit.shape, generator=generator, device=mu.device, dtype=mu.dtype)
    return torch.stack([dx, dy, (u < torch.sigmoid(mix.pen_logit)).to(mu.dtype)], dim=-1)


class StrokeMDN(nn.Module):
    """``forward(points [B, T, 3], state) -> (raw [B, T, 1 + 6M], state)``: row t gives the mixture
    of point t + 1; ``state`` carries the recurrent state on (``None`` for the yardsticks)."""

    def __init__(self, config: StrokeConfig):
        super().__init__()
        self.config = config
        if config.memory in ("rnn", "previous"):
            self.previous = nn.Sequential(nn.Linear(POINT, config.hidden), nn.Tanh())
            width = config.hidden
        if config.memory == "rnn":
            self.rnn = config.build_encoder(POINT)
            width += self.rnn.output_size
        if config.memory == "none":
            width = 1  # a constant input: the read-out's bias alone is the mixture
        self.drop = nn.Dropout(config.dropout)
        self.out = nn.Linear(width, 1 + 6 * config.mixtures)

    def forward(self, points: torch.Tensor, state=None):
        if self.config.memory == "none":
            features = points.new_zeros(*points.shape[:-1], 1)
        else:
            features = self.previous(points)
        if self.config.memory == "rnn":
            remembered, state = self.rnn(points, state)
            features = torch.cat([remembered, features], dim=-1)
        return self.out(self.drop(features)), state
