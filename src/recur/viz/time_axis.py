"""The time step of a series, read from its time labels, so a picture can put its x axis in hours
(or days, months...) instead of rows.

``time_step(["2016-07-01 00:00:00", "2016-07-01 01:00:00", ...])`` is ``"hour"``: every two labels
in a row lie exactly one unit apart (a month: the same day of the next month). Labels that cannot be
read as dates (ISO 8601, or ``YYYY-MM``), or that are irregular (trading days skip weekends), give
``None``: the axis then counts rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

FIXED = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1),
         "week": timedelta(weeks=1)}


def read_time(label: str) -> datetime | None:
    """``label`` as a date and time, or None."""
    for parse in (datetime.fromisoformat, lambda text: datetime.strptime(text, "%Y-%m")):
        try:
            return parse(label.strip()).replace(tzinfo=None)  # offsets dropped: steps are compared as written
        except ValueError:
            continue
    return None


def _months(a: datetime, b: datetime) -> int | None:
    """Whole calendar months from ``a`` to ``b`` (same day and time of month), else None."""
    if (a.day, a.time()) != (b.day, b.time()):
        return None
    return (b.year - a.year) * 12 + b.month - a.month


def time_step(labels: list[str]) -> str | None:
    """The unit of one step ("minute", "hour", "day", "week", "month" or "year") when every
    consecutive pair of ``labels`` is one unit apart; None otherwise (or for fewer than 2 labels)."""
    times = [read_time(label) for label in labels]
    if len(times) < 2 or any(t is None for t in times):
        return None
    pairs = list(pairwise(times))
    for unit, size in FIXED.items():
        if all(b - a == size for a, b in pairs):
            return unit
    months = {_months(a, b) for a, b in pairs}
    return {frozenset({1}): "month", frozenset({12}): "year"}.get(frozenset(months))
