"""Plain-text tables and matrices for the topics' printouts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], digits: int = 3) -> str:
    """Columns padded to their widest cell; floats to ``digits`` decimals."""
    cells = [[str(h) for h in headers]] + [[cell_text(c, digits) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cell_text(value: object, digits: int) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:.{digits}f}"
    return str(value)


def matrix(values, digits: int = 3) -> list[str]:
    """A vector or matrix as bracketed rows, one line per row (a vector is a column)."""
    values = np.asarray(values, dtype=float)
    rows = values[:, None] if values.ndim == 1 else values
    width = max(len(f"{v:.{digits}f}") for v in rows.ravel())
    return ["[ " + "  ".join(f"{v:.{digits}f}".rjust(width) for v in row) + " ]" for row in rows]


def side_by_side(*blocks: list[str], gap: str = "   ") -> str:
    """Blocks of lines next to each other, each padded to its widest line, top-aligned."""
    height = max(len(b) for b in blocks)
    padded = [b + [""] * (height - len(b)) for b in blocks]
    widths = [max((len(line) for line in b), default=0) for b in blocks]
    return "\n".join(gap.join(line.ljust(w) for line, w in zip(lines, widths)).rstrip()
                     for lines in zip(*padded))
