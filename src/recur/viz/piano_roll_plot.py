"""A piano roll as a picture: time across, the keys up (MIDI pitch on the axis, C of each octave
marked), a sounding key dark; the steps of a prime, if any, shaded and fenced off from what the
model wrote after them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recur.data.piano_roll import LOWEST
from recur.viz.figures import save_png, subplots

INCHES_PER_STEP, MIN_WIDTH, MAX_WIDTH = 0.06, 4.0, 16.0


def plot_piano_roll(path: str | Path, roll: np.ndarray, step_seconds: float, primed: int = 0, title: str = "") -> Path:
    """Write a PNG of ``roll [T, 88]`` (the first ``primed`` steps shaded as the prime)."""
    sounding = np.flatnonzero(roll.any(axis=0))
    low, high = (int(sounding.min()), int(sounding.max())) if len(sounding) else (39, 51)
    low, high = max(0, low - 2), min(roll.shape[1] - 1, high + 2)
    width = min(MAX_WIDTH, max(MIN_WIDTH, INCHES_PER_STEP * len(roll)))
    figure, axis = subplots(figsize=(width, 3.2))
    axis.imshow(roll[:, low : high + 1].T, origin="lower", aspect="auto", cmap="Greys", vmin=0, vmax=1,
                interpolation="nearest", extent=(0, len(roll) * step_seconds, LOWEST + low - 0.5, LOWEST + high + 0.5))
    if primed:
        axis.axvspan(0, primed * step_seconds, color="tab:blue", alpha=0.12, lw=0)
        axis.axvline(primed * step_seconds, color="tab:blue", lw=1)
        axis.text(primed * step_seconds / 2, LOWEST + high, "prime", color="tab:blue", ha="center", va="top",
                  fontsize="small")
    cs = [p for p in range(LOWEST + low, LOWEST + high + 1) if p % 12 == 0]
    axis.set_yticks(cs, [f"C{p // 12 - 1}" for p in cs])
    axis.set_xlabel("seconds")
    if title:
        axis.set_title(title, fontsize="small", loc="left")
    return save_png(figure, path)
