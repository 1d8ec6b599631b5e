"""Forecasting: CSV parsing and its refusals, the yardsticks' formulas, the Informer windows, the
window normalisation, short real-data runs that beat persistence, and the shell commands."""

import json

import pytest
import torch

from recur.cli import main
from recur.data.series_catalog import SERIES
from recur.data.table import read_table
from recur.errors import RecurError
from recur.tasks import forecast

TINY = ["--hidden", "32", "--batch-size", "32"]


def test_windows_follow_the_informer_borders():
    table = read_table(SERIES["etth1"].path(), ["OT"])
    assert len(table) == 17420 and SERIES["etth1"].borders(len(table)) == (8640, 11520, 14400)
    task = forecast.new_task(None, {"horizon": 24, "seq_len": 96}, {"hidden": 8})
    assert task.train_x.shape == (8640 - 96 - 24 + 1, 96, 1) and task.val_x.shape == (2880 - 24 + 1, 96, 1)
    z = task.scaling.apply(table.values)
    assert abs(float(z[:8640].mean())) < 1e-9 and abs(float(z[:8640].std(unbiased=False)) - 1) < 1e-9
    # the first validation window reads the 96 training rows before row 8640 and forecasts rows 8640..8663
    torch.testing.assert_close(task.val_x[0], z[8544:8640].float())
    torch.testing.assert_close(task.val_y[0], z[8640:8664].float())
    torch.testing.assert_close(task.train_y[-1], z[8616:8640].float())


