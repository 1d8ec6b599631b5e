"""``recur`` run in-process on hostile input, shared by ``test_fuzz_checkpoint.py``,
``test_fuzz_flags.py`` and ``bench/fuzz.py``.

    tiny_run(folder)        a run folder of a tiny character model (2 steps) to damage and sample
    CHECKPOINT_FILES        config.json (read by sample and by a resume), model.safetensors (sample),
                            trainer_state.json (resume): each file's hostile versions, made from
                            the real file, and the command that reads it
    judge_checkpoint(...)   a copy of the run with one file replaced, and the Verdict of its command
    FLAG_COMMANDS           train TASK for every task that trains here (a tiny model on small data;
                            wordlm, classify, babi and speech where $RECUR_DATA holds them) and sample: each a base
                            command line and the flags fuzzed on top of it (every flag of its
                            parser but those naming paths and the step budget, which the harness fixes)
    judge_command(argv)     the Verdict of ``recur ARGV``: exit 0 ("ran"), or exit 2 with one
                            ``error:`` line ("refused"); anything else is a failure

Every run happens with pickle and ``torch.load`` made to fail loudly (a checkpoint must never
unpickle), with thread counts held at one (a fuzzed ``--threads 256`` must not take the machine),
inside a scratch working folder and under ``time_limit``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import torch
from hypothesis import strategies as st

import recur.tasks.stream_lm_verbs
from recur.assets import tiny_shakespeare
from recur.cli import build_parser, main
from tests.hostile.fuzz_inputs import flag_value, hostile_json, hostile_safetensors
from tests.hostile.fuzz_verdict import FAILURE, Verdict, crash, refusal, time_limit

RAN = "ran"
TINY_CHARLM = ["--hidden", "16", "--layers", "1", "--seq-len", "16", "--batch-size", "4", "--max-steps", "2",
               "--eval-every", "2"]


class Unpickled(BaseException):
    """Raised by pickle and ``torch.load`` during a fuzz case: loading must never unpickle."""


def _no_unpickling(*args, **kwargs):
    raise Unpickled("a checkpoint was unpickled")


@contextlib.contextmanager
def guarded_process(scratch: Path):
    """No unpickling, one thread, ``scratch`` as the working folder, stdout and stderr captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.ExitStack() as stack:
        for name in ("load", "loads", "Unpickler"):
            stack.enter_context(mock.patch.object(pickle, name, _no_unpickling))
        stack.enter_context(mock.patch.object(torch, "load", _no_unpickling))
        stack.enter_context(mock.patch.object(torch, "set_num_threads", lambda n: None))
        real_set_threads = recur.tasks.stream_lm_verbs.set_threads
        stack.enter_context(mock.patch.object(recur.tasks.stream_lm_verbs, "set_threads",
                                              lambda n: real_set_threads(1)))
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        home = os.getcwd()
        os.chdir(scratch)  # a relative path a flag names lands here (contextlib.chdir is Python 3.11+)
        try:
            yield err
        finally:
            os.chdir(home)


def judge_command(argv: list[str], names: tuple[str, ...] = ()) -> Verdict:
    """Run ``recur ARGV`` and say what happened; a refusal must name one of ``names`` (if any)."""
    with tempfile.TemporaryDirectory(prefix="fuzz-cwd-") as scratch:
        with guarded_process(Path(scratch)) as stderr:
            try:
                with time_limit():
                    code = main([str(a) for a in argv])
            except BaseException as err:  # noqa: BLE001 - every way out but a return is a failure
                if isinstance(err, KeyboardInterrupt):
                    raise
                return crash(err)
        text = stderr.getvalue()
    if code == 0:
        return Verdict(RAN)
    lines = [line for line in text.splitlines() if "error:" in line]
    if code != 2 or "Traceback" in text or len(lines) != 1 or "internal error" in lines[0]:
        return Verdict(FAILURE, f"exit {code}: {text.strip()[-300:]!r}")
    return refusal(lines[0], list(names))


# ---- a checkpoint to damage ----------------------------------------------------------------------

def tiny_run(folder: Path) -> Path:
    """``folder/run``: a character model of hidden size 16 trained for 2 steps on 20,000 characters
    of Tiny Shakespeare (``folder/text.txt``), with ``best/`` and ``last/``."""
    text = folder / "text.txt"
    text.write_text(tiny_shakespeare().read_text(encoding="utf-8")[:20000], encoding="utf-8")
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        assert main(["train", "charlm", "--data", str(text), "--out", str(folder / "run"), *TINY_CHARLM]) == 0
    return folder / "run"


