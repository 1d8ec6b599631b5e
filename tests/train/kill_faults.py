"""SIGKILL at random moments of a tiny training run, and what must hold after each: the kill-and-check
code that ``bench/faults.py`` (200 kills) and ``tests/train/test_kill_faults.py`` (a handful) share.

A *chain* is one run folder. A tiny ``recur train charlm`` (it validates and writes ``best/`` and
``last/`` every EVAL_EVERY steps, so checkpoint writes fill much of its time) is killed at a drawn
``Moment``, checked, started again (``--resume``, or fresh where no checkpoint was saved yet), killed
again, ..., then resumed in this process to the end of its budget. After each kill:

    whole       every checkpoint recur would load (``checkpoint.resolve`` of last/ and best/, as
                ``--resume`` and ``recur sample`` pick them) has a config.json equal to the run's and a
                trainer_state.json at a step the uninterrupted reference run saved, and each of its
                safetensors files loads and is byte for byte what that run wrote at that step
    forward     last/ never goes back past a step an earlier check saw
    usable      ``recur sample OUT`` prints text; before any checkpoint it, and ``--resume``, refuse in
                one line
    resumable   the next start of the run does not fail
At a chain's end the resume exits 0 at the budget's last step with the reference's final files and
metrics (no step logged twice), and no temporary folder, ``.old`` copy or temporary file is left.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from unittest import mock

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from recur.cli import main
from recur.errors import RecurError
from recur.tasks import checkpoint_folder
from recur.train import checkpoint
from recur.train.run_folder import CHECKPOINT_NAMES, LOCK_FILE, METRICS

EVAL_EVERY = 2  # a validation and two checkpoint writes every other step
TINY = ["--hidden", "16", "--layers", "1", "--embedding", "8", "--seq-len", "16", "--batch-size", "4",
        "--eval-every", str(EVAL_EVERY), "--seed", "7"]
THREADS = ["--threads", "1"]  # one thread: the same numbers in every process, and a light load
VOLATILE = ("elapsed", "lr", "chars_per_s")  # metrics fields that differ between runs of the same steps
POLL_S = 0.002
EVENT_TIMEOUT_S = 120.0

# Where a kill lands, with its weight in the draw: while the process starts (import, data, lock);
# just after it takes the lock (leftovers removed, checkpoint restored, metrics rewound, run.json
# written); anywhere in training; or in a checkpoint write (the Nth temporary folder it makes).
MOMENTS = {"starting": 1, "after the lock": 2, "training": 2, "in a write": 5}


@dataclass(frozen=True)
class Moment:
    kind: str
    delay_s: float  # after the kind's event: the start, the lock, the Nth temporary folder
    write: int = 0  # "in a write": which temporary folder of the process to wait for


def draw_moments(rng: random.Random, count: int) -> list[Moment]:
    kinds = rng.choices(list(MOMENTS), weights=list(MOMENTS.values()), k=count)
    delays = {"starting": 3.0, "after the lock": 0.3, "training": 2.0, "in a write": 0.01}
    return [Moment(kind, rng.uniform(0, delays[kind]), rng.randint(1, 4) if kind == "in a write" else 0)
            for kind in kinds]


@dataclass
class Reference:
    """What the uninterrupted run saved: the config, and for each checkpoint and step the sha256 of
    each safetensors file; its metrics less the VOLATILE fields."""
    max_steps: int
    config: dict = field(default_factory=dict)
    saved: dict[str, dict[int, dict[str, str]]] = field(default_factory=lambda: {n: {} for n in CHECKPOINT_NAMES})
    metrics: list[dict] = field(default_factory=list)


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``recur ARGV`` in this process: exit status, stdout, stderr. The process keeps its thread count."""
    out, err, threads = io.StringIO(), io.StringIO(), torch.get_num_threads()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(argv)
    finally:
        torch.set_num_threads(threads)
    return status, out.getvalue(), err.getvalue()


def fresh_argv(out: Path, text: Path, max_steps: int) -> list[str]:
    return ["train", "charlm", "--data", str(text), "--out", str(out), *TINY, "--max-steps", str(max_steps), *THREADS]


def resume_argv(out: Path) -> list[str]:
    return ["train", "charlm", "--out", str(out), "--resume", *THREADS]


def reference_run(out: Path, text: Path, max_steps: int) -> Reference:
    """Train uninterrupted in this process, recording every checkpoint it writes."""
    reference, write = Reference(max_steps), checkpoint.write_checkpoint

    def recording(folder, config, tensors, json_files=None):
        write(folder, config, tensors, json_files)
        reference.config = json.loads(json.dumps(config))
        step = json_files["trainer_state"]["step"]
        reference.saved[Path(folder).name][step] = {g: file_digest(Path(folder) / f"{g}.safetensors") for g in tensors}

    with mock.patch.object(checkpoint, "write_checkpoint", recording):
        status, _, err = run_cli(fresh_argv(out, text, max_steps))
    if status != 0:
        raise RuntimeError(f"the reference run failed: {err.strip()[-500:]}")
    reference.metrics = steady_metrics(out)
    return reference


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def steady_metrics(out: Path) -> list[dict]:
    lines = (out / METRICS).read_text(encoding="utf-8").splitlines()
    return [{k: v for k, v in json.loads(line).items() if k not in VOLATILE} for line in lines]


