"""Eigenvalues of a model's recurrent matrices (seed 003): with c_t = W c_{t-1} = V Λᵗ V⁻¹ c_0,
components along eigenvalues |λ| < 1 decay and those with |λ| > 1 explode, so the spectrum of W
against the unit circle says how long the linear part of the recurrence remembers.

A gated cell's ``weight_hh [G·H, H]`` is G square blocks, one per gate (LSTM i, f, g, o; GRU r, z,
n); each block's spectrum is reported under its gate's name, with its layer and (for a
bidirectional model) its direction. Clockwork's block-triangular mask is
applied first (``recurrent_weight``), so its spectrum is the one the recurrence uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class Spectrum:
    layer: int
    block: str  # the gate whose recurrent block this is ("W" for a single-matrix cell)
    eigenvalues: list[complex]
    direction: int = 0  # 0 forward, 1 backward (a bidirectional model's second cell per layer)

    @property
    def radius(self) -> float:
        """ρ = max |λ|."""
        return max(abs(v) for v in self.eigenvalues)

    def outside_unit_circle(self) -> int:
        return sum(abs(v) > 1 for v in self.eigenvalues)


def recurrent_spectra(rnn: nn.Module) -> list[Spectrum]:
    """One ``Spectrum`` per layer (and direction) and per gate block of a ``Recurrent``'s cells."""
    spectra = []
    for index, cell in enumerate(rnn.cells):
        W = cell.recurrent_weight().detach().double()
        H = cell.hidden_size
        for block, name in enumerate(cell.gate_names):
            square = W[block * H : (block + 1) * H]  # [H, H]
            spectra.append(Spectrum(index // rnn.directions, name, torch.linalg.eigvals(square).tolist(),
                                    index % rnn.directions))
    return spectra
