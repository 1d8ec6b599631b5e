"""A topic's picture: a figure from recur.viz's file-only matplotlib, saved as ``out_dir/name.png``."""

from __future__ import annotations

from pathlib import Path

from recur.viz.figures import save_png as save_figure
from recur.viz.figures import subplots


def new_figure(rows: int = 1, columns: int = 1, size: tuple[float, float] = (7.0, 4.0), **options):
    """``(figure, axes [rows, columns])``."""
    return subplots(rows, columns, figsize=size, squeeze=False, **options)


def save_png(figure, out_dir: Path, name: str) -> Path:
    """Write ``out_dir/name.png`` (whole or not at all) and close the figure."""
    return save_figure(figure, Path(out_dir) / f"{name}.png")