# ---- one kill ----------------------------------------------------------------------------------

def start(out: Path, text: Path, max_steps: int, log: Path) -> subprocess.Popen:
    """The next process of the chain: a resume if a checkpoint was saved, else a fresh start."""
    resume = has_checkpoint(out, "last")
    argv = resume_argv(out) if resume else fresh_argv(out, text, max_steps)
    with open(log, "w") as stderr:  # a file, not a pipe: a pipe nobody reads would fill and stall it
        return subprocess.Popen([sys.executable, "-m", "recur.cli", *argv], stdout=subprocess.DEVNULL,
                                stderr=stderr, env={**os.environ, "OMP_NUM_THREADS": "1"})


def kill_at(proc: subprocess.Popen, out: Path, moment: Moment, stale: set) -> bool:
    """SIGKILL ``proc`` at ``moment``; False if it ended by itself first. ``stale``: the ``leftovers``
    there before it started, not its own writes."""
    if moment.kind != "starting":
        _wait_for(proc, lambda: _lock_owner(out) == str(proc.pid))
    if moment.kind == "in a write":
        seen = set()

        def nth_write():
            seen.update(name for name, _ in leftovers(out) - stale if in_checkpoint_write(name))
            return len(seen) >= moment.write
        _wait_for(proc, nth_write)
    time.sleep(moment.delay_s)
    if proc.poll() is not None:
        return False
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return True


def _wait_for(proc: subprocess.Popen, event) -> None:
    deadline = time.monotonic() + EVENT_TIMEOUT_S
    while proc.poll() is None and not event() and time.monotonic() < deadline:
        time.sleep(POLL_S)


def _lock_owner(out: Path) -> str:
    try:
        return (out / LOCK_FILE).read_text().strip()
    except OSError:
        return ""


def leftovers(out: Path) -> set[tuple[str, int]]:
    """What writes in progress (or killed) have left in ``out``, as (name, inode): checkpoint
    temporary folders (``.last.*``, ``.best.*``), ``.old`` copies, ``recur.atomic``'s temporary
    files (``.run.json.tmp*``, ``.metrics.jsonl.tmp*``). The inode tells a new ``last.old`` from one a
    kill before left."""
    found = set()
    for path in Path(out).iterdir() if Path(out).is_dir() else []:
        if path.name.startswith(".") and path.name != LOCK_FILE or path.name.endswith(".old"):
            with contextlib.suppress(FileNotFoundError):  # a write may finish while we look
                found.add((path.name, path.stat().st_ino))
    return found


def in_checkpoint_write(name: str) -> bool:
    """A checkpoint's temporary folder or ``.old`` copy: what a kill inside its write leaves."""
    return name.endswith(".old") or any(name.startswith(f".{checkpoint_name}.") for checkpoint_name in CHECKPOINT_NAMES)


def has_checkpoint(out: Path, name: str) -> bool:
    return (checkpoint.resolve(Path(out) / name) / "config.json").exists()


def check_checkpoint(out: Path, name: str, reference: Reference) -> tuple[int | None, list[str]]:
    """The step of the checkpoint ``name`` recur would load from ``out`` (None if there is none), and
    how it differs from what the reference run saved."""
    folder = checkpoint.resolve(Path(out) / name)
    if not (folder / "config.json").exists():
        return None, []
    try:
        if checkpoint.read_config(folder) != reference.config:
            return None, [f"{folder.name}/config.json differs from the run's"]
        step = checkpoint.read_json(folder, "trainer_state")["step"]
        if step not in reference.saved[name]:
            return step, [f"{folder.name} is at step {step}, which the run never saved"]
        problems = []
        for group, digest in reference.saved[name][step].items():
            path = folder / f"{group}.safetensors"
            load_file(path)
            if file_digest(path) != digest:
                problems.append(f"{folder.name}/{path.name} differs from the run's at step {step}")
        return step, problems
    except (RecurError, SafetensorError, OSError, ValueError, KeyError, TypeError) as err:
        return None, [f"{folder.name} does not load: {type(err).__name__}: {err!s:.200}"]


def check_usable(out: Path) -> list[str]:
    """``recur sample OUT`` prints text from a saved checkpoint, never from a temporary folder; with
    none saved, it and ``--resume`` refuse in one line."""
    status, text, err = run_cli(["sample", str(out), "--length", "40", "--seed", "1", *THREADS])
    if has_checkpoint(out, "best") or has_checkpoint(out, "last"):
        problems = [] if status == 0 and text else [f"recur sample exited {status}: {err.strip()[-300:]}"]
        if checkpoint_folder(out).name not in {n + suffix for n in CHECKPOINT_NAMES for suffix in ("", ".old")}:
            problems.append(f"recur sample would load {checkpoint_folder(out)}")
        return problems
    problems = []
    for what, (status, _, err) in (("recur sample", (status, text, err)), ("--resume", run_cli(resume_argv(out)))):
        if status != 2 or len(err.strip().splitlines()) != 1:
            problems.append(f"with no checkpoint, {what} exited {status} saying {err.strip()[-300:]!r}")
    return problems


