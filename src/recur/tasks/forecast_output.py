"""What ``recur forecast`` writes: the forecast as CSV and as a picture beside the history."""

from __future__ import annotations

import csv
from pathlib import Path

import torch

from recur.atomic import write_atomically
from recur.data.table import Table

PLOT_HISTORY = 96  # history shown: at least this many steps, or four horizons


def write_forecast(prefix: str, table: Table, history: torch.Tensor, predicted: torch.Tensor,
                   truth: torch.Tensor | None = None) -> dict[str, str]:
    """``PREFIX.csv`` (step, then per column the forecast; when the truth is known, its time label
    and the true values too) and ``PREFIX.png``; returns both paths."""
    from recur.viz.forecast_plot import plot_forecast  # matplotlib loads only when a picture is drawn

    columns = table.columns
    held_out = truth is not None
    times = table.times[len(history) : len(history) + len(predicted)]
    header = ["step", *(["time"] if held_out else []), *columns, *([f"{c}_truth" for c in columns] if held_out else [])]
    rows = [[step + 1, *([times[step]] if held_out else []), *predicted[step].tolist(),
             *(truth[step].tolist() if held_out else [])] for step in range(len(predicted))]

    def write_csv(tmp: Path) -> None:
        with open(tmp, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)

    csv_path = write_atomically(Path(prefix + ".csv"), write_csv)
    origin = table.times[len(history) - 1]
    png_path = plot_forecast(Path(prefix + ".png"), columns, history[-max(4 * len(predicted), PLOT_HISTORY):],
                             predicted, truth, title=f"{Path(table.source).name}: {len(predicted)} steps after {origin}")
    return {"csv": str(csv_path.resolve()), "png": str(png_path.resolve())}
