"""The output folder of one training run, kept by one process at a time.

    refuse_a_second_start   a fresh run in a folder that holds a checkpoint is refused
    RunLock(out)            an exclusive lock (``flock`` on ``out/.lock``, which holds the owner's
                            PID): a second ``recur train`` on the same folder is refused naming that
                            PID; the kernel drops the lock when the owner dies, even by SIGKILL
    remove_leftovers(out)   what a killed write left behind: temporary checkpoint folders (``.last.*``,
                            ``.best.*``) and temporary files of run.json and metrics.jsonl
    rewind_metrics(out, s)  drop ``metrics.jsonl`` records past step ``s``: after a kill, the steps
                            between the last checkpoint and the kill are trained again on resume and
                            would otherwise be logged twice
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path

from recur.atomic import leftovers_of, write_atomically
from recur.errors import RecurError
from recur.train import checkpoint
from recur.train.run_log import RUN_LOG

LOCK_FILE = ".lock"
CHECKPOINT_NAMES = ("last", "best")
METRICS = "metrics.jsonl"


class RunLock:
    """``with RunLock(out):`` holds ``out`` for this process; refused in one line if another holds it."""

    def __init__(self, out: Path):
        self.out, self.handle = Path(out), None

    def __enter__(self) -> RunLock:  # noqa: PYI034 - typing.Self needs Python 3.11
        self.out.mkdir(parents=True, exist_ok=True)
        path = self.out / LOCK_FILE
        handle = open(path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "another process"
            handle.close()
            raise RecurError(f"{self.out} is in use by a training run (PID {owner}); wait for it to end, "
                             "stop it, or choose another --out") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self.handle = handle
        return self

    def __exit__(self, *exc) -> None:
        if self.handle is not None:
            self.handle.close()  # releases the lock; the file stays (removing it would race a waiting run)
            self.handle = None


def refuse_a_second_start(out: Path) -> None:
    """A fresh run may not start in a folder that already holds a checkpoint (it would overwrite it)."""
    if (checkpoint.resolve(Path(out) / "last") / "config.json").exists():
        raise RecurError(f"{out} already holds a checkpoint; pass --resume to continue it or choose another --out")


def remove_leftovers(out: Path) -> list[Path]:
    """Remove the temporary checkpoint folders and files killed writes left in ``out``; returns them.
    Only called under ``RunLock``, so no write of another process is in flight."""
    removed = []
    for name in CHECKPOINT_NAMES:
        for path in Path(out).glob(f".{name}.*"):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    for name in (RUN_LOG, METRICS):  # the files of the folder written with recur.atomic
        for path in leftovers_of(Path(out) / name):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def rewind_metrics(out: Path, step: int) -> int:
    """Keep the ``metrics.jsonl`` records up to ``step`` (and any line that is not a record, as it
    is); returns how many were dropped. The file is rewritten atomically."""
    path = Path(out) / METRICS
    if not path.exists():
        return 0
    kept, dropped = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record_step = json.loads(line).get("step")
        except (ValueError, AttributeError):
            record_step = None
        if isinstance(record_step, int) and record_step > step:
            dropped += 1
        else:
            kept.append(line)
    if dropped:
        text = "".join(f"{line}\n" for line in kept)
        write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return dropped
