"""Eigenvalues of the recurrent matrices in the complex plane, with the unit circle: |λ| > 1 grows."""

from __future__ import annotations

import math
from pathlib import Path

from recur.analysis.spectrum import Spectrum
from recur.viz.figures import save_png, subplots


def plot_spectra(path: str | Path, spectra: list[Spectrum], title: str = "") -> Path:
    """One panel per layer; each gate block's eigenvalues in its own colour."""
    layers = sorted({s.layer for s in spectra})
    figure, axes = subplots(1, len(layers), figsize=(4.2 * len(layers), 4.4), squeeze=False)
    circle = [2 * math.pi * i / 200 for i in range(201)]
    for axis, layer in zip(axes[0], layers):
        axis.plot([math.cos(a) for a in circle], [math.sin(a) for a in circle], color="0.6", linewidth=1)
        for spectrum in (s for s in spectra if s.layer == layer):
            axis.scatter([v.real for v in spectrum.eigenvalues], [v.imag for v in spectrum.eigenvalues], s=8,
                         label=f"{spectrum.block}: ρ = {spectrum.radius:.2f}")
        axis.set_aspect("equal")
        axis.set_title(f"layer {layer + 1}")
        axis.set_xlabel("Re λ")
        axis.legend(fontsize="x-small", loc="lower left")
    axes[0, 0].set_ylabel("Im λ")
    if title:
        figure.suptitle(title)
    return save_png(figure, path)
