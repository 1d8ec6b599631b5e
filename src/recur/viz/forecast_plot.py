"""A forecast in a picture: the history, the forecast and (when known) the truth, one panel per column.

The x axis counts time steps from the forecast origin (0 is the last row read; 1 … H are forecast),
in the series' own step where its time labels say what that is (``recur.viz.time_axis``): "hours
from the forecast origin" for an hourly series, rows otherwise. Each panel is labelled with its
column's readable name where one is known, and the values are in the series' own units.
"""

from __future__ import annotations

from pathlib import Path

import torch

from recur.viz.figures import save_png, subplots

MAX_PANELS = 7


def plot_forecast(path: str | Path, labels: list[str], history: torch.Tensor, forecast: torch.Tensor,
                  truth: torch.Tensor | None = None, title: str = "", step: str | None = None) -> Path:
    """Write a PNG: ``history [T, C]`` on steps −T+1 … 0, ``forecast [H, C]`` (and ``truth [H, C]``)
    on steps 1 … H; ``labels`` name the C columns, ``step`` is the unit of one step (None: rows)."""
    shown = labels[:MAX_PANELS]
    figure, axes = subplots(len(shown), 1, figsize=(10, 2.2 + 1.8 * len(shown)), sharex=True, squeeze=False)
    past = torch.arange(-len(history) + 1, 1)
    ahead = torch.arange(1, len(forecast) + 1)
    for column, axis in enumerate(axes[:, 0]):
        axis.plot(past, history[:, column], color="0.35", linewidth=1, label="history")
        if truth is not None:
            axis.plot(ahead, truth[:, column], color="tab:green", linewidth=1.2, label="truth")
        axis.plot(ahead, forecast[:, column], color="tab:red", linewidth=1.2, label="forecast")
        axis.axvline(0.5, color="0.7", linestyle=":", linewidth=1)
        axis.set_ylabel(shown[column], fontsize="small")
    axes[0, 0].legend(loc="upper left", fontsize="small")
    axes[-1, 0].set_xlabel(f"{step}s from the forecast origin" if step else "steps (rows) from the forecast origin")
    if len(labels) > len(shown):
        axes[-1, 0].annotate(f"{len(labels) - len(shown)} more column(s) in the CSV, not drawn",
                             (1, -0.35), xycoords="axes fraction", ha="right", fontsize="small", color="0.4")
    if title:
        axes[0, 0].set_title(title)
    return save_png(figure, path)
