"""Hostile inputs to ``recur train``, ``--resume`` and edited checkpoints: each refused in one line."""

import json
import math

import pytest

from recur.train.run_folder import RunLock

TINY = ["--hidden", "16", "--layers", "1", "--seq-len", "16", "--batch-size", "4"]


@pytest.fixture
def train_args(shakespeare_file, tmp_path):
    return ["train", "charlm", "--data", shakespeare_file, "--out", tmp_path / "run", *TINY, "--max-steps", "2"]


@pytest.mark.parametrize("flags, fragments", [
    (["--lr", "nan"], ["argument --lr", "finite"]),
    (["--lr", "0"], ["argument --lr", "> 0"]),
    (["--weight-decay", "-1"], ["--weight-decay", ">= 0"]),
    (["--weight-decay", "nan"], ["--weight-decay", "finite"]),
    (["--minutes", "nan"], ["--minutes", "finite"]),
    (["--minutes", "inf"], ["--minutes", "finite"]),
    (["--clip", "-1"], ["--clip", ">= 0"]),
    (["--clip", "nan"], ["--clip", "finite"]),
    (["--min-lr-ratio", "2"], ["--min-lr-ratio", "in [0, 1]"]),
    (["--dropout", "1"], ["--dropout", "[0, 1)"]),
    (["--eval-every", "0"], ["--eval-every", ">= 1"]),
    (["--hidden", "1e3"], ["--hidden", "an integer"]),
    (["--seed", "-1"], ["--seed", "in [0,"]),
    (["--hidden", "100000"], ["hidden size 100000", "GiB", "this machine has"]),
    (["--hiden", "8"], ["unrecognized arguments", "did you mean --hidden?"]),
    (["--cell", "lsmt"], ["invalid choice", "did you mean lstm?"]),
    (["--threads", "0"], ["--threads", "[1,"]),
    (["--cell-option", "bias=maybe"], ["option bias must be true or false"]),
    (["--cell-option", "bias=7"], ["option bias must be true or false, got 7"]),
    (["--cell", "irnn", "--cell-option", "identity_scale=x"], ["identity_scale must be a number"]),
    (["--cell", "esn", "--cell-option", "density=x"], ["density must be a number"]),
    (["--cell", "esn", "--cell-option", "seed=x"], ["seed must be an integer"]),
    (["--cell", "esn", "--cell-option", "spectral_radius=big"], ["spectral_radius must be a number"]),
    (["--cell", "esn", "--cell-option", "spectral_radius=[1]"], ["spectral_radius must be a number"]),
    (["--cell", "esn", "--cell-option", "spectral_radius=NaN"], ["spectral_radius must be a finite number"]),
    (["--cell", "esn", "--cell-option", "spectral_radius=true"], ["spectral_radius must be a number"]),
    (["--cell", "depth-gated", "--cell-option", "lower_memory=x"], ["has no option lower_memory"]),
    (["--cell-option", "nonsense"], ["NAME=VALUE"]),
])
def test_bad_training_flags(refused, train_args, flags, fragments):
    refused([*train_args, *flags], *fragments)


def test_cuda_refused_where_absent(refused, train_args):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    refused([*train_args, "--device", "cuda"], "--device cuda", "use --device cpu")


def test_resume_where_nothing_was_trained(refused, tmp_path):
    refused(["train", "charlm", "--out", tmp_path / "nowhere", "--resume", "--hidden", "16"], "nothing to resume")


@pytest.fixture
def trained(train_tiny_charlm, tmp_path):
    return train_tiny_charlm(tmp_path / "run", steps=4)


def test_resume_accepts_repeated_settings_and_refuses_changes(refused, trained, capsys):
    from recur.cli import main
    base = ["train", "charlm", "--out", trained, "--resume"]
    assert main([*map(str, base), "--hidden", "32", "--layers", "1", "--max-steps", "6"]) == 0  # equal: fine
    capsys.readouterr()
    refused([*base, "--hidden", "64"], "cannot change --hidden", "has 32, given 64")
    refused([*base, "--optimizer", "sgd"], "cannot change --optimizer", "'adam', given 'sgd'")
    refused([*base, "--seed", "5"], "cannot change --seed", "has 1234, given 5")


