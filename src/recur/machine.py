"""What a measurement was made on: the machine, the library versions and the code's commit, so that
every number a run reports can be traced to where and how it was made."""

from __future__ import annotations

import functools
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import torch


def processor_name() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else ``platform.processor()``)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@functools.cache  # the code this process runs is what it imported: one answer per process
def code_commit() -> str | None:
    """The git commit of the recur source tree, with ``+changes`` when it has uncommitted edits;
    None where recur's files are not tracked by git (an installed wheel, even inside someone's repository)."""
    source = Path(__file__).resolve().parent
    try:
        subprocess.run(["git", "ls-files", "--error-unmatch", Path(__file__).name], cwd=source, capture_output=True,
                       timeout=5, check=True)
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=source, capture_output=True, text=True,
                                timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "."], cwd=source,
                               capture_output=True, text=True, timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("+changes" if dirty else "")


def recur_version() -> str | None:
    try:
        return metadata.version("recur")
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict:
    """Processor, usable cores, threads torch uses, OS and versions of Python, torch and recur."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"processor": processor_name(), "cores": cores, "torch_threads": torch.get_num_threads(),
            "os": platform.platform(), "python": platform.python_version(), "torch": torch.__version__,
            "recur": recur_version(), "commit": code_commit(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}


DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str) -> torch.device:
    """``auto``: the GPU when CUDA is available, else the CPU; ``cuda`` without CUDA is refused in one
    line (raised as ``ValueError``: the caller words it for its face)."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        built = "this torch is built without CUDA" if torch.version.cuda is None else "no CUDA GPU is visible"
        raise ValueError(f"--device cuda: {built}; use --device cpu (or auto)")
    if name not in DEVICES:
        raise ValueError(f"unknown device {name!r}; choose one of: {', '.join(DEVICES)}")
    return torch.device(name)
