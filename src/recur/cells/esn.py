"""Echo state network reservoir (Jaeger 2001; leaky form from Jaeger et al. 2007), seed 001's ESN.

A large, fixed, random, sparse recurrent layer — the reservoir — driven by the input:

    h_t = (1 − a) h_{t-1} + a tanh(W_in x_t + W h_{t-1} + b)

    W    : H x H, each row with round(``density`` H) nonzero entries drawn U(-1, 1), then scaled so that
           its spectral radius (largest |eigenvalue|) is ``spectral_radius`` (< 1 in the usual
           echo-state regime: the state forgets its start and becomes a function of the input)
    W_in : H x D, entries U(-s, s) with s = ``input_scaling``;  b: U(-s, s) (``bias_scaling``)
    a    : the leak rate in (0, 1]; a = 1 is the plain ESN (and runs on PyTorch's fused RNN kernel)

Nothing in the reservoir is trained: its parameters have ``requires_grad=False``. The read-out
on top is fitted in closed form by ridge regression (``recur.models.echo_state``), or trained by
gradient descent like any other model's head when the reservoir sits inside a language model.
The random draws come from ``seed`` when given, else from torch's global generator (as for every
other cell's initial weights); either way the reservoir is saved with the model's weights.
"""

from __future__ import annotations

import torch

from recur.cells.base import Cell
from recur.cells.elman import ElmanState
from recur.errors import RecurError


def spectral_radius(matrix: torch.Tensor) -> float:
    """max |λ| over the eigenvalues of a square matrix."""
    return float(torch.linalg.eigvals(matrix.double()).abs().max())


class EchoStateCell(Cell):
    state_type = ElmanState
    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, spectral_radius: float = 0.9,
                 leak: float = 1.0, input_scaling: float = 1.0, bias_scaling: float = 0.2,
                 density: float = 0.1, seed: int | None = None):
        if not 0.0 < leak <= 1.0:
            raise RecurError(f"ESN leak rate must be in (0, 1], got {leak}")
        if not 0.0 < density <= 1.0:
            raise RecurError(f"ESN density must be in (0, 1], got {density}")
        if spectral_radius <= 0 or input_scaling <= 0 or bias_scaling < 0:
            raise RecurError("ESN spectral radius and input scaling must be positive, bias scaling non-negative")
        self.target_radius, self.leak, self.density = spectral_radius, leak, density
        self.input_scaling, self.bias_scaling, self.seed = input_scaling, bias_scaling, seed
        self.fused_kind = "rnn_tanh" if leak == 1.0 else None
        super().__init__(input_size, hidden_size, bias)
        for p in self.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def reset_parameters(self) -> None:
        generator = None if self.seed is None else torch.Generator().manual_seed(self.seed)
        H = self.hidden_size

        def uniform(*shape, scale=1.0):
            return (torch.rand(*shape, generator=generator, dtype=torch.float64) * 2 - 1) * scale

        # each unit hears k = max(1, round(density * H)) random others: with every in-degree >= 1 the
        # graph has a cycle, so the radius is nonzero and can be scaled to the target
        k = max(1, round(self.density * H))
        chosen = torch.rand(H, H, generator=generator).topk(k, dim=1).indices
        links = torch.zeros(H, H, dtype=torch.float64).scatter_(1, chosen, 1.0)
        reservoir = uniform(H, H) * links
        self.weight_hh.copy_(reservoir * (self.target_radius / spectral_radius(reservoir)))
        self.weight_ih.copy_(uniform(H, self.input_size, scale=self.input_scaling))
        if self.bias_ih is not None:
            self.bias_ih.copy_(uniform(H, scale=self.bias_scaling))
            self.bias_hh.zero_()

    def step(self, projected, state, hidden):
        candidate = torch.tanh(projected + hidden(state.h))
        h = candidate if self.leak == 1.0 else (1 - self.leak) * state.h + self.leak * candidate
        return h, ElmanState(h)

    def extra_repr(self) -> str:
        return (f"{super().extra_repr()}, spectral_radius={self.target_radius}, leak={self.leak}, "
                f"density={self.density}")
