"""Ctrl-C, SIGTERM and SIGKILL during `recur train`: the checkpoint is saved (or the last one kept), the exit is
clean, resume continues without logging a step twice."""

import json
import os
import signal
import subprocess
import sys
import time

from recur.train import checkpoint


def start_training(tmp_path, small_text):
    data = tmp_path / "text.txt"
    data.write_text(small_text, encoding="utf-8")
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "recur.cli", "train", "charlm", "--data", str(data), "--out", str(out),
           "--hidden", "16", "--layers", "1", "--seq-len", "16", "--batch-size", "4", "--max-steps", "1000000",
           "--eval-every", "20", "--log-every", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not (out / "last" / "trainer_state.json").exists() and time.time() < deadline:
        time.sleep(0.2)
    return proc, out


def test_ctrl_c_saves_and_exits_cleanly(tmp_path, small_text):
    proc, out = start_training(tmp_path, small_text)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "checkpoint saved" in err and "--resume" in err
    step = checkpoint.read_json(out / "last", "trainer_state")["step"]
    assert step >= 20
    resumed = subprocess.run([sys.executable, "-m", "recur.cli", "train", "charlm", "--out", str(out), "--resume",
                              "--max-steps", str(step + 3)], capture_output=True, text=True, timeout=60,
                             env={**os.environ}, check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout.strip().splitlines()[-1])["step"] == step + 3


def test_sigterm_saves_as_ctrl_c_does(tmp_path, small_text):
    proc, out = start_training(tmp_path, small_text)
    proc.send_signal(signal.SIGTERM)  # what schedulers and docker stop send
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "checkpoint saved" in err and "Traceback" not in err
    assert checkpoint.read_json(out / "last", "trainer_state")["step"] >= 20


def test_a_killed_run_resumes_without_duplicate_records_or_leftovers(tmp_path, small_text):
    proc, out = start_training(tmp_path, small_text)
    time.sleep(1.0)  # steps past the checkpoint get logged, then are lost with the kill
    proc.kill()
    proc.communicate(timeout=60)
    (out / ".last.leftover").mkdir()  # as a kill mid-write leaves behind
    step = checkpoint.read_json(out / "last", "trainer_state")["step"]
    resumed = subprocess.run([sys.executable, "-m", "recur.cli", "train", "charlm", "--out", str(out), "--resume",
                              "--max-steps", str(step + 5)], capture_output=True, text=True, timeout=60,
                             check=False)
    assert resumed.returncode == 0, resumed.stderr
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    training_steps = [r["step"] for r in records if "loss" in r]
    assert training_steps == sorted(set(training_steps)), "each step logged once"
    assert training_steps[-1] == step + 5
    assert not list(out.glob(".last.*")), "temporary folders of killed writes are removed"
