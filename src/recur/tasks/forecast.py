"""Time-series forecasting: read ``seq_len`` steps, forecast the next ``horizon`` (seeds 001, 002).

Data: one of the bundled series (``--series``, see ``recur.data.series_catalog``), or a CSV with the
same columns given with ``--data``. ``--features target`` forecasts the series' target column from
its own past (Informer's "univariate"); ``--features all`` reads and forecasts every value column
("multivariate"). Values are z-scored with the mean and standard deviation of the training rows
(per column; Informer's scaling), and every error is reported on that scale:

    MSE = mean over windows, steps and columns of (ŷ − y)²,   MAE = mean of |ŷ − y|

Each held-out window is also forecast by the yardsticks persistence and seasonal naive
(``recur.models.naive_forecasts``), so ``recur eval`` prints the model beside them.

The training loss is the MSE (``loss="mse"``, the default) or the MAE (``loss="mae"``): an
MSE-trained forecast aims at the conditional mean, an MAE-trained one at the conditional median.

``ForecastTask`` is what the trainer trains (``best/`` keeps the lowest validation value of the
training loss);
``Forecaster`` is what ``recur.load`` returns.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from recur.checks import check_config
from recur.data.batches import EpochOrder, ShardsByOrder
from recur.data.series_catalog import SERIES, SeriesSpec, series_spec
from recur.data.table import Table, read_table
from recur.errors import RecurError
from recur.models.forecaster import ForecasterConfig, SequenceForecaster
from recur.models.memory import sized
from recur.models.naive_forecasts import persistence, seasonal_naive
from recur.modes import evaluation_mode
from recur.tasks.forecast_verb import forecast_arguments, run_forecast
from recur.tasks.spec import HeldOut, TaskSpec, Verb, data_source, saved_model_config

FEATURES = ("target", "all")
LOSSES = {"mse": torch.nn.functional.mse_loss, "mae": torch.nn.functional.l1_loss}
EVAL_BATCH = 512

@dataclass(frozen=True)
class ForecastDataConfig:
    series: str = field(default="etth1", metadata={"choices": tuple(SERIES), "help": "a bundled series"})
    features: str = field(default="target", metadata={
        "choices": FEATURES, "help": "target: the target column from its own past; all: every column"})
    horizon: int | None = field(default=None, metadata={"help": "steps forecast", "default_text": "set by --series",
                                                        "at_least": 1})
    seq_len: int | None = field(default=None, metadata={"help": "steps read", "default_text": "set by --series",
                                                        "at_least": 1})
    batch_size: int = field(default=64, metadata={"at_least": 1})
    loss: str = field(default="mse", metadata={"choices": tuple(LOSSES), "help": "the training objective"})
    # a CSV given with --data, recorded for resume and eval ("" = the bundled file)
    source: str = field(default="", metadata={"flag": False})
    shuffle_seed: int = field(default=0, metadata={"flag": False})

    def __post_init__(self):
        check_config(self)

    def resolved(self) -> ForecastDataConfig:
        """This config with the series' defaults written in."""
        spec = series_spec(self.series)
        return ForecastDataConfig(**{**asdict(self), "horizon": self.horizon or spec.horizon,
                                     "seq_len": self.seq_len or spec.seq_len})

    def columns(self) -> list[str]:
        spec = series_spec(self.series)
        return list(spec.columns) if self.features == "all" else [spec.target]


@dataclass(frozen=True)
class Scaling:
    """z = (x − mean) / std, per column, with the training rows' statistics."""
    mean: list[float]
    std: list[float]

    @staticmethod
    def of(values: torch.Tensor) -> Scaling:
        std = values.std(dim=0, unbiased=False)
        if bool((std == 0).any()):
            raise RecurError("a column is constant over the training rows; it cannot be z-scored")
        return Scaling(values.mean(dim=0).tolist(), std.tolist())

    def apply(self, values: torch.Tensor) -> torch.Tensor:
        return (values - torch.tensor(self.mean, dtype=values.dtype)) / torch.tensor(self.std, dtype=values.dtype)

    def invert(self, z: torch.Tensor) -> torch.Tensor:
        return z * torch.tensor(self.std, dtype=z.dtype) + torch.tensor(self.mean, dtype=z.dtype)


