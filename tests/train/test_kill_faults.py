"""SIGKILL during `recur train` at a handful of moments, most inside a checkpoint write: after each kill the
checkpoints recur would load are whole and the run's own, `recur sample` works, the next start resumes, and the
run ends as an uninterrupted one would, with nothing left behind. bench/faults.py does the same 200 times. And the
temporary file of a killed run.json or metrics.jsonl write is removed when the run starts again."""

import os
import signal
from pathlib import Path

import kill_faults  # tests/train/kill_faults.py, shared with bench/faults.py
from kill_faults import Moment

from recur.atomic import leftovers_of, write_atomically
from recur.train.run_folder import remove_leftovers

MAX_STEPS = 30
MOMENTS = [Moment("after the lock", 0.05), Moment("in a write", 0.0, write=1), Moment("training", 0.4),
           Moment("in a write", 0.003, write=3)]


def test_runs_killed_at_any_moment_resume_from_whole_checkpoints(tmp_path, shakespeare_file):
    reference = kill_faults.reference_run(tmp_path / "reference", shakespeare_file, MAX_STEPS)
    kills, at_the_end = kill_faults.run_chain(0, tmp_path / "run", shakespeare_file, reference, MOMENTS,
                                              stop_after_step=MAX_STEPS - 2 * kill_faults.EVAL_EVERY)
    assert kills, at_the_end
    assert {k.moment: k.problems for k in kills} == {k.moment: [] for k in kills}
    assert at_the_end == []


def killed_mid_write(path: Path) -> None:
    """``write_atomically(path)`` in a child process that is SIGKILLed once its temporary file is written."""
    child = os.fork()
    if child == 0:
        write_atomically(path, lambda tmp: (tmp.write_text("{"), os.kill(os.getpid(), signal.SIGKILL)))
        os._exit(1)  # not reached
    os.waitpid(child, 0)


def test_the_temporary_files_of_killed_run_json_and_metrics_writes_are_removed(tmp_path):
    for name in ("run.json", "metrics.jsonl", "notes.txt"):
        killed_mid_write(tmp_path / name)
    left = leftovers_of(tmp_path / "run.json") + leftovers_of(tmp_path / "metrics.jsonl")
    assert len(left) == 2 and not (tmp_path / "run.json").exists()
    assert sorted(remove_leftovers(tmp_path)) == sorted(left)
    assert list(tmp_path.iterdir()) == leftovers_of(tmp_path / "notes.txt") != []  # not the run's: kept