@dataclass
class Kill:
    chain: int
    moment: Moment
    inside_write: bool = False  # it left a checkpoint's temporary folder or .old copy: it died inside that write
    between_renames: bool = False  # a checkpoint was only in its .old copy: recur loads that one
    left: list[str] = field(default_factory=list)  # the leftovers it made (those, and recur.atomic's temporary files)
    last_step: int | None = None
    best_step: int | None = None
    resumed_and_saved: bool = False  # the next start (fresh if no last/ was saved) went on and saved a newer last/
    problems: list[str] = field(default_factory=list)

    def record(self) -> dict:
        return {**asdict(self), "moment": asdict(self.moment)}


def check_after_kill(kill: Kill, out: Path, reference: Reference, seen_step: int | None, stale: set) -> None:
    kill.left = sorted(name for name, _ in leftovers(out) - stale)
    kill.inside_write = any(in_checkpoint_write(name) for name in kill.left)
    kill.between_renames = any(checkpoint.resolve(out / name).name.endswith(".old") for name in CHECKPOINT_NAMES)
    kill.last_step, problems = check_checkpoint(out, "last", reference)
    kill.best_step, best_problems = check_checkpoint(out, "best", reference)
    kill.problems += problems + best_problems
    if seen_step is not None and (kill.last_step is None or kill.last_step < seen_step):
        kill.problems.append(f"last/ went back from step {seen_step} to {kill.last_step}")
    kill.problems += check_usable(out)


# ---- a chain of kills ----------------------------------------------------------------------------

def run_chain(chain: int, out: Path, text: Path, reference: Reference, moments: list[Moment],
              stop_after_step: int) -> tuple[list[Kill], list[str]]:
    """Kill a run at each of ``moments`` (or until its last/ passes ``stop_after_step``), checking
    after each, then resume it to the end. Returns the kills and what went wrong at the end."""
    kills: list[Kill] = []
    for number, moment in enumerate(moments):
        if kills and (kills[-1].last_step or 0) > stop_after_step:
            break
        log, stale = out.with_name(f"{out.name}.{number}.log"), leftovers(out)
        proc = start(out, text, reference.max_steps, log)
        if not kill_at(proc, out, moment, stale):  # it ended by itself: at the budget's end, or failing
            if proc.returncode != 0:
                failed = f"the start after it exited {proc.returncode} before the kill: {_tail(log)}"
                if not kills:
                    return kills, [failed]
                kills[-1].problems.append(failed)  # it failed on what that kill left
            break
        kill = Kill(chain, moment)
        check_after_kill(kill, out, reference, kills[-1].last_step if kills else None, stale)
        if kills and kill.last_step is not None and kill.last_step > (kills[-1].last_step or -1):
            kills[-1].resumed_and_saved = True
        kills.append(kill)
    problems = finish(out, text, reference)
    if kills and not problems:
        kills[-1].resumed_and_saved = True
    return kills, problems


def finish(out: Path, text: Path, reference: Reference) -> list[str]:
    """Resume the run to its budget's end (unless it got there) and compare it with the reference."""
    if not (has_checkpoint(out, "last") and check_checkpoint(out, "last", reference)[0] == reference.max_steps):
        argv = resume_argv(out) if has_checkpoint(out, "last") else fresh_argv(out, text, reference.max_steps)
        status, _, err = run_cli(argv)
        if status != 0:
            return [f"the final resume exited {status}: {err.strip()[-300:]}"]
    step, problems = check_checkpoint(out, "last", reference)
    if step != reference.max_steps:
        problems.append(f"the final resume ended at step {step}, not {reference.max_steps}")
    if steady_metrics(out) != reference.metrics:
        problems.append("metrics.jsonl differs from the uninterrupted run's (a step logged twice or lost)")
    if leftovers(out):
        problems.append(f"left in the run folder: {', '.join(sorted(name for name, _ in leftovers(out)))}")
    return problems


def _tail(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return (lines[-1] if lines else "(no output)")[-300:]


def summary(kills: list[Kill], chain_problems: dict[int, list[str]]) -> dict:
    """The counts a report gives, overall and by kind of moment."""
    def counts(group: list[Kill]) -> dict:
        return {"tried": len(group), "survived": sum(not k.problems for k in group),
                "inside_a_write": sum(k.inside_write for k in group)}
    return {**counts(kills), "old_copy_left": sum(any(n.endswith(".old") for n in k.left) for k in kills),
            "temporary_file_left": sum(any(not in_checkpoint_write(n) for n in k.left) for k in kills),
            "between_renames": sum(k.between_renames for k in kills),
            "resumed_and_saved": sum(k.resumed_and_saved for k in kills),
            "chains": len(chain_problems), "chains_ended_as_uninterrupted": sum(not p for p in chain_problems.values()),
            "by_moment": {kind: counts([k for k in kills if k.moment.kind == kind]) for kind in MOMENTS}}