def test_an_esn_forecaster_is_solved_in_closed_form_and_beats_persistence(tmp_path, capsys):
    out = tmp_path / "esn"
    assert main(["train", "forecast", "--series", "temperatures", "--cell", "esn", "--hidden", "200",
                 "--out", str(out), "--max-steps", "50"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["step"] == 0  # no gradient steps: one ridge solve
    assert main(["eval", str(out)]) == 0
    test = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["test"]
    assert test["mse"] < 0.9 * test["persistence_mse"], test


def test_the_training_loss_is_mse_or_mae_and_picks_best_by_itself():
    torch.manual_seed(0)
    task = {loss: forecast.new_task(None, {"series": "airline", "loss": loss}, {"hidden": 8})
            for loss in ("mse", "mae")}
    task["mae"].model.load_state_dict(task["mse"].model.state_dict())
    batch = torch.tensor(task["mse"].order.next_batch())  # the same shuffle seed: mae's first batch too
    predicted, truth = task["mse"].model(task["mse"].train_x[batch]), task["mse"].train_y[batch]
    torch.testing.assert_close(task["mae"].train_loss(), (predicted - truth).abs().mean())
    scores = {loss: t.evaluate() for loss, t in task.items()}
    assert scores["mse"]["loss"] == scores["mse"]["mse"] and scores["mae"]["loss"] == scores["mae"]["mae"]
    assert scores["mse"]["mae"] == scores["mae"]["mae"]  # the same weights: the same errors
    with pytest.raises(RecurError, match="unknown loss 'huber'; choose one of: mse, mae"):
        forecast.new_task(None, {"series": "airline", "loss": "huber"}, {"hidden": 8})
    with pytest.raises(RecurError, match="--loss mae: a esn encoder is not trained.*ridge regression"):
        forecast.new_task(None, {"series": "airline", "loss": "mae"}, {"cell": "esn", "hidden": 8})


def test_held_out_splits_hold_exactly_the_protocols_windows(capsys, tmp_path):
    out = tmp_path / "run"
    assert main(["train", "forecast", "--series", "airline", "--out", str(out), "--max-steps", "2", *TINY]) == 0
    capsys.readouterr()
    assert main(["eval", str(out)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    # airline: 144 months, the last 24 for test and the 24 before for validation; one 24-month window each
    assert result["test"]["windows"] == 1 and result["valid"]["windows"] == 1
    assert result["test"]["data"].endswith("airline-passengers.csv rows 120-143")
    assert set(result["test"]) >= {"mse", "mae", "persistence_mse", "seasonal_naive_mae"}


@pytest.mark.slow
@pytest.mark.parametrize("series, options", [
    ("temperatures", []),
    ("etth1", ["--features", "all", "--seq-len", "48"]),
])
def test_a_short_run_beats_persistence(series, options, tmp_path, capsys):
    out = tmp_path / series
    assert main(["train", "forecast", "--series", series, *options, "--out", str(out), "--max-steps", "150",
                 "--eval-every", "150", "--lr", "0.005", *TINY]) == 0
    capsys.readouterr()
    assert main(["eval", str(out)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for split in ("valid", "test"):
        scores = result[split]
        assert scores["mse"] < 0.9 * scores["persistence_mse"], (split, scores)


def test_shell_forecast_writes_csv_and_png_and_refuses_bad_requests(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "forecast", "--series", "aapl", "--horizon", "5", "--out", str(out), "--max-steps", "3",
                 *TINY]) == 0
    capsys.readouterr()
    prefix = str(tmp_path / "f")
    assert main(["forecast", str(out), "--hold-out", "--horizon", "4", "--out", prefix]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["horizon"] == 4 and answer["origin"] == "2017-02-10" and set(answer["error"]) == {"mse", "mae"}
    lines = (tmp_path / "f.csv").read_text().splitlines()
    assert lines[0] == "step,time,AAPL.Close,AAPL.Close_truth" and len(lines) == 5
    assert lines[1].startswith("1,2017-02-13,") and lines[1].endswith(",133.289993")
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob(".*tmp*"))  # written through temporary files, renamed into place

    bad = tmp_path / "bad.csv"
    bad.write_text("Date,AAPL.Close\n2017-01-01,120\n2017-01-02,n/a\n")
    for argv, message in ((["forecast", str(out), "--horizon", "6"], "forecasts 1 to 5 steps; asked for 6"),
                          (["forecast", str(out), "--data", str(bad)], "bad.csv, line 3, column AAPL.Close"),
                          (["eval", str(out), "--data", str(bad)], "line 3, column AAPL.Close: 'n/a' is not a number"),
                          (["predict", str(out), "hello"], "a forecast model; 'recur predict' needs a model of "
                                                           "classify"),
                          (["sample", str(out)], "'recur sample' needs a model of charlm or wordlm"),
                          (["export", str(out), "--onnx", str(tmp_path / "x.onnx")], "a model of charlm or wordlm"),
                          (["train", "forecast", "--out", str(tmp_path / "x"), "--series", "tides"],
                           "argument --series: invalid choice: 'tides'"),
                          (["train", "forecast", "--out", str(tmp_path / "x"), "--embedding", "8"],
                           "unrecognized arguments: --embedding 8")):
        assert main(argv) == 2, argv
        assert message in capsys.readouterr().err


def test_a_series_too_short_to_train_on_is_refused_with_the_real_minimum():
    """airline holds out its last 24 + 24 rows and a window is 24 read + 24 forecast: 96 rows are the
    fewest that train (the refusal said "needs at least 30 rows, got 30" for 30)."""
    table = read_table(SERIES["airline"].path(), ["Passengers"])
    data = forecast.ForecastDataConfig(series="airline").resolved()
    for rows in (30, 95):
        with pytest.raises(RecurError, match=f"{rows} rows; series airline needs at least 96 to train"):
            forecast.training_borders(data, table.rows(0, rows))
    assert forecast.training_borders(data, table.rows(0, 96)) == (48, 72, 96)
    with pytest.raises(RecurError, match="--horizon 30 is longer than the 24 validation rows"):
        forecast.training_borders(forecast.ForecastDataConfig(series="airline", horizon=30).resolved(), table)
    with pytest.raises(RecurError, match="8640 training rows, fewer than one window of 9000 read and 24"):
        forecast.training_borders(forecast.ForecastDataConfig(seq_len=9000).resolved(),
                                  read_table(SERIES["etth1"].path(), ["OT"]))
    with pytest.raises(RecurError, match="series airline needs at least 49 rows for its split, got 30"):
        SERIES["airline"].borders(30)


@pytest.mark.parametrize("options, message", [
    ({"horizon": 0}, "horizon must be >= 1, got 0"),
    ({"seq_len": -3}, "seq-len must be >= 1, got -3"),
    ({"batch_size": 0}, "batch-size must be >= 1, got 0"),
    ({"horizon": 2.5}, "horizon must be an integer"),
    ({"series": "moon"}, "unknown series 'moon'"),
    ({"features": "some"}, "unknown features 'some'"),
])
def test_data_settings_are_checked_from_their_declared_ranges(options, message):
    with pytest.raises(RecurError, match=message):
        forecast.ForecastDataConfig(**options)
