"""The trainer's reactions to its validation scores, on a task whose scores are scripted: the plateau
schedule divides the learning rate, early stopping ends the run, a diverged model is never kept as best."""

import json

import torch
from torch import nn

from recur.train.trainer import TrainConfig, Trainer


class ScriptedTask:
    """One weight trained towards 1; validation losses read from a script, one per evaluation."""
    items_per_step, item_name = 1, "items"

    def __init__(self, validation_losses):
        self.model = nn.Linear(1, 1, bias=False)
        self.script = list(validation_losses)

    def config(self):
        return {"task": "scripted"}

    def train_loss(self):
        return ((self.model.weight - 1) ** 2).sum() + 1.0  # the untrained loss is about 1-2

    def evaluate(self):
        return {"loss": self.script.pop(0)}

    def state(self):
        return {}, {}

    def load_state(self, position, tensors):
        pass


def records(out):
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def test_plateau_divides_the_learning_rate_when_validation_stalls(tmp_path):
    config = TrainConfig(max_steps=40, eval_every=10, log_every=10, lr=0.1, schedule="plateau", patience=1,
                         plateau_factor=4, min_lr_ratio=0.01)
    Trainer(ScriptedTask([1.0, 1.5, 1.4, 0.9]), config, tmp_path).fit()
    lrs = [r["lr"] for r in records(tmp_path) if "lr" in r]
    assert lrs == [0.1, 0.1, 0.025, 0.00625]  # stalled after step 10 and again after step 20


def test_early_stopping_ends_the_run_after_patience_runs_out(tmp_path):
    summary = Trainer(ScriptedTask([1.0, 1.1, 1.2, 0.5]), TrainConfig(max_steps=100, eval_every=10, early_stop=2),
                      tmp_path).fit()
    assert summary["stopped_early"] and summary["step"] == 30


def test_a_diverged_model_is_not_kept_as_best(tmp_path, capsys):
    torch.manual_seed(0)
    summary = Trainer(ScriptedTask([1e6, 2e6]), TrainConfig(max_steps=20, eval_every=10), tmp_path).fit()
    err = capsys.readouterr().err
    assert summary["diverged"] and summary["best_loss"] is None
    assert not (tmp_path / "best").exists() and (tmp_path / "last" / "config.json").exists()
    assert "diverged: not kept as best" in err and "warning: training diverged" in err


def test_a_task_that_cannot_move_is_refused_off_the_cpu(tmp_path):
    import pytest

    from recur.errors import RecurError
    with pytest.raises(RecurError, match="trains on the CPU only for now, not on meta"):
        Trainer(ScriptedTask([1.0]), TrainConfig(max_steps=1), tmp_path, device="meta")
