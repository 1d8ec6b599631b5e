"""What every picture shares: matplotlib on its file-only backend, loaded only when a figure is
drawn (it costs about 0.3 s, which no other command should pay), and a PNG written whole or not at all."""

from __future__ import annotations

from pathlib import Path

from recur.atomic import write_atomically

DPI = 110
COLOURS = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink", "tab:olive"]


def pyplot():
    """matplotlib.pyplot on the Agg backend: files only, no display is needed or opened."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def subplots(*args, **options):
    """``pyplot().subplots``: ``(figure, axes)``."""
    return pyplot().subplots(*args, **options)


def save_png(figure, path: str | Path) -> Path:
    """Write ``figure`` as a PNG through a temporary file renamed into place, then close it. The
    picture is cropped to what is drawn, so a legend placed outside the axes is kept whole."""
    try:
        figure.tight_layout()
        return write_atomically(path, lambda tmp: figure.savefig(tmp, format="png", dpi=DPI, bbox_inches="tight"))
    finally:
        pyplot().close(figure)


__all__ = ["COLOURS", "pyplot", "save_png", "subplots"]
