"""A translation's attention as a picture: one row per output subword, one column per source subword,
shaded by the weight a_ts the decoder gave source position s when it wrote word t
(``recur.models.attention``). A good model's picture is near-diagonal, bending where the two
languages order words differently."""

from __future__ import annotations

from pathlib import Path

from recur.viz.figures import save_png, subplots

CELL_INCHES = 0.34  # per source or target piece


def plot_alignment(path: str | Path, source: list[str], target: list[str], weights, title: str = "") -> Path:
    """Write a PNG of ``weights [len(target), len(source)]`` with the pieces on the axes."""
    rows = [[float(w) for w in row] for row in weights]
    figure, axis = subplots(figsize=(2.2 + CELL_INCHES * len(source), 1.6 + CELL_INCHES * len(target)))
    image = axis.imshow(rows, cmap="Greys", vmin=0, vmax=1, aspect="equal")
    axis.set_xticks(range(len(source)), source, rotation=70, ha="left", rotation_mode="anchor")
    axis.set_yticks(range(len(target)), target)
    axis.xaxis.tick_top()
    axis.set_xlabel("source subwords")
    axis.xaxis.set_label_position("top")
    axis.set_ylabel("translation, subword by subword")
    figure.colorbar(image, ax=axis, fraction=0.03, pad=0.02, label="attention")
    if title:
        axis.set_title(title, pad=6, y=-0.08 - 0.3 / max(1, len(target)), loc="left", fontsize="small")
    return save_png(figure, path)
