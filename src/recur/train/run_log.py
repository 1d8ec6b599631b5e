"""``run.json``: how a run folder came to be, one record per training session (a fresh start, then
each ``--resume``): the command, when it started and ended, the steps it took and the machine it ran
on (``recur.machine``). ``recur info`` reads it back, so every number a run reports names its source.
"""

from __future__ import annotations

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


def start_session(out: Path, command: str | None, step: int) -> list[dict]:
    """Append a session that starts now at ``step``; returns the sessions to pass to ``end_session``."""
    sessions = [*read_sessions(out), {"command": command or "python API (recur.Trainer)", "started": now(),
                                      "from_step": step, "machine": machine_info()}]
    write_json_atomically(Path(out) / RUN_LOG, {"sessions": sessions})
    return sessions


def end_session(out: Path, sessions: list[dict], step: int, elapsed: float, interrupted: bool) -> None:
    """Close the last session: when it ended, the step reached and the run's training seconds so far."""
    sessions[-1].update(ended=now(), to_step=step, elapsed_total=elapsed, interrupted=interrupted)
    write_json_atomically(Path(out) / RUN_LOG, {"sessions": sessions})
