"""Gradient flow through time as a picture: ‖∂L_T/∂h_k‖ against how many steps back k lies."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from recur.viz.figures import save_png, subplots


@dataclass(frozen=True)
class Curve:
    label: str
    values: list[float]  # index k-1 for k = 1..T
    dashed: bool = False
    color: str | None = None


def plot_gradient_flow(path: str | Path, curves: list[Curve], ylabel: str, title: str = "") -> Path:
    """One line per curve on a log scale, the last step (k = T) at 0 on the left and the
    earliest on the right, so a vanishing gradient falls and an exploding one rises."""
    figure, axis = subplots(figsize=(8, 4.5))
    for curve in curves:
        back = list(range(len(curve.values) - 1, -1, -1))  # T − k
        shown = [(b, v) for b, v in zip(back, curve.values) if v > 0]  # log scale: zeros cannot be drawn
        axis.plot([b for b, _ in shown], [v for _, v in shown], label=curve.label, color=curve.color,
                  linestyle="--" if curve.dashed else "-", linewidth=1.4)
    axis.set_yscale("log")
    axis.set_xlabel("steps back from the loss, T − k")
    axis.set_ylabel(ylabel)
    axis.grid(True, which="major", color="0.9")
    axis.legend(fontsize="small")
    if title:
        axis.set_title(title)
    return save_png(figure, path)
