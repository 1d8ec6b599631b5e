"""Eigenvalues of the recurrent matrices in the complex plane, with the unit circle: |λ| > 1 grows.

One panel per gate block of W_hh (columns: the cell's gates, e.g. LSTM i, f, g, o; rows: layers,
and directions for a bidirectional model), all on the same axes so that radii compare at a glance.
The shared frame reaches ``FRAME_QUANTILE`` of all |λ| (and at least past the unit circle), so one
outlying eigenvalue cannot shrink every other one to a dot: eigenvalues beyond the frame are drawn
as hollow triangles on its edge, in their own direction, and each panel's title gives its true
radius ρ = max |λ|.
"""

from __future__ import annotations

import math
from pathlib import Path

from recur.analysis.spectrum import Spectrum
from recur.viz.figures import save_png, subplots

FRAME_QUANTILE = 0.99  # the frame holds at least this share of all eigenvalues
EDGE = 0.95  # where an eigenvalue beyond the frame is drawn, as a share of the frame's half-width
INSIDE, OUTSIDE = "tab:blue", "tab:red"


def frame_radius(moduli: list[float], quantile: float = FRAME_QUANTILE) -> float:
    """The half-width L of the square frame: 1.1 × the ``quantile`` of ``moduli``, at least 1.2
    (the unit circle always shows)."""
    ranked = sorted(moduli)
    at = ranked[min(len(ranked) - 1, math.ceil(quantile * len(ranked)) - 1)] if ranked else 0.0
    return max(1.2, 1.1 * at)


def row_name(spectrum: Spectrum, bidirectional: bool) -> str:
    return f"layer {spectrum.layer + 1}" + ((", backward" if spectrum.direction else ", forward") if bidirectional
                                           else "")


def plot_spectra(path: str | Path, spectra: list[Spectrum], title: str = "") -> Path:
    """Write a PNG of ``spectra``: one panel per (layer, direction) row and gate-block column."""
    rows = sorted({(s.layer, s.direction) for s in spectra})
    blocks = list(dict.fromkeys(s.block for s in spectra))
    bidirectional = any(s.direction for s in spectra)
    limit = frame_radius([abs(v) for s in spectra for v in s.eigenvalues])
    # a single-matrix cell (one block) lays its layers out side by side instead of one above the other
    place = (lambda s: (0, rows.index((s.layer, s.direction)))) if len(blocks) == 1 else \
        (lambda s: (rows.index((s.layer, s.direction)), blocks.index(s.block)))
    shape = (1, len(rows)) if len(blocks) == 1 else (len(rows), len(blocks))
    figure, axes = subplots(*shape, figsize=(3.2 * shape[1], 3.7 * shape[0] + 0.4), sharex=True, sharey=True,
                            squeeze=False)
    circle = [2 * math.pi * i / 200 for i in range(201)]
    for spectrum in spectra:
        axis = axes[place(spectrum)]
        axis.plot([math.cos(a) for a in circle], [math.sin(a) for a in circle], color="0.5", linewidth=1,
                  label="unit circle, |λ| = 1")
        groups = {"inside": [], "outside": [], "beyond": []}
        for v in spectrum.eigenvalues:
            modulus = abs(v)
            if max(abs(v.real), abs(v.imag)) > limit:  # outside the frame: drawn just inside its edge
                groups["beyond"].append(v * EDGE * limit / max(abs(v.real), abs(v.imag)))
            else:
                groups["outside" if modulus > 1 else "inside"].append(v)
        for name, colour, marker, label in (
            ("inside", INSIDE, "o", "|λ| ≤ 1: decays"), ("outside", OUTSIDE, "o", "|λ| > 1: grows"),
            ("beyond", OUTSIDE, "^", "beyond the frame (drawn on its edge)")):
            points = groups[name]
            axis.scatter([v.real for v in points], [v.imag for v in points], s=10 if marker == "o" else 28,
                         marker=marker, color=colour, facecolors="none" if name == "beyond" else colour,
                         linewidths=0.8, alpha=0.7 if marker == "o" else 1, label=label)
        axis.set_title(f"{row_name(spectrum, bidirectional)}, {spectrum.block}\nρ = {spectrum.radius:.2f}, "
                       f"{spectrum.outside_unit_circle()} of {len(spectrum.eigenvalues)} outside", fontsize="small")
    for axis in axes.flat:
        axis.set_xlim(-limit, limit)
        axis.set_ylim(-limit, limit)
        axis.set_aspect("equal")
        axis.axhline(0, color="0.9", linewidth=0.6, zorder=0)
        axis.axvline(0, color="0.9", linewidth=0.6, zorder=0)
    for axis in axes[-1]:
        axis.set_xlabel("Re λ")
    for axis in axes[:, 0]:
        axis.set_ylabel("Im λ")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize="small", frameon=False)
    figure.suptitle(f"Eigenvalues λ of each gate block of W_hh{': ' + title if title else ''}")
    return save_png(figure, path)
