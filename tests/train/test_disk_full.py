"""A disk that fills up during a checkpoint write, at each stage of it (config.json, each safetensors file,
trainer_state.json, the flush to disk, the two renames): the previous checkpoint survives whole (it loads, at its
step), the error is one line naming the checkpoint folder, no temporary folder is left; and `recur train` meeting
it prints that line, exits 2, and resumes from the checkpoint kept. The disk fills by monkeypatching (raising what
a full disk raises, measured on a full tmpfs), and, where this user may mount one, on a real full tmpfs."""

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
import torch
from safetensors import SafetensorError

from recur.cli import main
from recur.errors import RecurError
from recur.tasks import checkpoint_folder
from recur.train import checkpoint

NO_SPACE = os.strerror(errno.ENOSPC)
SAFETENSORS_NO_SPACE = "Error while serializing: I/O error: No space left on device (os error 28)"  # its own words
GROUPS = ("model", "optimizer", "state")
FILES = ("config.json", "model.safetensors", "optimizer.safetensors", "state.safetensors", "trainer_state.json")
STAGES = (*FILES, "flush", "rename away", "rename into place")
TINY = ["--hidden", "8", "--layers", "1", "--embedding", "4", "--seq-len", "8", "--batch-size", "2"]


class FullDisk:
    """Fills the disk at ``stage`` of the ``nth`` write of the checkpoint ``name`` (counted from
    when it is installed): that step raises what a full disk raises, after half-writing its file."""

    def __init__(self, monkeypatch, stage: str, name: str = "last", nth: int = 1):
        self.stage, self.name, self.left, self.armed = stage, name, nth, False
        write, save, write_json, durable, rename = (checkpoint.write_checkpoint, checkpoint.save_file,
                                                    checkpoint._write_json, checkpoint.durable, Path.rename)

        def counting(folder, *args, **kwargs):
            self.left -= Path(folder).name == self.name
            self.armed = self.left == 0
            try:
                return write(folder, *args, **kwargs)
            finally:
                self.armed = False

        def full_save(tensors, path, *args, **kwargs):
            self._fill(Path(path), SafetensorError(SAFETENSORS_NO_SPACE))
            return save(tensors, path, *args, **kwargs)

        def full_write_json(path, data):
            self._fill(Path(path), OSError(errno.ENOSPC, NO_SPACE))
            return write_json(path, data)

        def full_durable(path):
            if self.armed and stage == "flush":
                raise OSError(errno.ENOSPC, NO_SPACE)  # ext4's delayed allocation reports a full disk at fsync
            return durable(path)

        def full_rename(source, target):
            into_place = Path(source).name.startswith(".")
            if self.armed and stage == ("rename into place" if into_place else "rename away"):
                raise OSError(errno.ENOSPC, NO_SPACE, str(source), None, str(target))  # a folder that cannot grow
            return rename(source, target)

        for owner, attribute, replacement in ((checkpoint, "write_checkpoint", counting),
                                              (checkpoint, "save_file", full_save),
                                              (checkpoint, "_write_json", full_write_json),
                                              (checkpoint, "durable", full_durable), (Path, "rename", full_rename)):
            monkeypatch.setattr(owner, attribute, replacement)

    def _fill(self, path: Path, error: Exception) -> None:
        if self.armed and path.name == self.stage:
            path.write_bytes(b"\0" * 100)  # what fitted before the disk filled
            raise error


def write_last(out: Path, step: int, size: int = 3) -> None:
    """A checkpoint with the files the trainer's last/ has, at ``step``: each tensor ``size`` copies of it."""
    checkpoint.write_checkpoint(out / "last", {"task": "x", "step": step},
                                {group: {"w": torch.full((size,), float(step))} for group in GROUPS},
                                {"trainer_state": {"step": step}})


def saved_step(out: Path) -> int:
    """The step of the checkpoint in ``out`` that recur would load, checked to be whole."""
    folder = checkpoint.resolve(out / "last")
    step = checkpoint.read_json(folder, "trainer_state")["step"]
    assert checkpoint.read_config(folder)["step"] == step
    assert all((checkpoint.read_tensors(folder, group)["w"] == step).all() for group in GROUPS)
    return step


def assert_refused_in_one_line(refused, out: Path) -> None:
    message = str(refused.value)
    assert message.startswith(f"{out / 'last'}: could not write the checkpoint (")
    assert "No space left on device" in message and "previous checkpoint" in message and "\n" not in message
    assert ".last." not in message  # the temporary folder is no business of the user's


@pytest.mark.parametrize("stage", STAGES)
def test_the_previous_checkpoint_survives_a_disk_that_fills_at_each_stage(tmp_path, monkeypatch, stage):
    write_last(tmp_path, 1)
    FullDisk(monkeypatch, stage)
    with pytest.raises(RecurError) as refused:
        write_last(tmp_path, 2)
    assert_refused_in_one_line(refused, tmp_path)
    assert saved_step(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) in (["last"], ["last.old"])


