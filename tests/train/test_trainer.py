"""The trainer: exact resume, Ctrl-C, non-finite steps, checkpoints that never pickle."""

import json
from pathlib import Path

import pytest
import torch

import recur
from recur.train import checkpoint
from recur.train.task import Selection
from recur.train.trainer import TrainConfig, Trainer

SMALL = dict(cell="lstm", hidden=16, layers=2, embedding=8, dropout=0.1)  # dropout: RNG state matters
DATA = recur.CharDataConfig(seq_len=16, batch_size=4)


def make_task(text, seed=0):
    torch.manual_seed(seed)  # the initial weights; the trainer seeds its own randomness (dropout)
    return recur.CharLMTask.from_text(text, DATA, **SMALL)


def weights(folder):
    return checkpoint.read_tensors(Path(folder) / "last", "model")


def assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0)


@pytest.mark.parametrize("schedule", ["constant", "cosine"])
def test_resume_20_plus_20_equals_40_straight(tmp_path, small_text, schedule):
    straight = TrainConfig(max_steps=40, eval_every=15, schedule=schedule, lr=1e-2)
    Trainer(make_task(small_text), straight, tmp_path / "straight").fit()

    if schedule == "constant":  # stop by budget, then raise the budget
        Trainer(make_task(small_text), TrainConfig(max_steps=20, eval_every=15, schedule=schedule, lr=1e-2),
                tmp_path / "split").fit()
    else:  # the schedule depends on the budget: stop at 20 as Ctrl-C would
        first = Trainer(make_task(small_text), straight, tmp_path / "split")
        first.task.train_loss = stop_after(first, 20, first.task.train_loss)
        assert first.fit()["interrupted"]
    assert checkpoint.read_json(tmp_path / "split" / "last", "trainer_state")["step"] == 20
    Trainer(make_task(small_text), straight, tmp_path / "split").fit(resume=True)
    assert_same_weights(weights(tmp_path / "straight"), weights(tmp_path / "split"))


def stop_after(trainer, steps, train_loss):
    def wrapped():
        if trainer.progress.step + 1 >= steps:
            trainer.request_stop()
        return train_loss()
    return wrapped


def test_checkpoint_layout_is_safetensors_and_json_only(tmp_path, small_text):
    summary = Trainer(make_task(small_text), TrainConfig(max_steps=12, eval_every=6), tmp_path).fit()
    assert summary["step"] == 12
    for folder in ("last", "best"):
        files = {p.name for p in (tmp_path / folder).iterdir()}
        assert {"config.json", "model.safetensors", "trainer_state.json"} <= files
        assert all(name.endswith((".json", ".safetensors")) for name in files)
    assert {"optimizer.safetensors", "state.safetensors"} <= {p.name for p in (tmp_path / "last").iterdir()}
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if "val_loss" in r] == [6, 12]
    assert all(r["chars_per_s"] > 0 for r in records if "loss" in r)


def test_best_checkpoint_tracks_lowest_validation_loss(tmp_path, small_text):
    Trainer(make_task(small_text), TrainConfig(max_steps=30, eval_every=10, lr=1e-2), tmp_path).fit()
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    val = {r["step"]: r["val_loss"] for r in records if "val_loss" in r}
    best = checkpoint.read_json(tmp_path / "best", "trainer_state")
    assert best["val"]["loss"] == min(val.values()) and best["step"] == min(val, key=val.get)


def test_a_task_may_select_best_on_a_higher_is_better_metric(tmp_path, small_text):
    """A task's ``selection`` replaces the lowest loss, e.g. classification's dev accuracy."""
    task = make_task(small_text)
    scores = iter([0.2, 0.5, 0.4])  # loss falls all along; the score peaks at the second evaluation
    evaluate = task.evaluate
    task.evaluate = lambda: {**evaluate(), "score": next(scores)}
    task.selection = Selection("score", higher_is_better=True)
    summary = Trainer(task, TrainConfig(max_steps=30, eval_every=10, lr=1e-2), tmp_path).fit()
    assert summary["best_score"] == 0.5 and checkpoint.read_json(tmp_path / "best", "trainer_state")["step"] == 20


