"""Numeric tables from CSV: a time column, then numbers, one row per time step.

``parse_table`` reads CSV text (quoted or not, as the classic series and ETT files are written),
keeps the first column as time labels and the named value columns as float64. It refuses, naming
the file, the line and the problem: an empty file, text csv cannot split (a field over 131,072
characters), a missing column, a short row, a value that is not a number (or is not finite).
Nothing is guessed or filled in.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import torch

from recur.data.text import read_text
from recur.errors import RecurError


@dataclass(frozen=True)
class Table:
    times: list[str]  # the first column, as written
    columns: list[str]  # the value columns kept, in order
    values: torch.Tensor  # [rows, columns] float64
    source: str  # the file, for messages

    def rows(self, start: int, stop: int) -> Table:
        """Rows ``start`` to ``stop − 1``, as a table of the same columns."""
        return Table(self.times[start:stop], self.columns, self.values[start:stop], self.source)

    def __len__(self) -> int:
        return len(self.times)


def parse_table(text: str, source: str, columns: list[str] | None = None) -> Table:
    """The CSV ``text`` (from ``source``) as a ``Table`` of ``columns`` (None: every column after
    the first)."""
    reader = csv.reader(io.StringIO(text))
    try:
        rows = list(reader)
    except csv.Error as err:  # a field over csv's size limit (131,072 characters), a stray carriage return
        raise RecurError(f"{source}, line {reader.line_num}: not CSV ({err})") from None
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()  # trailing blank lines
    if not rows:
        raise RecurError(f"{source}: empty file; expected a CSV header line and rows of numbers")
    header = [name.strip() for name in rows[0]]
    if len(header) < 2:
        raise RecurError(f"{source}, line 1: expected a header of a time column and at least one value column, "
                         f"got {rows[0]!r:.80}")
    wanted = header[1:] if columns is None else list(columns)
    missing = [name for name in wanted if name not in header[1:]]
    if missing:
        shown = ", ".join(name if name.isprintable() else repr(name) for name in header[1:])  # a quoted line break
        raise RecurError(f"{source}, line 1: no column {', '.join(map(repr, missing))}; "
                         f"the value columns are {shown:.200}")
    if len(rows) < 2:
        raise RecurError(f"{source}: a header but no rows")
    positions = [header.index(name) for name in wanted]
    times, values = [], []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) < len(header):
            raise RecurError(f"{source}, line {line}: {len(row)} fields, the header has {len(header)}")
        numbers = []
        for name, position in zip(wanted, positions):
            cell = row[position].strip()
            try:
                number = float(cell)
            except ValueError:
                raise RecurError(f"{source}, line {line}, column {name}: {cell!r:.60} is not a number") from None
            if not math.isfinite(number):
                raise RecurError(f"{source}, line {line}, column {name}: {cell!r:.60} is not a finite number")
            numbers.append(number)
        times.append(row[0].strip())
        values.append(numbers)
    return Table(times, wanted, torch.tensor(values, dtype=torch.float64), source)


def read_table(path: str | Path, columns: list[str] | None = None) -> Table:
    return parse_table(read_text(path), str(path), columns)
