"""Where a captioner looked for each word: one panel per word (and ``</s>``), the strip in grey with
the word's attention over the grid (``recur.models.captioner``) laid on it in red, each grid cell
covering its pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recur.viz.figures import save_png, subplots

PANEL_INCHES = (3.2, 0.8)


def plot_caption_attention(path: str | Path, strip: np.ndarray, words: list[str], weights, grid: tuple[int, int],
                           title: str = "") -> Path:
    """Write a PNG of ``weights [len(words), rows·cols]`` over ``strip [H, W]``; ``grid`` = (rows, cols)."""
    rows, cols = grid
    H, W = strip.shape
    weights = np.asarray(weights, dtype=np.float32).reshape(len(words), rows, cols)
    figure, axes = subplots(len(words), 1, figsize=(PANEL_INCHES[0], 0.4 + PANEL_INCHES[1] * len(words)),
                            squeeze=False)
    for axis, word, look in zip(axes[:, 0], words, weights):
        heat = np.kron(look / max(float(look.max()), 1e-12), np.ones((H // rows, W // cols)))
        axis.imshow(strip, cmap="Greys_r", vmin=0, vmax=1, interpolation="nearest")
        axis.imshow(heat, cmap="Reds", alpha=0.85 * heat, vmin=0, vmax=1, interpolation="nearest")
        axis.set_xticks([])
        axis.set_yticks([])
        axis.set_ylabel(word, rotation=0, ha="right", va="center")
    if title:
        axes[0, 0].set_title(title, fontsize="small", loc="left")
    return save_png(figure, path)
