"""Forecasting quality: recur's forecasters against persistence, seasonal naive and a Kalman filter,
on ETTh1 (Informer's protocol, univariate and multivariate, horizons 24/48/168) and the classic
series, all in one run.

Each row trains a forecaster through the same task ``recur train forecast`` runs, for a fixed time
budget (the ESN's read-out is solved in closed form, in seconds, whatever the budget), and scores
the checkpoint ``best/`` (lowest validation value of the training loss, MSE unless ``--losses``
says otherwise) on the test windows. In the
same run, every test window is also forecast by:
  * persistence and seasonal naive (``recur.models.naive_forecasts``), as ``recur eval`` prints;
  * a Kalman filter: a statsmodels structural model per column (a local level plus a trigonometric
    seasonal component with up to 3 harmonics), its variances fitted by maximum likelihood on the
    training rows, then run forward (filtering only, never smoothing) over the whole series, so
    that each origin's forecast uses only the rows before it.
Errors are MSE / MAE on the z-scored scale (training-row statistics), over every test window.

    pip install statsmodels
    python bench/forecast.py                       # bench/results/forecast.json (2 minutes of training per ETTh1 row)
    python bench/forecast.py --minutes 0.2 --only airline,aapl   # a quick look
    python bench/forecast.py --only etth1 --features all --cells lstm --losses mse,mae \
        --out bench/results/forecast_losses.json     # MSE- against MAE-trained, paired in one run
    python bench/forecast.py --markdown bench/results/forecast.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import time
import warnings
from pathlib import Path

import torch

import recur
from recur.data.series_catalog import series_spec
from recur.tasks import forecast
from recur.train.trainer import Trainer, TrainConfig
from results_file import add_markdown_option, saved_rows, write_results

RESULTS = Path(__file__).resolve().parent / "results"
MAX_HARMONICS = 3

# (name, series, features, horizon, model options, minutes as a share of --minutes)
ROWS = [
    *[(f"etth1 univariate {h}", "etth1", "target", h, {}, 1.0) for h in (24, 48, 168)],
    *[(f"etth1 multivariate {h}", "etth1", "all", h, {}, 1.0) for h in (24, 48, 168)],
    ("etth1 univariate 24, ESN", "etth1", "target", 24, {"cell": "esn", "hidden": 400}, 1.0),
    *[(f"{s}", s, "target", None, {}, 0.5) for s in ("airline", "sunspots", "temperatures", "aapl")],
    *[(f"{s}, ESN", s, "target", None, {"cell": "esn", "hidden": 400}, 0.5)
      for s in ("airline", "sunspots", "temperatures", "aapl")],
]


def kalman_filter(series, train_end: int, season: int):
    """A structural model's variances fitted on ``series[:train_end]`` by maximum likelihood, then run
    forward over the whole series: ``(filtered states [T, k], transition [k, k], design [1, k])``."""
    from statsmodels.tsa.statespace.structural import UnobservedComponents

    spec = {"level": "local level", "freq_seasonal": [{"period": season, "harmonics": min(MAX_HARMONICS, season // 2)}]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter from the optimiser
        fitted = UnobservedComponents(series[:train_end], **spec).fit(disp=False)
        full = UnobservedComponents(series, **spec)
        filtered = full.filter(fitted.params)
    k = filtered.filtered_state.shape[0]
    return (torch.from_numpy(filtered.filtered_state.T.copy()),  # row t: the state given rows 0..t
            torch.from_numpy(full.ssm["transition"].reshape(k, k).copy()),  # time-invariant
            torch.from_numpy(full.ssm["design"].reshape(1, k).copy()))


def kalman_forecasts(filters: list, origins: range, horizon: int) -> torch.Tensor:
    """``[len(origins), horizon, C]``: from each origin's last observed row, the state carried forward
    by the transition and read by the design matrix, one column's filter at a time."""
    columns = []
    for states, transition, design in filters:
        state = states[torch.tensor(list(origins)) - 1]
        steps = []
        for _ in range(horizon):
            state = state @ transition.T
            steps.append(state @ design.T)
        columns.append(torch.cat(steps, dim=1))
    return torch.stack(columns, dim=-1)


def run_row(name, series, features, horizon, model_options, minutes, loss, workdir: Path) -> dict:
    torch.manual_seed(0)
    data_options = {"series": series, "features": features, "loss": loss, **({"horizon": horizon} if horizon else {})}
    task = forecast.new_task(None, data_options, model_options)
    out = workdir / f"{name.replace(' ', '_').replace(',', '')}_{loss}"
    started = time.perf_counter()
    Trainer(task, TrainConfig(minutes=minutes, eval_every=100, log_every=50), out).fit()
    seconds = time.perf_counter() - started
    model = recur.load(out)
    config = json.loads((out / "best" / "config.json").read_text())
    held = forecast.held_out(config)
    scores = {split: model.evaluate(split_data.data) for split, split_data in held.items()}
    test = scores["test"]
    row = {"name": name, "series": series, "features": features, "loss": loss, "horizon": task.data.horizon,
           "seq_len": task.data.seq_len, "model": {"cell": task.model_config.cell, "hidden": task.model_config.hidden,
                                                    "layers": task.model_config.layers},
           "train_seconds": seconds, "steps": json.loads((out / "last" / "trainer_state.json").read_text())["step"],
           "valid": {k: scores["valid"][k] for k in ("mse", "mae")}, "test": {k: test[k] for k in ("mse", "mae")},
           "persistence": {k: test[f"persistence_{k}"] for k in ("mse", "mae")},
           "seasonal_naive": {k: test[f"seasonal_naive_{k}"] for k in ("mse", "mae")},
           "test_windows": model.count(held["test"].data)}
    return row


