"""What every picture shares: matplotlib on its file-only backend, and a PNG written whole or not at all."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display is needed or opened
import matplotlib.pyplot as plt  # noqa: E402

from recur.atomic import write_atomically  # noqa: E402

DPI = 110


def save_png(figure, path: str | Path) -> Path:
    """Write ``figure`` as a PNG through a temporary file renamed into place, then close it."""
    try:
        figure.tight_layout()
        return write_atomically(path, lambda tmp: figure.savefig(tmp, format="png", dpi=DPI))
    finally:
        plt.close(figure)


__all__ = ["plt", "save_png"]
