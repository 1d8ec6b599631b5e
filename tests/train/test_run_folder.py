"""The run folder: one process at a time, leftovers removed, metrics rewound, files as the umask says,
a full disk reported in one line with the last good checkpoint kept."""

import errno
import json
import os
import stat

import pytest
import torch

from recur.errors import RecurError
from recur.train import checkpoint
from recur.train.run_folder import RunLock, remove_leftovers, rewind_metrics


def test_a_second_lock_on_a_folder_is_refused_and_released_after(tmp_path):
    with RunLock(tmp_path), pytest.raises(RecurError, match=f"in use by a training run \\(PID {os.getpid()}\\)"):
        RunLock(tmp_path).__enter__()
    with RunLock(tmp_path):  # released: taken again
        pass


def test_leftovers_of_killed_writes_are_removed(tmp_path):
    for name in (".last.abc", ".best.x1", "keep"):
        (tmp_path / name).mkdir()
    removed = remove_leftovers(tmp_path)
    assert sorted(p.name for p in removed) == [".best.x1", ".last.abc"]
    assert (tmp_path / "keep").is_dir()


def test_metrics_past_the_checkpoint_are_dropped(tmp_path):
    lines = [json.dumps({"step": s, "loss": 1.0}) for s in (10, 20, 30)] + [json.dumps({"step": 20, "val_loss": 2})]
    (tmp_path / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    assert rewind_metrics(tmp_path, 20) == 1
    steps = [json.loads(line)["step"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert steps == [10, 20, 20]


def test_checkpoint_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        checkpoint.write_checkpoint(tmp_path / "last", {"task": "x"}, {"model": {"w": torch.zeros(2)}})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "last").stat().st_mode) == 0o755
    for name in ("config.json", "model.safetensors"):
        assert stat.S_IMODE((tmp_path / "last" / name).stat().st_mode) == 0o644


def test_a_full_disk_names_the_folder_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    checkpoint.write_checkpoint(tmp_path / "last", {"task": "x", "n": 1}, {"model": {"w": torch.zeros(2)}})

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(checkpoint, "save_file", full)
    with pytest.raises(RecurError) as refused:
        checkpoint.write_checkpoint(tmp_path / "last", {"task": "x", "n": 2}, {"model": {"w": torch.ones(2)}})
    message = str(refused.value)
    assert message.startswith(f"{tmp_path / 'last'}: could not write the checkpoint (No space left on device)")
    assert "previous checkpoint" in message and "is kept" in message and ".last." not in message
    assert checkpoint.read_config(tmp_path / "last")["n"] == 1
    assert not list(tmp_path.glob(".last.*"))
