"""What many tests share: the data root, small real texts and data folders, a tiny trained
character model, and reading a command's last line of JSON."""

import gzip
import json
import os
import random
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from recur.cli import main
from recur.data import read_text

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TINY_CHARLM = ["--hidden", "32", "--layers", "1", "--seq-len", "32", "--batch-size", "8"]


@pytest.fixture(autouse=True)
def _seeded():
    torch.manual_seed(0)


@pytest.fixture
def data_root() -> Path:
    """The data root (RECUR_DATA, else ../shared/data); skips, saying why, when absent."""
    root = Path(os.environ.get("RECUR_DATA", SHARED_DATA))
    if not root.is_dir():
        pytest.skip(f"data root {root} not found: set RECUR_DATA to a folder laid out like shared/data")
    return root


@pytest.fixture
def small_text() -> str:
    """A few hundred characters of real Tiny Shakespeare, from the bundled copy."""
    from recur.assets import tiny_shakespeare
    return tiny_shakespeare().read_text(encoding="utf-8")[:6000]


def starlette_test_client() -> type:
    """Starlette's ``TestClient``, imported without its warning that Starlette 1.x prefers httpx2
    (httpx still works): the one import every serve test uses."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette.testclient import TestClient
    return TestClient


def assert_resume_is_exact(train: list[str], steps: int, folder: Path) -> None:
    """``recur TRAIN`` for ``steps`` straight, and for half of them then ``--resume`` to all: the two
    ``last/`` checkpoints hold the same weights, bit for bit. ``train`` is ``["train", TASK, flags...]``."""
    assert main([*train, "--out", str(folder / "straight"), "--max-steps", str(steps)]) == 0
    assert main([*train, "--out", str(folder / "split"), "--max-steps", str(steps // 2)]) == 0
    assert main([*train[:2], "--out", str(folder / "split"), "--resume", "--max-steps", str(steps)]) == 0
    straight = load_file(folder / "straight" / "last" / "model.safetensors")
    split = load_file(folder / "split" / "last" / "model.safetensors")
    assert straight.keys() == split.keys() and all((straight[k] == split[k]).all() for k in straight)


@pytest.fixture
def resume_is_exact():
    """``resume_is_exact(train_argv, steps, folder)``: ``assert_resume_is_exact``."""
    return assert_resume_is_exact


@pytest.fixture
def last_json(capsys):
    """``last_json()``: the last line the command printed, read as JSON."""
    return lambda: json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def shakespeare_file(tmp_path_factory) -> Path:
    """The first 20,000 characters of the bundled Tiny Shakespeare, as a file."""
    from recur.assets import tiny_shakespeare
    path = tmp_path_factory.mktemp("text") / "shakespeare.txt"
    path.write_text(tiny_shakespeare().read_text(encoding="utf-8")[:20000], encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def train_tiny_charlm(shakespeare_file):
    """``train_tiny_charlm(out, *flags, steps=30)``: ``recur train charlm`` on ``shakespeare_file``,
    hidden 32, one layer, evaluated twice; returns ``out``."""
    def train(out: Path, *flags: str, steps: int = 30) -> Path:
        assert main(["train", "charlm", "--data", str(shakespeare_file), "--out", str(out), *TINY_CHARLM,
                     "--max-steps", str(steps), "--eval-every", str(max(1, steps // 2)), *flags]) == 0
        return out
    return train


@pytest.fixture(scope="session")
def tiny_charlm_dir(train_tiny_charlm, tmp_path_factory) -> Path:
    """One tiny trained character model for the tests that only read it (30 steps: its text is
    nonsense, which is all they need). Tests that change a run folder train their own."""
    return train_tiny_charlm(tmp_path_factory.mktemp("run") / "tiny")


TINY_TRANSLATE = ["--hidden", "32", "--embedding", "16", "--subwords", "16", "--batch-size", "32", "--dropout", "0",
                  "--lr", "0.01", "--seed", "3", "--schedule", "constant"]


def digit_strings(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice("0123456789") for _ in range(rng.randint(3, 7))) for _ in range(count)]


def write_reversal_corpus(folder: Path, sizes=(2000, 100, 100)) -> Path:
    """A parallel corpus laid out like Multi30k: ``train``/``val``/``test_2016_flickr`` ``.de.gz``
    (digit strings) and ``.en.gz`` (each string reversed)."""
    folder.mkdir(parents=True, exist_ok=True)
    for (stem, size), seed in zip(zip(("train", "val", "test_2016_flickr"), sizes), (1, 2, 3)):
        source = digit_strings(size, seed)
        for language, lines in (("de", source), ("en", [" ".join(s.split()[::-1]) for s in source])):
            (folder / f"{stem}.{language}.gz").write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    return folder


@pytest.fixture(scope="session")
def tiny_translator_dir(tmp_path_factory) -> Path:
    """A tiny translation model that has learned to reverse digit strings, for the tests that only
    read it: 1,000 steps, some 15 seconds (at 300 it still drops the last digit of long strings)."""
    root = tmp_path_factory.mktemp("mt")
    out = root / "run"
    assert main(["train", "translate", "--data", str(write_reversal_corpus(root / "corpus")), "--out", str(out),
                 *TINY_TRANSLATE, "--max-steps", "1000", "--eval-every", "250"]) == 0
    return out


SMALL_CAPTION = ["--max-digits", "2", "--val-strips", "200", "--test-strips", "200", "--schedule", "constant",
                 "--seed", "3"]
SMALL_CAPTION_STEPS = 900


@pytest.fixture(scope="session")
def small_captioner_dir(tmp_path_factory) -> Path:
    """A captioner of the default size trained on strips of one or two digits, for the tests that only
    read it: 900 steps, about a minute on 2 cores (at 600 it is still leaving the captions' prior);
    it reads most strips right."""
    out = tmp_path_factory.mktemp("caption") / "run"
    assert main(["train", "caption", "--out", str(out), *SMALL_CAPTION, "--max-steps", str(SMALL_CAPTION_STEPS),
                 "--eval-every", "300"]) == 0
    return out


PROGRESSION = ([60, 64, 67], [65, 69, 72], [67, 71, 74], [60, 64, 67, 72])  # C F G C: a step each
TINY_MUSIC = ["--hidden", "32", "--window", "24", "--batch-size", "8", "--lr", "1e-2", "--schedule", "constant"]


def write_progression(path: Path, sizes=(40, 8, 8), seed: int = 0) -> Path:
    """A piano-roll file in the benchmark layout whose pieces repeat one chord progression, each
    starting at a random chord and lasting 9-24 steps: after a chord or two, fully predictable."""
    rng = random.Random(seed)
    splits = {}
    for split, count in zip(("train", "valid", "test"), sizes):
        pieces = []
        for _ in range(count):
            start, length = rng.randrange(4), rng.randrange(9, 25)
            pieces.append([list(PROGRESSION[(start + t) % 4]) for t in range(length)])
        splits[split] = pieces
    path.write_text(json.dumps(splits))
    return path


@pytest.fixture
def progression():
    """``(write_progression, PROGRESSION, TINY_MUSIC)`` for the music tests."""
    return write_progression, PROGRESSION, TINY_MUSIC


@pytest.fixture(scope="session")
def tiny_music_dir(tmp_path_factory) -> Path:
    """A tiny music model (Bernoulli output) that has learned the chord progression, for the tests
    that only read it: 400 steps, some 10 seconds."""
    root = tmp_path_factory.mktemp("music")
    out = root / "run"
    assert main(["train", "music", "--data", str(write_progression(root / "progression.json")), "--out", str(out),
                 *TINY_MUSIC, "--max-steps", "400", "--eval-every", "200"]) == 0
    return out


@pytest.fixture
def small_ptb(data_root, tmp_path):
    """The first lines of each real PTB split, as a data root of its own."""
    from recur.tasks import wordlm
    source = data_root / "ptb"
    if not source.is_dir():
        pytest.skip(f"{source} not found: the PTB files are not in this data root")
    folder = tmp_path / "root" / "ptb"
    folder.mkdir(parents=True)
    for split, lines in (("train", 3000), ("valid", 300), ("test", 300)):
        text = wordlm.read_split(source, split)
        (folder / wordlm.PTB_SPLITS[split]).write_text("\n".join(text.splitlines()[:lines]) + "\n")
    return folder


@pytest.fixture
def small_sst(data_root, tmp_path):
    """The real SST-2 files with the training sets cut to their first lines, as an SST folder."""
    from recur.tasks import classify
    source = data_root / "sst"
    if not source.is_dir():
        pytest.skip(f"{source} not found: the SST files are not in this data root")
    folder = tmp_path / "sst"
    for relative in (*classify.TRAIN_SETS.values(), *classify.HELD_OUT.values()):
        text = read_text(source / relative)
        if relative in classify.TRAIN_SETS.values():
            text = "\n".join(text.splitlines()[:2500]) + "\n"
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        target.write_bytes(gzip.compress(data) if relative.endswith(".gz") else data)
    return folder


TINY_STROKES = ["--hidden", "32", "--layers", "1", "--mixtures", "3", "--batch-size", "16", "--lr", "1e-2",
                "--schedule", "constant"]


def write_stroke_set(path: Path, sizes=(60, 12, 12), seed: int = 0) -> Path:
    """A stroke-3 npz in the sets' layout whose drawings are staircases: two steps right, one step
    down, over and over, then the pen lifts; the step's size differs per drawing (6, 10 or 16) with
    ±1 of jitter. After a step right, what comes next (right or down) depends on the point before
    it too: only a model with memory predicts it."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, count in zip(("train", "valid", "test"), sizes):
        drawings = []
        for _ in range(count):
            size, n = int(rng.choice([6, 10, 16])), int(rng.integers(8, 20))
            points = [(0, 0, 0)] + [((size, 0) if t % 3 < 2 else (0, size)) + (0,) for t in range(n)]
            drawing = np.array(points, dtype=np.int16)
            drawing[1:, :2] += rng.integers(-1, 2, size=(n, 2)).astype(np.int16)
            drawing[-1, 2] = 1
            drawings.append(drawing)
        arrays[f"{split}_points"] = np.concatenate(drawings)
        arrays[f"{split}_offsets"] = np.cumsum([0] + [len(d) for d in drawings]).astype(np.int64)
    np.savez(path, **arrays)
    return path


@pytest.fixture(scope="session")
def tiny_strokes_dir(tmp_path_factory) -> Path:
    """A tiny stroke model that has learned the staircases, for the tests that only read it."""
    root = tmp_path_factory.mktemp("strokes")
    out = root / "run"
    assert main(["train", "strokes", "--data", str(write_stroke_set(root / "stairs.npz")), "--out", str(out),
                 *TINY_STROKES, "--max-steps", "300", "--eval-every", "150"]) == 0
    return out
