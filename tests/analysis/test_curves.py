"""What a run's loss measures (read from its checkpoint's config.json), and the refusals of a
metrics.jsonl that is not what 'recur train' writes."""

import json

import pytest

from recur.analysis.curves import UNKNOWN_LOSS, loss_name, read_curves
from recur.errors import RecurError


@pytest.mark.parametrize("config, name", [
    ({"task": "charlm"}, "cross-entropy (nats/char)"),
    ({"task": "wordlm"}, "cross-entropy (nats/word)"),
    ({"task": "classify"}, "cross-entropy (nats/sentence)"),
    ({"task": "forecast", "data": {"loss": "mse"}}, "MSE (z-scored values)"),
    ({"task": "forecast", "data": {"loss": "mae"}}, "MAE (z-scored values)"),
    ({"task": "forecast", "data": {}}, "MSE (z-scored values)"),  # the default loss
    ({"task": "tides"}, UNKNOWN_LOSS),
])
def test_each_task_names_its_loss(config, name):
    assert loss_name(config) == name


def write_run(folder, records, config=None, where="best"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.jsonl").write_text("\n".join(map(json.dumps, records)) + "\n")
    if config is not None:
        (folder / where).mkdir()
        (folder / where / "config.json").write_text(json.dumps(config))
    return folder


def test_the_loss_is_named_from_the_runs_checkpoint(tmp_path):
    records = [{"step": 10, "loss": 0.5, "grad_norm": 1.0}, {"step": 10, "val_loss": 0.6, "val_mse": 0.6}]
    run = write_run(tmp_path / "forecast", records, {"task": "forecast", "data": {"loss": "mse"}}, where="last")
    curves = read_curves(run)
    assert curves.loss == "MSE (z-scored values)" and curves.best_validation() == 0.6 and curves.steps() == 10
    assert read_curves(run / "metrics.jsonl").loss == "MSE (z-scored values)"  # the file named directly
    assert read_curves(write_run(tmp_path / "bare", records)).loss == UNKNOWN_LOSS  # no checkpoint beside it


def test_a_diverged_runs_non_finite_values_are_left_out(tmp_path):
    (tmp_path / "metrics.jsonl").write_text('{"step": 1, "loss": 2.0}\n{"step": 2, "loss": Infinity}\n'
                                            '{"step": 3, "loss": NaN, "grad_norm": true}\n')
    curves = read_curves(tmp_path)
    assert curves.train == {"loss": [(1, 2.0)]}


@pytest.mark.parametrize("content, message", [
    (b'[1, 2]\n', "line 1: not a JSON record"),
    (b'{"step": true, "loss": 1}\n', "line 1: no integer 'step'"),
    (b'{"step": 1, "loss": 1}\n' + b"[" * 100_000 + b"\n", "line 2: not a JSON record"),
    (b'\xff\xfe{"step": 1}\n', "not UTF-8 text"),
    (b'\n\n', "no training records"),
])
def test_bad_metrics_files_are_refused_in_one_line(tmp_path, content, message):
    (tmp_path / "metrics.jsonl").write_bytes(content)
    with pytest.raises(RecurError, match=message):
        read_curves(tmp_path)
