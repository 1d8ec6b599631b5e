"""What happened to one hostile input, for the fuzz tests and ``bench/fuzz.py``.

    "read"      the input was read (or the command ran) to a well-formed result
    "refused"   it was refused in one line (of at most 2,000 characters) naming the file (or, for a
                command, exit 2 and one ``error:`` line on stderr)
    "failure"   anything else: an exception the user would see as a traceback, an internal error,
                a refusal of several lines or naming no file, a malformed result, a hang

``time_limit`` turns a hang into a failure: the case is stopped after ``seconds``.
"""

from __future__ import annotations

import contextlib
import signal
import traceback
from dataclasses import dataclass
from pathlib import Path

READ, REFUSED, FAILURE = "read", "refused", "failure"
SECONDS_PER_CASE = 30
LONGEST_REFUSAL = 2000  # characters: a refusal that echoes a huge line floods the terminal


@dataclass(frozen=True)
class Verdict:
    outcome: str  # READ, REFUSED or FAILURE
    detail: str = ""  # for a failure: what went wrong, and where

    @property
    def failed(self) -> bool:
        return self.outcome == FAILURE


class Hang(BaseException):
    """Raised into a case that ran past its time limit (a BaseException: no ``except Exception``
    in the code under test may swallow it)."""


@contextlib.contextmanager
def time_limit(seconds: float = SECONDS_PER_CASE):
    def stop(signum, frame):
        raise Hang(f"still running after {seconds:g} s")
    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def crash(err: BaseException) -> Verdict:
    """A failure for an exception that escaped: its type, message and the deepest line of recur."""
    frames = traceback.extract_tb(err.__traceback__)
    ours = [f for f in frames if "/recur/" in f.filename] or frames
    where = f" at {Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else ""
    return Verdict(FAILURE, f"{type(err).__name__}: {str(err)[:200]!r}{where}")


def refusal(message: str, names: list[str]) -> Verdict:
    """REFUSED if ``message`` is one line, not too long, holding one of ``names`` (the files), else a
    failure."""
    if len(message.splitlines()) != 1:
        return Verdict(FAILURE, f"a refusal of {len(message.splitlines())} lines: {message[:300]!r}")
    if len(message) > LONGEST_REFUSAL:
        return Verdict(FAILURE, f"a refusal of {len(message):,} characters: {message[:300]!r}")
    if names and not any(name in message for name in names):
        return Verdict(FAILURE, f"a refusal that names no file: {message[:300]!r}")
    return Verdict(REFUSED)
