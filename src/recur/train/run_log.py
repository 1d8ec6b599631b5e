"""``run.json``: how a run folder came to be, one record per training session (a fresh start, then
each ``--resume``): the command, when it started and ended, the steps it took and the machine it ran
on (``recur.machine``). ``recur info`` reads it back, so every number a run reports names its source.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from recur.atomic import write_json_atomically
from recur.machine import machine_info

RUN_LOG = "run.json"


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def read_sessions(out: Path) -> list[dict]:
    """The sessions recorded in ``out/run.json`` (none if the run predates it or the file is unreadable)."""
    try:
        return json.loads((Path(out) / RUN_LOG).read_text(encoding="utf-8"))["sessions"]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def data_fingerprint(path: str | Path) -> dict | None:
    """``{"path", "sha256"}`` of a data file, or of a folder's files (names and contents, in sorted
    order): what ``--resume`` compares to refuse training on other data. None when ``path`` is empty
    (bundled data) or unreadable."""
    if not path:
        return None
    path = Path(path)
    digest = hashlib.sha256()
    try:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(path) if path.is_dir() else "").encode())
            with open(file, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
    except OSError:
        return None
    return {"path": str(path.resolve()), "sha256": digest.hexdigest()}


def recorded_data(out: Path) -> dict | None:
    """The data fingerprint the run's first session recorded, if any."""
    return next((s["data"] for s in read_sessions(out) if isinstance(s.get("data"), dict)), None)


def start_session(out: Path, command: str | None, step: int, data: dict | None = None, processes: int = 1
                  ) -> list[dict]:
    """Append a session that starts now at ``step`` (on ``data``, a ``data_fingerprint``; trained by
    ``processes`` DDP ranks, the machine being rank 0's); returns the sessions to pass to ``end_session``."""
    session = {"command": command or "python API (recur.Trainer)", "started": now(), "from_step": step,
               "processes": processes, "machine": machine_info()}
    if data:
        session["data"] = data
    sessions = [*read_sessions(out), session]
    write_json_atomically(Path(out) / RUN_LOG, {"sessions": sessions})
    return sessions


def end_session(out: Path, sessions: list[dict], step: int, elapsed: float, interrupted: bool) -> None:
    """Close the last session: when it ended, the step reached and the run's training seconds so far."""
    sessions[-1].update(ended=now(), to_step=step, elapsed_total=elapsed, interrupted=interrupted)
    write_json_atomically(Path(out) / RUN_LOG, {"sessions": sessions})