def add_kalman(rows: list[dict]) -> None:
    """Kalman-filter errors on each row's test windows; one filter per series column, fitted once."""
    filters = {}
    for row in rows:
        spec = series_spec(row["series"])
        data = forecast.ForecastDataConfig(series=row["series"], features=row["features"],
                                           horizon=row["horizon"]).resolved()
        table = forecast.series_table(data)
        train_end, val_end, test_end = spec.borders(len(table))
        z = forecast.Scaling.of(table.values[:train_end]).apply(table.values)
        started = time.perf_counter()
        for c, column in enumerate(table.columns):
            if (row["series"], column) not in filters:
                filters[row["series"], column] = kalman_filter(z[:test_end, c].numpy(), train_end, spec.season)
        origins = range(val_end, test_end - row["horizon"] + 1)
        predicted = kalman_forecasts([filters[row["series"], c] for c in table.columns], origins, row["horizon"])
        truth = torch.stack([z[t : t + row["horizon"]] for t in origins])
        row["kalman"] = {**forecast.errors(predicted, truth), "seconds": time.perf_counter() - started}


def markdown(rows: list[dict]) -> str:
    lines = ["| series | horizon | model | loss | test MSE | test MAE | persistence | seasonal naive | Kalman | training |",
             "| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        def pair(scores):
            return f"{scores['mse']:.3f} / {scores['mae']:.3f}"
        lines.append(f"| {r['name'].split(',')[0]} | {r['horizon']} | {r['model']['cell']} {r['model']['layers']}×"
                     f"{r['model']['hidden']} | {r.get('loss', 'mse').upper()} | "
                     f"{r['test']['mse']:.3f} | {r['test']['mae']:.3f} | "
                     f"{pair(r['persistence'])} | {pair(r['seasonal_naive'])} | "
                     f"{pair(r['kalman']) if 'kalman' in r else '—'} | {r['train_seconds'] / 60:.1f} min |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=2.0, help="training budget of an ETTh1 row (default 2)")
    parser.add_argument("--only", default=None, help="comma-separated series to run (default: all)")
    parser.add_argument("--cells", default=None, help="comma-separated cells to run, e.g. esn (default: all)")
    parser.add_argument("--features", choices=forecast.FEATURES, default=None,
                        help="run only the rows of these features (default: both)")
    parser.add_argument("--losses", default="mse", help="comma-separated training losses, each row run once per "
                        f"loss: {', '.join(forecast.LOSSES)} (default mse; the ESN rows take mse only)")
    parser.add_argument("--no-kalman", action="store_true", help="skip the Kalman filter (no statsmodels)")
    parser.add_argument("--out", type=Path, default=RESULTS / "forecast.json")
    add_markdown_option(parser)
    args = parser.parse_args()
    if args.markdown:
        print(markdown(saved_rows(args.markdown)))
        return
    if not args.no_kalman:
        try:
            import statsmodels  # noqa: F401
        except ImportError:
            raise SystemExit("bench/forecast.py needs statsmodels for the Kalman yardstick: pip install statsmodels "
                             "(or pass --no-kalman)") from None
    torch.set_num_threads(min(2, torch.get_num_threads()))
    only = set(args.only.split(",")) if args.only else None
    cells = set(args.cells.split(",")) if args.cells else None
    losses = args.losses.split(",")
    if unknown := set(losses) - set(forecast.LOSSES):
        raise SystemExit(f"--losses: unknown {', '.join(sorted(unknown))}; choose from {', '.join(forecast.LOSSES)}")
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for (name, series, features, horizon, options, share), loss in itertools.product(ROWS, losses):
            if ((only and series not in only) or (cells and options.get("cell", "lstm") not in cells)
                    or (args.features and features != args.features)
                    or (options.get("cell") == "esn" and loss != "mse")):
                continue
            row = run_row(name, series, features, horizon, options, args.minutes * share, loss, Path(workdir))
            rows.append(row)
            print(f"{name}, {loss} loss: test MSE {row['test']['mse']:.4f} MAE {row['test']['mae']:.4f} "
                  f"(persistence {row['persistence']['mse']:.4f}, seasonal naive {row['seasonal_naive']['mse']:.4f})",
                  flush=True)
    if not args.no_kalman:
        add_kalman(rows)
    print(markdown(rows))
    write_results({"benchmark": "forecasting against persistence, seasonal naive and Kalman",
                   "minutes_per_etth1_row": args.minutes, "torch": torch.__version__,
                   "threads": torch.get_num_threads(), "rows": rows}, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
