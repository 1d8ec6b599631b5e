"""``recur forecast DIR``: a trained forecaster's forecast of a series, written as CSV and as a
picture beside the history (and, with ``--hold-out``, the truth and the errors)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import torch

from recur.atomic import write_atomically
from recur.data.table import Table, read_table
from recur.errors import RecurError

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


def forecast_arguments(parser) -> None:
    parser.add_argument("--data", help="a CSV with the model's columns (default: the series it was trained on)")
    parser.add_argument("--horizon", type=int, default=None, help="steps to forecast (default: the trained horizon)")
    parser.add_argument("--hold-out", action="store_true",
                        help="hide the last HORIZON rows, forecast them and score the forecast against them")
    parser.add_argument("--out", default="forecast",
                        help="path prefix of the files written: PREFIX.csv and PREFIX.png (default: forecast)")


def run_forecast(model, args) -> int:
    """``model``: a ``recur.tasks.forecast.Forecaster``."""
    table = read_table(args.data or model.default_series(), model.columns)
    horizon = model.horizon if args.horizon is None else args.horizon
    if not 1 <= horizon <= model.horizon:
        raise RecurError(f"--horizon: this model forecasts 1 to {model.horizon} steps; asked for {horizon}")
    history, truth = (table.values[:-horizon], table.values[-horizon:]) if args.hold_out else (table.values, None)
    if args.hold_out and len(history) < 1:
        raise RecurError(f"{table.source}: {len(table)} rows leave no history before the last {horizon}")
    predicted = model.forecast(history, horizon)
    files = write_forecast(args.out, table, history, predicted, truth)
    scores = {} if truth is None else {"error": model.scaled_errors(predicted, truth)}
    print(json.dumps({**files, "horizon": horizon, "origin": table.times[len(history) - 1], **scores}))
    return 0
