"""Drawings in stroke-3 form (``recur.data.strokes``) as pictures: a grid of them, row by row, each
scaled to fit its cell with its aspect kept, the pen's strokes as lines (y down, as drawn on
screen). SVG is written by hand (a few polylines per drawing); PNG through matplotlib. Each cell
may carry a caption (e.g. the bias it was sampled with)."""

from __future__ import annotations

import math
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from recur.atomic import write_atomically
from recur.data.strokes import strokes_of
from recur.errors import RecurError
from recur.viz.figures import save_png, subplots

CELL, MARGIN, CAPTION = 120, 10, 14  # SVG pixels: a drawing's square, its margin, a caption's line


def grid_shape(count: int, columns: int | None) -> tuple[int, int]:
    """``(rows, columns)`` for ``count`` drawings: ``columns`` across (default: as square as it goes)."""
    columns = columns or math.ceil(math.sqrt(count))
    return math.ceil(count / columns), columns


def fitted(drawing: np.ndarray, size: float) -> list[np.ndarray]:
    """The drawing's strokes moved and scaled into a ``size × size`` square, centred, aspect kept."""
    strokes = strokes_of(drawing)
    if not strokes:
        return []
    everything = np.concatenate(strokes)
    low, high = everything.min(axis=0), everything.max(axis=0)
    span = max(float((high - low).max()), 1e-9)
    centre = (low + high) / 2
    return [(stroke - centre) * (size / span) + size / 2 for stroke in strokes]


def svg_text(drawings: list[np.ndarray], captions: list[str] | None = None, columns: int | None = None) -> str:
    rows, columns = grid_shape(len(drawings), columns)
    height_each = CELL + (CAPTION if captions else 0)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{columns * CELL}" height="{rows * height_each}" '
             f'viewBox="0 0 {columns * CELL} {rows * height_each}">',
             '<rect width="100%" height="100%" fill="white"/>']
    for i, drawing in enumerate(drawings):
        x0, y0 = (i % columns) * CELL, (i // columns) * height_each
        for stroke in fitted(drawing, CELL - 2 * MARGIN):
            points = " ".join(f"{x0 + MARGIN + x:.1f},{y0 + MARGIN + y:.1f}" for x, y in stroke)
            if len(stroke) == 1:  # a dot: a stroke of one point
                x, y = stroke[0]
                parts.append(f'<circle cx="{x0 + MARGIN + x:.1f}" cy="{y0 + MARGIN + y:.1f}" r="1.2" fill="black"/>')
            else:
                parts.append(f'<polyline points="{points}" fill="none" stroke="black" stroke-width="1.6" '
                             f'stroke-linecap="round" stroke-linejoin="round"/>')
        if captions:
            parts.append(f'<text x="{x0 + CELL / 2:.0f}" y="{y0 + CELL + CAPTION - 3}" font-family="sans-serif" '
                         f'font-size="11" text-anchor="middle">{escape(captions[i])}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_svg(path: str | Path, drawings: list[np.ndarray], captions: list[str] | None = None,
              columns: int | None = None) -> Path:
    return write_atomically(path, lambda tmp: tmp.write_text(svg_text(drawings, captions, columns)))


def write_png(path: str | Path, drawings: list[np.ndarray], captions: list[str] | None = None,
              columns: int | None = None, title: str = "") -> Path:
    rows, columns = grid_shape(len(drawings), columns)
    figure, axes = subplots(rows, columns, figsize=(1.4 * columns, 1.4 * rows + (0.3 if title else 0)),
                            squeeze=False)
    for i, axis in enumerate(axes.flat):
        axis.set_axis_off()
        if i >= len(drawings):
            continue
        for stroke in fitted(drawings[i], 1.0):
            axis.plot(stroke[:, 0], stroke[:, 1], "k-" if len(stroke) > 1 else "k.", lw=1.2, ms=2)
        axis.set_xlim(-0.05, 1.05)
        axis.set_ylim(1.05, -0.05)  # y grows downwards, as drawn
        axis.set_aspect("equal")
        if captions:
            axis.set_title(captions[i], fontsize="x-small")
    if title:
        figure.suptitle(title, fontsize="small")
    return save_png(figure, path)


WRITERS = {".svg": write_svg, ".png": write_png}


def write_drawings(path: str | Path, drawings: list[np.ndarray], captions: list[str] | None = None,
                   columns: int | None = None) -> Path:
    """Write ``drawings`` as ``.svg`` or ``.png``, by ``path``'s suffix."""
    suffix = Path(path).suffix.lower()
    if suffix not in WRITERS:
        raise RecurError(f"{path}: drawings are written as {' or '.join(WRITERS)}")
    if not drawings:
        raise RecurError("no drawing to write")
    return WRITERS[suffix](path, drawings, captions, columns)
