"""A forecast in a picture: the history, the forecast and (when known) the truth, one panel per column."""

from __future__ import annotations

from pathlib import Path

import torch

from recur.viz.figures import save_png, subplots

MAX_PANELS = 7


def plot_forecast(path: str | Path, columns: list[str], history: torch.Tensor, forecast: torch.Tensor,
                  truth: torch.Tensor | None = None, title: str = "") -> Path:
    """Write a PNG: ``history [T, C]`` on steps −T+1 … 0, ``forecast [H, C]`` (and ``truth [H, C]``)
    on steps 1 … H."""
    shown = columns[:MAX_PANELS]
    figure, axes = subplots(len(shown), 1, figsize=(10, 2.2 + 1.8 * len(shown)), sharex=True, squeeze=False)
    past = torch.arange(-len(history) + 1, 1)
    ahead = torch.arange(1, len(forecast) + 1)
    for column, axis in enumerate(axes[:, 0]):
        axis.plot(past, history[:, column], color="0.35", linewidth=1, label="history")
        if truth is not None:
            axis.plot(ahead, truth[:, column], color="tab:green", linewidth=1.2, label="truth")
        axis.plot(ahead, forecast[:, column], color="tab:red", linewidth=1.2, label="forecast")
        axis.axvline(0.5, color="0.7", linestyle=":", linewidth=1)
        axis.set_ylabel(shown[column])
    axes[0, 0].legend(loc="upper left", fontsize="small")
    axes[-1, 0].set_xlabel("steps from the forecast origin")
    if title:
        axes[0, 0].set_title(title)
    return save_png(figure, path)