@pytest.mark.parametrize("stage", ["model.safetensors", "rename into place"])
def test_a_full_disk_after_a_write_cut_between_its_renames_keeps_the_old_copy(tmp_path, monkeypatch, stage):
    write_last(tmp_path, 1)
    (tmp_path / "last").rename(tmp_path / "last.old")  # as a kill between the two renames leaves it
    FullDisk(monkeypatch, stage)
    with pytest.raises(RecurError) as refused:
        write_last(tmp_path, 2)
    assert_refused_in_one_line(refused, tmp_path)
    assert saved_step(tmp_path) == 1


@pytest.mark.parametrize("stage", ["optimizer.safetensors", "rename into place"])
def test_recur_train_on_a_full_disk_says_so_in_one_line_and_resumes_after(tmp_path, monkeypatch, capsys,
                                                                          shakespeare_file, stage):
    out = tmp_path / "run"
    FullDisk(monkeypatch, stage, nth=2)  # last/ is written at step 2, then the disk is full at step 4
    assert main(["train", "charlm", "--data", str(shakespeare_file), "--out", str(out), *TINY, "--max-steps", "6",
                 "--eval-every", "2"]) == 2
    err = capsys.readouterr().err
    assert err.endswith("\n") and err.splitlines()[-1].startswith(f"recur: error: {out / 'last'}: could not write the "
                                                                  "checkpoint (")  # on a line of its own
    assert "Traceback" not in err and err.count("recur: error") == 1
    assert checkpoint.read_json(checkpoint.resolve(out / "last"), "trainer_state")["step"] == 2
    monkeypatch.undo()  # space is freed
    assert main(["sample", str(out), "--length", "20"]) == 0 and capsys.readouterr().out
    assert main(["train", "charlm", "--out", str(out), "--resume"]) == 0
    assert checkpoint.read_json(out / "last", "trainer_state")["step"] == 6
    assert not [p.name for p in out.iterdir() if p.name.startswith(".") and p.name != ".lock"]
    assert checkpoint_folder(out).name == "best"


def fill(path: Path, leaving: int) -> None:
    """Write ``path`` until the disk is full, then give back ``leaving`` bytes."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        os.ftruncate(fd, max(0, os.fstat(fd).st_size - leaving))
    finally:
        os.close(fd)


def noting(write, names: list[str]):
    """``write(data, path)`` or ``write(path, data)`` that first appends the file's name to ``names``."""
    def noted(*args, **kwargs):
        names.append(next(Path(a).name for a in args if isinstance(a, (str, Path))))
        return write(*args, **kwargs)
    return noted


def fill_page_by_page(folder: Path, most_free: int) -> list[dict]:
    """On a small filesystem at ``folder``: for each count of free pages from 0 to ``most_free``, write
    a checkpoint at step 1, fill the disk leaving that many pages, write one at step 2. Returns, for
    each, the file being written when the disk filled (None if none did), the error and the step kept."""
    page, trials, writing = os.sysconf("SC_PAGE_SIZE"), [], []
    for name in ("save_file", "_write_json"):
        mock.patch.object(checkpoint, name, noting(getattr(checkpoint, name), writing)).start()  # in its own process
    for free in range(most_free + 1):
        shutil.rmtree(folder / "run", ignore_errors=True)
        (folder / "filler").unlink(missing_ok=True)
        write_last(folder / "run", 1, size=1500)  # some 6 kB a tensor: each file spans pages
        fill(folder / "filler", leaving=free * page)
        writing.clear()
        try:
            write_last(folder / "run", 2, size=1500)
            trials.append({"free": free, "stage": None, "error": None, "step": saved_step(folder / "run")})
        except RecurError as err:
            left = sorted(p.name for p in (folder / "run").iterdir())
            trials.append({"free": free, "stage": writing[-1], "error": str(err), "step": saved_step(folder / "run"),
                           "left": left})
    return trials


def test_on_a_real_full_tmpfs_every_file_of_the_write_meets_the_full_disk_and_the_last_checkpoint_survives(tmp_path):
    """A 256 kB tmpfs in a mount namespace of this user's own (where the system allows one; else skipped)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)]
    if not shutil.which("unshare") or subprocess.run(["unshare", "-rm", *mount], capture_output=True).returncode:
        pytest.skip("this user may not mount a tmpfs in a namespace of its own (unshare -rm)")
    script = ("import json, subprocess, sys; from pathlib import Path; subprocess.run(sys.argv[3:], check=True); "
              "sys.path.insert(0, sys.argv[1]); import test_disk_full; "
              "print(json.dumps(test_disk_full.fill_page_by_page(Path(sys.argv[2]), 12)))")
    here = str(Path(__file__).parent)
    run = subprocess.run(["unshare", "-rm", sys.executable, "-c", script, here, str(disk), *mount], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    trials = json.loads(run.stdout.strip().splitlines()[-1])
    assert {t["stage"] for t in trials} == {*FILES, None}  # the disk filled in each file, and at last there was room
    for trial in trials:
        if trial["error"]:
            assert trial["step"] == 1 and trial["left"] == ["last"], trial
            assert "\n" not in trial["error"] and "No space left on device" in trial["error"], trial
            assert trial["error"].endswith("/disk/run/last is kept"), trial
        else:
            assert trial["step"] == 2, trial