@dataclass(frozen=True)
class CheckpointFile:
    name: str  # the file in last/ that is replaced
    hostile: Callable[[bytes], st.SearchStrategy[bytes]]  # its valid bytes -> hostile versions
    command: Callable[[Path], list]  # the damaged run folder -> the argv that reads the file


def _json_versions(data: bytes):
    return hostile_json([json.loads(data)])


def _sample(run: Path) -> list:
    return ["sample", run / "last", "--length", "8", "--seed", "0"]


def _resume(run: Path) -> list:
    return ["train", "charlm", "--out", run, "--resume", "--max-steps", "3"]


CHECKPOINT_FILES = {f"{f.name}, {f.command.__name__[1:]}": f for f in (
    CheckpointFile("config.json", _json_versions, _sample),
    CheckpointFile("config.json", _json_versions, _resume),
    CheckpointFile("model.safetensors", lambda data: hostile_safetensors([data]), _sample),
    CheckpointFile("trainer_state.json", _json_versions, _resume),
)}


def judge_checkpoint(run: Path, case: str, data: bytes) -> Verdict:
    """Copy ``run``, put ``data`` in place of the ``case``'s file in ``last/``, run its command."""
    damaged = CHECKPOINT_FILES[case]
    with tempfile.TemporaryDirectory(prefix="fuzz-run-") as folder:
        copy = Path(folder) / "run"
        shutil.copytree(run, copy)
        (copy / "last" / damaged.name).write_bytes(data)
        return judge_command(damaged.command(copy), (str(copy),))


# ---- flags ---------------------------------------------------------------------------------------

# flags the harness fixes: paths (a fuzzed one could write anywhere), the step budget (a fuzzed one could
# run for hours) and --nproc (it starts more processes)
FIXED_FLAGS = {"-h", "--help", "--data", "--out", "--max-steps", "--minutes", "--wav", "--png", "--nproc"}
STRAY_TOKENS = ("--hiden", "-x", "--", "extra", "--no-such-flag=1", "-", "--lr=", "=")
CELL_OPTION_NAMES = ("bias", "identity_scale", "density", "spectral_radius", "seed", "leak", "periods", "x", "")


def sub_parser(*names: str) -> argparse.ArgumentParser:
    """The parser of ``recur NAMES...`` (``"train", "charlm"``)."""
    parser = build_parser()
    for name in names:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return parser


def _flag_and_value(action: argparse.Action) -> st.SearchStrategy[list[str]]:
    name = st.sampled_from(action.option_strings)
    if action.nargs == 0:
        return name.map(lambda n: [n])
    values = [flag_value()]
    if action.choices:
        values.append(st.sampled_from([str(c) for c in action.choices]))
    if action.dest == "cell_options":
        values.append(st.tuples(st.sampled_from(CELL_OPTION_NAMES), flag_value()).map("=".join))
    return st.tuples(name, st.one_of(*values), st.booleans()).map(
        lambda t: [f"{t[0]}={t[1]}"] if t[2] else [t[0], t[1]])


def fuzzed_flags(parser: argparse.ArgumentParser) -> st.SearchStrategy[list[str]]:
    """One to four of ``parser``'s flags (not ``FIXED_FLAGS``) with random values, sometimes a stray
    token after them."""
    actions = [a for a in parser._actions if a.option_strings and not set(a.option_strings) & FIXED_FLAGS]
    flags = st.lists(st.sampled_from(actions).flatmap(_flag_and_value), min_size=1, max_size=4)
    stray = st.one_of(st.just([]), st.sampled_from(STRAY_TOKENS).map(lambda t: [t]), st.text(max_size=12).map(
        lambda t: [t]))
    return st.tuples(flags, stray).map(lambda t: [token for pair in t[0] for token in pair] + t[1])


@dataclass(frozen=True)
class FlagCommand:
    words: tuple[str, ...]  # the sub-command: ("train", "charlm")
    base: Callable[[Path, Path], list]  # (scratch folder, tiny run) -> the argv the fuzzed flags follow