def windows(z: torch.Tensor, seq_len: int, horizon: int, first_origin: int | None = None,
            last_origin: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Every ``(input z[t−seq_len : t], target z[t : t+horizon])`` for origins t from
    ``first_origin`` (default seq_len) to ``last_origin`` (default len − horizon), as float32
    ``[N, seq_len, C]`` and ``[N, horizon, C]``."""
    first = seq_len if first_origin is None else first_origin
    last = len(z) - horizon if last_origin is None else last_origin
    if first < seq_len or last < first:
        raise RecurError(f"{len(z)} rows hold no window of {seq_len} steps read and {horizon} forecast")
    span = z[first - seq_len : last + horizon].float()
    frames = span.unfold(0, seq_len + horizon, 1).permute(0, 2, 1)  # [N, seq_len + horizon, C]
    return frames[:, :seq_len].contiguous(), frames[:, seq_len:].contiguous()


def errors(prediction: torch.Tensor, truth: torch.Tensor) -> dict[str, float]:
    difference = (prediction.double() - truth.double())
    return {"mse": float((difference ** 2).mean()), "mae": float(difference.abs().mean())}


@torch.no_grad()
def predict(model: SequenceForecaster, inputs: torch.Tensor) -> torch.Tensor:
    """The model's forecast of every window, in batches, in evaluation mode."""
    with evaluation_mode(model):
        return torch.cat([model(inputs[i : i + EVAL_BATCH]) for i in range(0, len(inputs), EVAL_BATCH)])


def series_path(data: ForecastDataConfig) -> Path:
    """``data.source`` if set, else the series' bundled file."""
    return Path(data.source) if data.source else series_spec(data.series).path()


def series_table(data: ForecastDataConfig) -> Table:
    """The series' columns, from ``data.source`` if set, else from the bundled file."""
    path = series_path(data)
    if not path.exists():
        raise RecurError(f"{path}: no such file (expected a CSV with columns {', '.join(data.columns())})")
    return read_table(path, data.columns())


def training_borders(data: ForecastDataConfig, table: Table) -> tuple[int, int, int]:
    """The series' split of ``table`` (``train_end, val_end, test_end``), refusing a table too short
    to train on: a whole training window (``seq_len`` read, ``horizon`` forecast) must lie in the
    training rows and a validation window's forecast in the validation rows."""
    spec = series_spec(data.series)
    window = data.seq_len + data.horizon
    if spec.fixed_borders is None:  # the held-out rows are the file's last ones, the rest trains
        needed = window + sum(spec.held_out)
        if len(table) < needed:
            raise RecurError(f"{table.source}: {len(table)} rows; series {spec.name} needs at least {needed} to train "
                             f"({window} for one training window of {data.seq_len} read and {data.horizon} forecast, "
                             f"then {sum(spec.held_out)} held out)")
    train_end, val_end, test_end = spec.borders(len(table))
    if train_end < window:
        raise RecurError(f"series {spec.name} has {train_end} training rows, fewer than one window of "
                         f"{data.seq_len} read and {data.horizon} forecast")
    if val_end - train_end < data.horizon:
        raise RecurError(f"--horizon {data.horizon} is longer than the {val_end - train_end} validation rows of "
                         f"series {spec.name}")
    return train_end, val_end, test_end


class ForecastTask(ShardsByOrder):
    """Trainer-facing: shuffled minibatches of training windows, scored by the training loss on
    the validation windows."""

    item_name = "windows"

    def __init__(self, model_config: ForecasterConfig, data: ForecastDataConfig, scaling: Scaling, table: Table):
        self.model_config, self.data, self.scaling = model_config, data, scaling
        self.model = sized(SequenceForecaster, model_config)
        train_end, val_end, _ = training_borders(data, table)
        z = scaling.apply(table.values)
        self.train_x, self.train_y = windows(z[:train_end], data.seq_len, data.horizon)
        self.val_x, self.val_y = windows(z[:val_end], data.seq_len, data.horizon, first_origin=train_end)
        self.items_per_step = data.batch_size
        self.order = EpochOrder(len(self.train_x), data.batch_size, data.shuffle_seed)
        if self.closed_form and data.loss != "mse":
            raise RecurError(f"--loss {data.loss}: a {model_config.cell} encoder is not trained, and its read-out "
                             f"is solved by ridge regression, which minimises the squared error (--loss mse)")

    @property
    def closed_form(self) -> bool:
        """True when the encoder has nothing to train (the ESN): the trainer then calls ``solve``
        once instead of stepping."""
        return not any(p.requires_grad for p in self.model.rnn.parameters())

    def solve(self) -> None:
        self.model.fit_head(self.train_x, self.train_y)

    def train_loss(self) -> torch.Tensor:
        batch = torch.tensor(self.order.next_batch())
        return LOSSES[self.data.loss](self.model(self.train_x[batch]), self.train_y[batch])

    def evaluate(self) -> dict[str, float]:
        scores = errors(predict(self.model, self.val_x), self.val_y)
        return {"loss": scores[self.data.loss], **scores}

    def config(self) -> dict:
        return {"task": "forecast", "model": asdict(self.model_config), "data": asdict(self.data),
                "columns": self.data.columns(), "scaling": asdict(self.scaling)}

    def state(self):
        return self.order.state(), {}

    def load_state(self, position: dict, tensors: dict) -> None:
        self.order.load_state(position)


def new_task(data_path: str | None, data_options: dict, model_options: dict) -> ForecastTask:
    """A fresh task on the series ``data_options["series"]`` (its bundled file, or the CSV ``data_path``)."""
    source = data_source(data_path)
    data = ForecastDataConfig(**data_options, source=source).resolved()
    table = series_table(data)
    train_end, _, _ = training_borders(data, table)
    scaling = Scaling.of(table.values[:train_end])
    model = ForecasterConfig(channels=len(data.columns()), horizon=data.horizon, **model_options)
    return ForecastTask(model, data, scaling, table)


def resumed_task(config: dict, data_path: str | None) -> ForecastTask:
    data = ForecastDataConfig(**{**config["data"], **({"source": data_path} if data_path else {})})
    return ForecastTask(ForecasterConfig(**config["model"]), data, Scaling(**config["scaling"]), series_table(data))


@dataclass(frozen=True)
class SeriesSplit:
    """Rows of a series to forecast: every window whose origin t runs from ``first_origin`` to
    ``len(table) − horizon``, each reading the rows before t; origins with fewer rows before them
    than the model's context are skipped, so every window has its full history."""
    table: Table
    first_origin: int


def held_out(config: dict) -> dict[str, HeldOut]:
    """``{"valid": HeldOut(SeriesSplit), "test": ...}``: the protocol's validation and test windows."""
    data = ForecastDataConfig(**config["data"])
    table = series_table(data)
    train_end, val_end, test_end = series_spec(data.series).borders(len(table))
    return {name: HeldOut(SeriesSplit(table.rows(0, stop), start), f"{table.source} rows {start}-{stop - 1}")
            for name, (start, stop) in (("valid", (train_end, val_end)), ("test", (val_end, test_end)))}


class Forecaster:
    """A trained forecaster: ``forecast`` from history, ``evaluate`` on a CSV's windows."""

    item_name = "windows"

    def __init__(self, model: SequenceForecaster, data: ForecastDataConfig, columns: list[str], scaling: Scaling):
        self.model, self.data, self.columns, self.scaling = model, data, columns, scaling
        self.spec: SeriesSpec = series_spec(data.series)

    @property
    def horizon(self) -> int:
        return self.model.config.horizon

    def _context(self) -> int:
        return max(self.data.seq_len, self.spec.season)

    def _windows(self, split: SeriesSplit) -> tuple[torch.Tensor, torch.Tensor]:
        """The split's windows, each with ``max(seq_len, season)`` rows of history."""
        context = self._context()
        if len(split.table) < context + self.horizon:
            raise RecurError(f"{split.table.source} has {len(split.table)} rows; a window needs {context} rows of "
                             f"history (seq_len {self.data.seq_len}, season {self.spec.season}) and {self.horizon} "
                             "to forecast")
        z = self.scaling.apply(split.table.values)
        return windows(z, context, self.horizon, first_origin=max(split.first_origin, context))

    def evaluate(self, split: SeriesSplit) -> dict[str, float]:
        """MSE and MAE (z-scored) of the model, persistence and seasonal naive on every window of ``split``."""
        history, truth = self._windows(split)
        scores = errors(predict(self.model, history[:, -self.data.seq_len :]), truth)
        for name, forecast in (("persistence", persistence(history, self.horizon)),
                               ("seasonal_naive", seasonal_naive(history, self.horizon, self.spec.season))):
            scores.update({f"{name}_{k}": v for k, v in errors(forecast, truth).items()})
        return scores

    def count(self, split: SeriesSplit) -> int:
        return len(self._windows(split)[0])

    def evaluation_data(self, path: str) -> SeriesSplit:
        """A CSV with the model's columns: every window that has its full history."""
        return SeriesSplit(read_table(path, self.columns), 0)

    def default_series(self) -> Path:
        """The file of the series the model was trained on."""
        return series_path(self.data)

    def scaled_errors(self, prediction: torch.Tensor, truth: torch.Tensor) -> dict[str, float]:
        """MSE and MAE on the training rows' z-scale, as every reported error is."""
        return errors(self.scaling.apply(prediction), self.scaling.apply(truth))

    def forecast(self, history: torch.Tensor, horizon: int | None = None) -> torch.Tensor:
        """The next ``horizon`` rows (default: the trained horizon) after ``history [T, C]``, in the
        series' own units."""
        horizon = self.horizon if horizon is None else horizon
        if not 1 <= horizon <= self.horizon:
            raise RecurError(f"this model forecasts 1 to {self.horizon} steps; asked for {horizon}")
        if history.dim() != 2 or history.shape[1] != len(self.columns):
            raise RecurError(f"history must be [steps, {len(self.columns)}] ({', '.join(self.columns)}), "
                             f"got {list(history.shape)}")
        if len(history) < self.data.seq_len:
            raise RecurError(f"the model reads {self.data.seq_len} steps; the history has {len(history)}")
        window = self.scaling.apply(history[-self.data.seq_len :].double()).float()[None]
        return self.scaling.invert(predict(self.model, window)[0, :horizon].double())


def untrained_model(config: dict) -> Forecaster:
    """A ``Forecaster`` shaped by a checkpoint's config, with fresh weights."""
    return Forecaster(SequenceForecaster(saved_model_config(config, ForecasterConfig)),
                      ForecastDataConfig(**config["data"]), config["columns"], Scaling(**config["scaling"]))


FORECAST = Verb("forecast", "forecast a series with a trained forecaster: CSV and PNG", Forecaster,
                forecast_arguments, run_forecast,
                description="Forecast the rows after a CSV's last row (or, with --hold-out, its last H rows from the "
                            "rows before them), writing the forecast as CSV and a PNG of history, forecast and truth.")

SPEC = TaskSpec(
    name="forecast", summary="time-series forecasting (ETTh1 and classic series are bundled; MSE/MAE)",
    data_help="a CSV with the series' columns (default: the bundled file of --series)",
    DataConfig=ForecastDataConfig, ModelConfig=ForecasterConfig, ready_type=Forecaster,
    new_task=new_task, resumed_task=resumed_task, held_out=held_out, untrained_model=untrained_model,
    verbs=(FORECAST,))