def test_a_checkpoint_written_before_selection_resumes(tmp_path, small_text):
    Trainer(make_task(small_text), TrainConfig(max_steps=4, eval_every=4), tmp_path).fit()
    state_file = tmp_path / "last" / "trainer_state.json"
    state = json.loads(state_file.read_text())
    state["best_loss"] = state.pop("best_score")  # the field's old name
    state_file.write_text(json.dumps(state))
    summary = Trainer(make_task(small_text), TrainConfig(max_steps=6, eval_every=4), tmp_path).fit(resume=True)
    assert summary["step"] == 6 and summary["best_loss"] is not None


def test_refuses_to_overwrite_an_existing_run(tmp_path, small_text):
    Trainer(make_task(small_text), TrainConfig(max_steps=2, eval_every=2), tmp_path).fit()
    with pytest.raises(recur.RecurError, match="already holds a checkpoint"):
        Trainer(make_task(small_text), TrainConfig(max_steps=2, eval_every=2), tmp_path).fit()


def test_non_finite_loss_skips_the_step_and_keeps_the_last_good_checkpoint(tmp_path, small_text, capsys):
    config = TrainConfig(max_steps=10, eval_every=5)
    good = Trainer(make_task(small_text), config, tmp_path)
    good.fit()
    before = weights(tmp_path)
    poisoned = Trainer(make_task(small_text), TrainConfig(max_steps=20, eval_every=5), tmp_path)
    poisoned.task.train_loss = lambda: torch.tensor(float("nan"), requires_grad=True)
    with pytest.raises(recur.RecurError, match="non-finite steps in a row.*untouched"):
        poisoned.fit(resume=True)
    assert "is not finite; step skipped" in capsys.readouterr().err
    assert_same_weights(before, weights(tmp_path))
    assert checkpoint.read_json(tmp_path / "last", "trainer_state")["step"] == 10


def test_a_write_cut_between_renames_leaves_a_loadable_checkpoint(tmp_path, small_text):
    Trainer(make_task(small_text), TrainConfig(max_steps=4, eval_every=4), tmp_path).fit()
    (tmp_path / "last").rename(tmp_path / "last.old")  # as if stopped right after the first rename
    assert checkpoint.resolve(tmp_path / "last") == tmp_path / "last.old"
    Trainer(make_task(small_text), TrainConfig(max_steps=6, eval_every=4), tmp_path).fit(resume=True)
    assert checkpoint.read_json(tmp_path / "last", "trainer_state")["step"] == 6


@pytest.mark.parametrize("bad, message", [
    (dict(max_steps=None, minutes=None), "exactly one of"),
    (dict(max_steps=5, lr=0), "lr must be > 0, got 0"),
    (dict(max_steps=5, clip_mode="sideways"), "unknown clip-mode"),
    (dict(max_steps=-1), "max-steps must be >= 1, got -1"),
    (dict(max_steps=5, lr=float("nan")), "lr must be a finite number"),
    (dict(max_steps=5, clip=-1), "clip must be >= 0"),
    (dict(max_steps=5, min_lr_ratio=2), r"min-lr-ratio must be in \[0, 1\]"),
    (dict(max_steps=5, weight_decay=-1), "weight-decay must be >= 0"),
    (dict(minutes=float("inf")), "minutes must be a finite number"),
    (dict(max_steps="5"), "max-steps must be an integer"),
])
def test_bad_train_config_refused(bad, message):
    with pytest.raises(recur.RecurError, match=message):
        TrainConfig(**bad)


def test_a_stream_task_moves_its_data_with_the_model(small_text, tmp_path):
    task = make_task(small_text)
    summary = Trainer(task, TrainConfig(max_steps=3, eval_every=3), tmp_path, device=torch.device("cpu")).fit()
    assert summary["step"] == 3
    moved = task.to(torch.device("cpu"))
    assert moved is task and task.train_stream.inputs.device.type == "cpu" and task.val_ids.device.type == "cpu"
    task.to(torch.device("meta"))  # another device, without a GPU: every tensor the task reads goes with it
    assert {task.train_stream.inputs.device.type, task.train_stream.targets.device.type,
            task.val_ids.device.type} == {"meta"}