def small_data(run: Path, kind: str) -> Path:
    """A small data set of ``kind`` beside the tiny run, written on first use: the toy corpora of the
    task tests (a Multi30k-like reversal corpus, a chord progression, staircase drawings) or a cut
    of the real FSDD (links)."""
    from tests.conftest import write_progression, write_reversal_corpus, write_stroke_set
    path = run.parent / "data" / kind
    if kind == "fsdd":  # librosa's compiled functions loaded now: numba's cache is pickled, which a case forbids
        from recur.data.audio_features import warmed_librosa
        warmed_librosa()
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        if kind == "corpus":
            write_reversal_corpus(path, sizes=(60, 10, 10))
        elif kind == "chords.json":
            write_progression(path)
        elif kind == "stairs.npz":
            write_stroke_set(path)
        else:  # "fsdd": 2 speakers x 10 digits x recordings 0 (test), 5 (validation), 10 (training)
            source = data_root() / "speech" / "fsdd" / "recordings"
            (path / "recordings").mkdir(parents=True)
            for name in (f"{d}_{s}_{i}.wav" for s in ("jackson", "theo") for d in range(10) for i in (0, 5, 10)):
                (path / "recordings" / name).symlink_to(source / name)
    return path


def data_root() -> Path:
    from tests.conftest import SHARED_DATA
    return Path(os.environ.get("RECUR_DATA", SHARED_DATA))


TINY_TRAINING = ["--max-steps", "2", "--eval-every", "2"]
TASK_FLAGS = {  # each task's tiny model and the data it reads (a function of the tiny run's folder)
    "charlm": (lambda run: ["--data", run.parent / "text.txt", *TINY_CHARLM]),
    "forecast": (lambda run: ["--series", "airline", "--hidden", "8", "--layers", "1", *TINY_TRAINING]),
    "translate": (lambda run: ["--data", small_data(run, "corpus"), "--subwords", "16", "--hidden", "8",
                               "--embedding", "4", "--batch-size", "8", *TINY_TRAINING]),
    "caption": (lambda run: ["--channels", "4", "--hidden", "8", "--embedding", "4", "--batch-size", "4",
                             "--val-strips", "4", "--test-strips", "4", *TINY_TRAINING]),
    "music": (lambda run: ["--data", small_data(run, "chords.json"), "--hidden", "8", "--window", "12",
                           "--batch-size", "4", *TINY_TRAINING]),
    "strokes": (lambda run: ["--data", small_data(run, "stairs.npz"), "--hidden", "8", "--mixtures", "2",
                             "--batch-size", "4", *TINY_TRAINING]),
    **{name: (lambda run: ["--hidden", "8", "--memory-slots", "6", "--memory-width", "4", "--batch-size", "2",
                           "--max-length", "3", *TINY_TRAINING]) for name in ("copy", "repeat-copy",
                                                                               "associative-recall")},
    "wordlm": (lambda run: ["--data", data_root() / "ptb", "--hidden", "8", "--embedding", "8", "--layers", "1",
                            "--seq-len", "8", "--batch-size", "4", *TINY_TRAINING]),
    "classify": (lambda run: ["--data", data_root() / "sst", "--hidden", "8", "--embedding", "8",
                              "--batch-size", "8", *TINY_TRAINING]),
    "babi": (lambda run: ["--data", data_root() / "babi", "--dim", "8", "--batch-size", "8", *TINY_TRAINING]),
    "speech": (lambda run: ["--data", small_data(run, "fsdd"), "--hidden", "8", "--batch-size", "4",
                            *TINY_TRAINING]),
}
NEEDS_DATA_ROOT = {"wordlm": "ptb", "classify": "sst", "babi": "babi", "speech": "speech/fsdd/recordings"}  # read from $RECUR_DATA


def trained_on_data_root(task: str) -> bool:
    """Whether ``task``'s fuzz can run here: its data is bundled, made up, or under the data root."""
    return task not in NEEDS_DATA_ROOT or (data_root() / NEEDS_DATA_ROOT[task]).is_dir()


def _train_command(task: str) -> FlagCommand:
    return FlagCommand(("train", task), lambda folder, run: ["train", task, "--out", folder / "out",
                                                             *TASK_FLAGS[task](run)])


FLAG_COMMANDS = {" ".join(c.words): c for c in (
    *(_train_command(task) for task in TASK_FLAGS if trained_on_data_root(task)),
    FlagCommand(("sample",), lambda folder, run: ["sample", run, "--length", "16"]),
)}


def flag_inputs(command: str) -> st.SearchStrategy[list[str]]:
    return fuzzed_flags(sub_parser(*FLAG_COMMANDS[command].words))


def judge_flags(command: str, run: Path, flags: list[str]) -> Verdict:
    """``recur COMMAND`` (its base argv, on the tiny run) with ``flags`` after the base's own."""
    with tempfile.TemporaryDirectory(prefix="fuzz-flags-") as folder:
        return judge_command([*FLAG_COMMANDS[command].base(Path(folder), run), *flags])
