"""``recur forecast DIR``: a trained forecaster's forecast of a series, written as CSV and as a
picture beside the history (and, with ``--hold-out``, the truth and the errors).

The CSV and the picture are in the series' own units. With ``--hold-out`` two sets of errors are
printed, each named with its units (``units`` in the JSON):

    error       MSE and MAE of z = (x − μ) / σ, μ and σ the training rows' per column: the scale of
                ``recur eval`` and of every table in docs/forecast.md
    raw_error   per column, MSE (units²) and MAE (units) of the values as in the CSV
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import torch

from recur.atomic import write_atomically
from recur.checks import number_flag
from recur.data.table import Table, read_table
from recur.errors import RecurError
from recur.viz.time_axis import time_step

PLOT_HISTORY = 96  # history shown: at least this many steps, or four horizons

# What the bundled series' column codes mean (ETTh1: Zhou et al.'s ETDataset README; the others:
# recur/assets/timeseries/SOURCE.md), for the picture's labels; a column not listed keeps its code.
READABLE_COLUMNS = {
    "HUFL": "high useful load", "HULL": "high useless load", "MUFL": "middle useful load",
    "MULL": "middle useless load", "LUFL": "low useful load", "LULL": "low useless load",
    "OT": "oil temperature", "Passengers": "passengers (thousands)", "Sunspots": "sunspot number",
    "Temp": "minimum temperature (°C)", "AAPL.Close": "closing price (USD)",
}
UNITS = {"error": "z-scored: (x - mean) / std with the training rows' mean and std per column, as 'recur eval' "
                  "reports",
         "raw_error": "each column's own units, as in the CSV (MSE in units squared)"}


def column_label(code: str) -> str:
    """The readable name above the code (``"oil temperature\\n(OT)"`` for ``"OT"``); the code alone where
    no readable name is known."""
    return f"{READABLE_COLUMNS[code]}\n({code})" if code in READABLE_COLUMNS else code


def raw_errors(columns: list[str], predicted: torch.Tensor, truth: torch.Tensor) -> dict[str, dict[str, float]]:
    """Per column, MSE = mean over steps of (ŷ − y)² and MAE = mean of |ŷ − y|, in the column's units."""
    difference = predicted.double() - truth.double()  # [H, C]
    return {column: {"mse": float((difference[:, c] ** 2).mean()), "mae": float(difference[:, c].abs().mean())}
            for c, column in enumerate(columns)}


def write_forecast(prefix: str, table: Table, history: torch.Tensor, predicted: torch.Tensor,
                   truth: torch.Tensor | None = None) -> dict[str, str]:
    """``PREFIX.csv`` (step, then per column the forecast; when the truth is known, its time label
    and the true values too) and ``PREFIX.png``; returns both paths."""
    from recur.viz.forecast_plot import (
        plot_forecast,  # matplotlib loads only when a picture is drawn
    )

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
    shown = history[-max(4 * len(predicted), PLOT_HISTORY):]
    step = time_step(table.times[len(history) - len(shown) : len(history)])
    png_path = plot_forecast(Path(prefix + ".png"), [column_label(c) for c in columns], shown, predicted, truth,
                             title=f"{Path(table.source).name}: {len(predicted)} {step or 'step'}{'s' * (len(predicted) > 1)} "
                                   f"after {origin}",
                             step=step)
    return {"csv": str(csv_path.resolve()), "png": str(png_path.resolve())}


def forecast_arguments(parser) -> None:
    parser.add_argument("--data", help="a CSV with the model's columns (default: the series it was trained on)")
    parser.add_argument("--horizon", type=number_flag(int, at_least=1), default=None, help="steps to forecast (default: the trained horizon)")
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
    scores = {} if truth is None else {"error": model.scaled_errors(predicted, truth),
                                       "raw_error": raw_errors(table.columns, predicted, truth), "units": UNITS}
    print(json.dumps({**files, "horizon": horizon, "origin": table.times[len(history) - 1], **scores}))
    return 0
