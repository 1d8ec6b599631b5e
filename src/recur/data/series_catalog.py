"""The forecasting series recur ships, with the split, season and defaults each is used with.

Every series is a CSV with a time column first. ``borders(rows)`` gives ``(train_end, val_end,
test_end)``: training windows lie wholly in rows ``[0, train_end)``; a validation window's forecast
starts in ``[train_end, val_end)`` and a test window's in ``[val_end, test_end)``, each reading its
input from the rows just before (so the first held-out windows read training rows, as Informer's
loader does). Rows from ``test_end`` on are not used.

ETTh1 follows Informer's protocol (months of 30 days: 12 train, 4 validation, 4 test). The classic
series have no canonical split; each holds out its last stretch, stated here and in docs/forecast.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from recur.assets import asset_path
from recur.errors import RecurError


@dataclass(frozen=True)
class SeriesSpec:
    name: str
    asset: str  # path under recur/assets (and, laid out alike, under a data root)
    columns: tuple[str, ...]  # every value column ("--features all")
    target: str  # the column forecast with "--features target"
    season: int  # steps per season, for the seasonal-naive yardstick
    horizon: int  # default steps forecast
    seq_len: int  # default steps read
    held_out: tuple[int, int] | None = None  # (validation rows, test rows) at the end of the file
    fixed_borders: tuple[int, int, int] | None = None  # or (train_end, val_end, test_end) as published
    about: str = ""

    def borders(self, rows: int) -> tuple[int, int, int]:
        if rows < self.min_rows:
            raise RecurError(f"series {self.name} needs at least {self.min_rows} rows for its split, got {rows}")
        if self.fixed_borders is not None:
            return self.fixed_borders
        val, test = self.held_out
        return rows - val - test, rows - test, rows

    @property
    def min_rows(self) -> int:
        """The fewest rows the split can be made of: the published split's end, or one training row
        before the held-out ones (a task needs more: a whole window, see ``recur.tasks.forecast``)."""
        return self.fixed_borders[2] if self.fixed_borders is not None else sum(self.held_out) + 1

    def path(self) -> Path:
        return asset_path(*self.asset.split("/"))


SERIES = {spec.name: spec for spec in (
    SeriesSpec("etth1", "ett/ETTh1.csv", ("HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"), "OT",
               season=24, horizon=24, seq_len=168, fixed_borders=(8640, 11520, 14400),
               about="hourly transformer load and oil temperature (Informer's ETTh1, 12/4/4 months)"),
    SeriesSpec("airline", "timeseries/airline-passengers.csv", ("Passengers",), "Passengers",
               season=12, horizon=24, seq_len=24, held_out=(24, 24),
               about="monthly airline passengers 1949-1960, the last 24 months held out for test"),
    SeriesSpec("sunspots", "timeseries/monthly-sunspots.csv", ("Sunspots",), "Sunspots",
               season=132, horizon=12, seq_len=120, held_out=(282, 282),
               about="monthly sunspot numbers 1749-1983 (season: the 11-year cycle), the last 10 % held out"),
    SeriesSpec("temperatures", "timeseries/daily-min-temperatures.csv", ("Temp",), "Temp",
               season=365, horizon=7, seq_len=60, held_out=(365, 365),
               about="daily minimum temperatures, Melbourne 1981-1990, the last year held out"),
    SeriesSpec("aapl", "timeseries/finance-charts-apple.csv", ("AAPL.Close",), "AAPL.Close",
               season=5, horizon=1, seq_len=20, held_out=(100, 100),
               about="AAPL daily close 2015-2017 (season: a trading week), the last 100 days held out"),
)}


def series_spec(name: str) -> SeriesSpec:
    if name not in SERIES:
        raise RecurError(f"unknown series {name!r}; choose one of {', '.join(SERIES)}")
    return SERIES[name]
