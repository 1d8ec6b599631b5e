"""``recur forecast``'s picture and printout: columns by their readable names, the x axis in the
series' time step, and every printed error named with its units (z-scored, or the CSV's own)."""

import csv

import pytest
import torch

from recur.cli import main
from recur.tasks.forecast_verb import UNITS, column_label, raw_errors

TINY = ["--hidden", "8", "--batch-size", "8", "--max-steps", "2", "--eval-every", "2"]


def test_columns_get_their_readable_names():
    assert column_label("OT") == "oil temperature\n(OT)"
    assert column_label("my_sensor") == "my_sensor"


def test_raw_errors_are_per_column_in_the_columns_units():
    predicted, truth = torch.tensor([[1.0, 10.0], [2.0, 30.0]]), torch.tensor([[1.0, 20.0], [4.0, 30.0]])
    assert raw_errors(["a", "b"], predicted, truth) == {"a": {"mse": 2.0, "mae": 1.0}, "b": {"mse": 50.0, "mae": 5.0}}


def test_a_hold_out_forecast_says_which_units_each_error_is_in(tmp_path, capsys, last_json):
    run = tmp_path / "airline"
    assert main(["train", "forecast", "--series", "airline", "--horizon", "6", "--seq-len", "12", "--out", str(run),
                 *TINY]) == 0
    capsys.readouterr()
    assert main(["forecast", str(run), "--hold-out", "--out", str(tmp_path / "f")]) == 0
    answer = last_json()
    assert answer["units"] == UNITS and set(answer["error"]) == {"mse", "mae"}
    with open(tmp_path / "f.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    difference = [float(r["Passengers"]) - float(r["Passengers_truth"]) for r in rows]  # thousands, as in the CSV
    assert answer["raw_error"]["Passengers"]["mae"] == pytest.approx(sum(map(abs, difference)) / len(difference))
    assert answer["raw_error"]["Passengers"]["mae"] > 5 * answer["error"]["mae"]  # raw thousands vs z-scores
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
