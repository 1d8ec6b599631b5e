"""Simple features of a text, one value per character: what an interpretable cell might track
(Karpathy, Johnson & Fei-Fei 2015, "Visualizing and understanding recurrent networks", found cells
for quotes, line length, brackets and comments in models of War and Peace and Linux C source).

Each feature is a pure function ``text -> list[float]`` whose value at position t describes the
text up to and including character t, which is what a model's state after reading t can know.
"""

from __future__ import annotations


def inside_quotes(text: str) -> list[float]:
    """1 from an opening double quote up to its closing quote, else 0 (a quote opens at the first ``"``)."""
    values, inside = [], False
    for ch in text:
        if ch == '"':
            inside = not inside
        values.append(float(inside))
    return values


def position_in_line(text: str) -> list[float]:
    """Characters read since the last line break (0 on the line break itself)."""
    values, column = [], 0
    for ch in text:
        column = 0 if ch == "\n" else column + 1
        values.append(float(column))
    return values


def bracket_depth(text: str) -> list[float]:
    """How many of ( [ { are open, never below 0."""
    values, depth = [], 0
    for ch in text:
        depth = depth + 1 if ch in "([{" else max(depth - 1, 0) if ch in ")]}" else depth
        values.append(float(depth))
    return values


def inside_comment(text: str) -> list[float]:
    """1 inside a C comment, ``/* … */`` or ``// …`` up to its line break, delimiters included."""
    values, opened, kind = [], -1, None  # kind: "block", "line" or None; opened: where it began
    for t, ch in enumerate(text):
        if kind is None and ch == "/" and text[t + 1 : t + 2] in ("*", "/"):
            kind, opened = ("block" if text[t + 1] == "*" else "line"), t
        values.append(float(kind is not None))
        closes_block = kind == "block" and ch == "/" and text[t - 1] == "*" and t - opened >= 3  # not "/*/"
        if closes_block or (kind == "line" and ch == "\n"):
            kind = None
    return values


FEATURES = {"quotes": inside_quotes, "line_position": position_in_line, "brackets": bracket_depth,
            "comment": inside_comment}
