"""README's shell and Python blocks run as written, in order, in a fresh folder: the commands a new
user copies must work. Only the sizes shrink (``tiny``: a few steps of a small model instead of
minutes of a big one), so the whole README runs in about a minute; ``recur serve`` (which runs
until stopped) is left to tests/serve. The first block (``make demo``, ``make test``) is what CI and
the demo run themselves.

The texts README's commands name as a user's own (``my.txt.gz``, ``some.txt``) are made here from
the bundled Tiny Shakespeare."""

import gzip
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"^```(bash|python)\n(.*?)^```", re.DOTALL | re.MULTILINE)


def blocks() -> list[tuple[str, str]]:
    """README's ``bash`` and ``python`` blocks after the first, in order."""
    return [(kind, body) for kind, body in BLOCK.findall(README.read_text(encoding="utf-8"))][1:]


def _steps(minutes: str) -> str:
    return str(min(20, max(2, math.ceil(2 * float(minutes)))))


def _has_encoder(task: str) -> bool:
    """Whether ``recur train TASK`` takes ``--hidden`` and ``--layers`` (bAbI's memory network has ``--dim``)."""
    from dataclasses import fields

    from recur.tasks import TASKS
    return {"hidden", "layers"} <= {f.name for f in fields(TASKS[task].ModelConfig)}


def tiny(kind: str, text: str, data_root: Path) -> str:
    """The block at test size: minutes become a few steps, models 16 units and one layer, texts 40
    tokens; ``RECUR_DATA`` points at the data root; ``recur serve`` lines are skipped."""
    if kind == "python":
        text = re.sub(r"TrainConfig\(minutes=([\d.]+)\)", lambda m: f"TrainConfig(max_steps={_steps(m[1])})", text)
        text = re.sub(r"hidden=\d+", "hidden=16", text)
        text = re.sub(r"layers=\d+", "layers=1", text)
        return re.sub(r"length=\d+", "length=40", text)
    lines = []
    for line in text.splitlines():
        if line.startswith("recur serve"):
            line = ": skipped, runs until stopped"
        line = re.sub(r"--max-steps (\d+)", lambda m: f"--max-steps {min(int(m[1]), 10)}", line)
        line = re.sub(r"--minutes ([\d.]+)", lambda m: f"--max-steps {_steps(m[1])}", line)
        line = re.sub(r"--(hidden|embedding) \d+", r"--\1 16", line)
        line = re.sub(r"--layers \d+", "--layers 1", line)
        line = re.sub(r"--length \d+", "--length 40", line)
        line = re.sub(r"--eval-every \d+", "--eval-every 10", line)  # a validation or two: translation scores BLEU each time
        task = re.match(r"recur train ([\w-]+) ", line)
        if task and "--resume" not in line and _has_encoder(task[1]):
            line = line.replace(" --out ", " --hidden 16 --layers 1 --out ", 1)
        line = line.replace("RECUR_DATA=../shared/data", f"RECUR_DATA={data_root}")
        lines.append(line)
    return "\n".join(lines) + "\n"


def test_blocks_are_found():
    kinds = [kind for kind, _ in blocks()]
    assert kinds.count("bash") >= 2 and "python" in kinds


@pytest.mark.slow
def test_readme_runs_as_written(data_root, tmp_path):
    from recur.assets import tiny_shakespeare
    text = tiny_shakespeare().read_text(encoding="utf-8")
    with gzip.open(tmp_path / "my.txt.gz", "wt", encoding="utf-8") as f:
        f.write(text[:30000])
    (tmp_path / "some.txt").write_text(text[-5000:], encoding="utf-8")
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "OMP_NUM_THREADS": "1",
           "RECUR_DATA": str(data_root)}
    for number, (kind, body) in enumerate(blocks(), 1):
        script = tmp_path / f"block{number}.{'sh' if kind == 'bash' else 'py'}"
        script.write_text(tiny(kind, body, data_root), encoding="utf-8")
        command = ["bash", "-eux", str(script)] if kind == "bash" else [sys.executable, str(script)]
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
                              check=False)
        assert done.returncode == 0, f"README block {number} ({kind}) failed:\n{done.stderr[-3000:]}"
        assert "Traceback" not in done.stderr, done.stderr[-3000:]
