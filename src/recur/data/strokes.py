"""Drawings as pen strokes: the stroke-3 format of Graves (2013) and sketch-rnn (Ha & Eck 2017).

A drawing is a sequence of points, each ``(Δx, Δy, lifted)``: the pen's offset from the point
before and whether the pen leaves the paper after this point (1 ends a stroke). The sets sit
under ``$RECUR_DATA/strokes`` (``../shared/data/SOURCES.md`` section 9), pickle-free copies of
hardmaru/sketch-rnn-datasets: per split, ``<split>_points`` (``int16 [N, 3]``, every drawing's rows
one after another) and ``<split>_offsets`` (``int64 [D + 1]``: drawing ``i`` is rows
``offsets[i]:offsets[i+1]``). They are read with ``np.load(..., allow_pickle=False)``, so a file
can never run code.

Refused, each in one line naming the file: bytes that are not an npz (a bare .npy too), a missing
array, an array holding objects, points that are not ``[N, 3]`` whole numbers or do not fit
``int16``, a pen column other than 0/1, and offsets that do not cut the points into drawings of one
or more points.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np

from recur.data.roots import find_data
from recur.errors import RecurError

SPLITS = ("train", "valid", "test")
PUBLISHED = "github.com/hardmaru/sketch-rnn-datasets (stroke-3 .npz; see ../shared/data/SOURCES.md section 9)"
SETS = {  # name: file under $RECUR_DATA
    "omniglot": "strokes/omniglot.flat.npz",  # handwritten characters of 50 alphabets (MIT)
    "kanji": "strokes/short_kanji.flat.npz",  # KanjiVG stroke outlines (CC BY-SA 3.0)
    "sheep": "strokes/aaron_sheep.flat.npz",  # the Sheep Market's sketches (CC BY-NC 4.0: never bundled)
}
Drawings = list[np.ndarray]  # each int16 [n, 3]


def set_path(name: str, explicit: str | Path | None = None) -> Path:
    """The file of set ``name`` under ``$RECUR_DATA`` (or ``explicit``)."""
    if name not in SETS:
        raise RecurError(f"unknown stroke set {name!r}; known: {', '.join(SETS)}")
    return find_data(SETS[name], PUBLISHED, explicit)


def read_drawings(path: str | Path, splits: tuple[str, ...] = SPLITS) -> dict[str, Drawings]:
    """``{split: [drawing int16 [n, 3]]}`` for each of ``splits`` in the stroke-3 npz at ``path``."""
    path = Path(path)
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):  # a bare .npy holds one array
            raise RecurError(f"{path}: one .npy array, not a stroke-3 .npz archive of <split>_points and "
                             "<split>_offsets")
        with loaded as archive:
            arrays = {split: drawings_of(archive, split, path) for split in splits}
    except OSError as err:
        raise RecurError(f"{path}: cannot be read ({err.strerror or err})") from None
    except (zipfile.BadZipFile, EOFError, ValueError, zlib.error) as err:  # zlib: a damaged compressed member
        raise RecurError(f"{path}: not a stroke-3 .npz archive ({err!s:.120})") from None
    return arrays


def drawings_of(archive, split: str, path: Path) -> Drawings:
    names = (f"{split}_points", f"{split}_offsets")
    for name in names:
        if name not in archive.files:
            raise RecurError(f"{path}: no {name!r} array (a stroke file holds <split>_points and <split>_offsets "
                             f"for {', '.join(SPLITS)})")
    points, offsets = archive[names[0]], archive[names[1]]  # a pickled (object) array raises ValueError here
    if points.ndim != 2 or points.shape[1] != 3 or not np.issubdtype(points.dtype, np.integer):
        raise RecurError(f"{path}: {names[0]} is {points.dtype} {list(points.shape)}; expected whole numbers [N, 3]")
    if points.size and (points.min() < np.iinfo(np.int16).min or points.max() > np.iinfo(np.int16).max):
        raise RecurError(f"{path}: {names[0]} holds values outside int16 ({points.min()}..{points.max()})")
    if not np.all((points[:, 2] == 0) | (points[:, 2] == 1)):
        raise RecurError(f"{path}: {names[0]}'s pen column holds values other than 0 and 1")
    if (offsets.ndim != 1 or len(offsets) < 2 or not np.issubdtype(offsets.dtype, np.integer)
            or offsets[0] != 0 or offsets[-1] != len(points) or np.any(offsets[1:] <= offsets[:-1])):  # diff wraps uint
        raise RecurError(f"{path}: {names[1]} does not cut {names[0]} into drawings (it must rise from 0 to "
                         f"{len(points)} by at least 1)")
    return [points[a:b].astype(np.int16) for a, b in zip(offsets[:-1], offsets[1:])]


def strokes_of(drawing: np.ndarray) -> list[np.ndarray]:
    """A drawing's strokes as absolute pen positions, each ``float [k, 2]`` (y grows downwards, as
    the data were drawn on screen): the running sum of the offsets, cut after each lifted point."""
    positions = np.cumsum(drawing[:, :2].astype(np.float64), axis=0)
    ends = np.flatnonzero(drawing[:, 2] > 0.5) + 1
    return [stroke for stroke in np.split(positions, ends) if len(stroke)]