def test_resume_refuses_a_spent_budget_and_other_data(refused, trained, tmp_path):
    base = ["train", "charlm", "--out", trained, "--resume"]
    refused(base, "reached step 4 of --max-steps 4", "give a larger one")
    refused([*base, "--max-steps", "2"], "reached step 4 of --max-steps 2")
    other = tmp_path / "other.txt"
    other.write_text("quite another text\n" * 300, encoding="utf-8")
    refused([*base, "--data", other, "--max-steps", "8"], "is not the data this run trained on")


def test_resume_refuses_changed_data(refused, shakespeare_file, tmp_path):
    from recur.cli import main
    data = tmp_path / "text.txt"
    data.write_text(shakespeare_file.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "run"
    assert main(["train", "charlm", "--data", str(data), "--out", str(out), *TINY, "--max-steps", "2"]) == 0
    data.write_text("changed\n" * 500, encoding="utf-8")
    refused(["train", "charlm", "--out", out, "--resume", "--max-steps", "4"], "has changed since")


def test_a_folder_in_use_is_refused_naming_the_pid(refused, train_args, tmp_path):
    import os
    with RunLock(tmp_path / "run"):
        refused(train_args, "in use by a training run", f"PID {os.getpid()}")


def edit(path, change):
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize("change, fragments", [
    (lambda c: c["model"].update(hidden="32"), ["config.json: hidden must be an integer, got '32'"]),
    (lambda c: c["model"].update(dropout=math.nan) or None, ["dropout must be a finite number"]),
    (lambda c: c.update(vocab=c["vocab"][:5]), ["vocabulary has 5 entries but vocab_size is"]),
    (lambda c: c["model"].pop("hidden") and c["model"].update(width=3), ["unknown model settings: width"]),
    (lambda c: c.pop("model"), ["no \"model\" settings"]),
])
@pytest.mark.parametrize("verb", [["sample"], ["eval"], ["export", "--onnx", "x.onnx"]])
def test_edited_checkpoints_are_refused(refused, trained, change, fragments, verb):
    for folder in ("best", "last"):
        edit(trained / folder / "config.json", change)
    refused([verb[0], trained, *verb[1:]], *fragments)


def test_edited_training_state_is_refused_on_resume(refused, trained):
    edit(trained / "last" / "trainer_state.json", lambda s: s.pop("position"))
    refused(["train", "charlm", "--out", trained, "--resume", "--max-steps", "8"], "training state does not match")


def test_resume_accepts_the_same_data_moved(shakespeare_file, tmp_path, capsys):
    from recur.cli import main
    data = tmp_path / "text.txt"
    data.write_text(shakespeare_file.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "run"
    assert main(["train", "charlm", "--data", str(data), "--out", str(out), *TINY, "--max-steps", "2"]) == 0
    moved = data.rename(tmp_path / "moved.txt")
    assert main(["train", "charlm", "--out", str(out), "--resume", "--data", str(moved), "--max-steps", "4"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["step"] == 4


def test_unknown_training_settings_are_refused_on_resume(refused, trained):
    edit(trained / "last" / "trainer_state.json", lambda s: s["train_config"].update(warp=9))
    refused(["train", "charlm", "--out", trained, "--resume", "--max-steps", "8"], "unknown training settings warp")


@pytest.mark.parametrize("argv, fragments", [
    (["train", "caption", "--channels", "100000"], ["channels=100000", "GiB", "this machine has"]),
    (["train", "music", "--output", "nade", "--nade-hidden", "100000000"], ["nade_hidden=100000000", "GiB"]),
    (["train", "copy", "--hidden", "100000"], ["hidden=100000", "GiB"]),
])
def test_every_tasks_model_too_big_for_the_machine_is_refused_before_it_is_built(refused, tmp_path, argv, fragments,
                                                                                  progression):
    data = ["--data", progression[0](tmp_path / "chords.json")] if argv[1] == "music" else []
    refused([*argv, *data, "--out", tmp_path / "run", "--max-steps", "1"], *fragments)


def test_an_allocation_that_fails_while_training_is_one_line(refused, train_args, monkeypatch):
    """Past the check on weights (activations of a huge batch, say): one line, not 'a bug in recur'."""
    from recur.train.trainer import Trainer

    def fit(self, resume=False):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: "
                           "you tried to allocate 18000000000000 bytes.\nmore")
    monkeypatch.setattr(Trainer, "fit", fit)
    line = refused(train_args, "out of memory", "can't allocate memory", "choose smaller sizes")
    assert "bug in recur" not in line
