"""DDP through torch.distributed (gloo): two processes with half the batch each take the steps one
process takes with the whole batch, on the pattern of PyTorch's own DDP tests (compare the
parameters after several steps, in float64), for the carried-state language model, for padded
recordings of different lengths in batches that split unevenly, and for every task that draws its
whole batch on each rank (sentences, strips through batch normalisation, piano-roll windows,
drawings, bit sequences, stories); and a run resumes across a change of world size."""

import json
import os
import socket
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from torch import multiprocessing

from recur.cli import main
from recur.tasks import TASKS
from recur.data.batches import SharesRows
from recur.train import checkpoint, distributed
from recur.train.trainer import TrainConfig, Trainer

BATCH, SEQ_LEN = 4, 16
RANKS_DEADLINE = 180  # seconds for a few steps of a tiny model on a loaded 2-core machine
CHARLM = ("charlm", {"batch_size": BATCH, "seq_len": SEQ_LEN}, {"hidden": 8, "layers": 2, "embedding": 6, "dropout": 0.0})
NO_AUGMENTATION = {"speed_perturb": 0.0, "noise_snr": 0.0, "time_mask": 0, "freq_mask": 0}
SPEECH = ("speech", {"batch_size": 7, **NO_AUGMENTATION}, {"hidden": 6, "layers": 1, "dropout": 0.0})  # 7 = 4 + 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _train(rank: int, world: int, port: int, task: tuple, data: str, out: str, steps: int, resume: bool) -> None:
    """One rank: a tiny model of ``task`` (name, data options, model options[, training options]) in
    float64, trained to ``steps`` (a total over resumes)."""
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port))
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    spec = TASKS[task[0]]
    if resume:
        built = spec.resumed_task(checkpoint.read_config(Path(out) / "last"), data)
    else:
        built = spec.new_task(data, task[1], task[2])
    settings = {"eval_every": 100, "lr": 3e-2, "schedule": "constant", **(task[3] if len(task) > 3 else {})}
    trainer = Trainer(built, TrainConfig(max_steps=steps, **settings), out)
    try:
        trainer.fit(resume=resume)
    except BaseException:
        trainer.close(finished=False)
        raise
    trainer.close()


def _train_each(rank: int, world: int, ports: list[int], jobs: list[tuple]) -> None:
    """One rank of several runs in turn (one process start for all of them), each on its own port."""
    for port, (task, data, out, steps, resume) in zip(ports, jobs):
        _train(rank, world, port, task, data, out, steps, resume)


def _spawn(world: int, jobs: list[tuple]) -> None:
    """``jobs`` (task, data, out, steps, resume) on ``world`` spawned ranks; a hang fails the test."""
    ranks = multiprocessing.spawn(_train_each, args=(world, [_free_port() for _ in jobs], jobs), nprocs=world,
                                  join=False)
    deadline = time.monotonic() + RANKS_DEADLINE * len(jobs)
    while not ranks.join(timeout=1):
        if time.monotonic() > deadline:  # a hang must fail the test, not stall the suite
            for process in ranks.processes:
                process.kill()
            pytest.fail(f"the {world} ranks did not finish within {RANKS_DEADLINE * len(jobs)} s")


def _run(world: int, data: Path, out: Path, steps: int, resume: bool = False, task: tuple = CHARLM
         ) -> dict[str, torch.Tensor]:
    if world == 1:
        _train(0, 1, _free_port(), task, str(data), str(out), steps, resume)
    else:
        _spawn(world, [(task, str(data), str(out), steps, resume)])
    return load_file(out / "last" / "model.safetensors")


@pytest.fixture
def text(tmp_path, small_text) -> Path:
    path = tmp_path / "text.txt"
    path.write_text(small_text, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _one_process_env(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    yield
    torch.set_default_dtype(torch.float32)


def _assert_same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], what: str = "") -> None:
    assert a.keys() == b.keys()
    for name in a:
        if a[name].is_floating_point():
            assert a[name].dtype == torch.float64, name
            assert torch.allclose(a[name], b[name], rtol=0, atol=1e-12), f"{what} {name}"
        else:  # a batch norm's batch count, a memory network's linear-start flag
            assert torch.equal(a[name], b[name]), f"{what} {name}"


def test_two_processes_with_half_the_batch_each_take_one_processs_steps(text, tmp_path, capsys):
    def main_output(argv: list[str]) -> str:
        capsys.readouterr()
        assert main(argv) == 0
        return capsys.readouterr().out

    one = _run(1, text, tmp_path / "one", steps=6)
    two = _run(2, text, tmp_path / "two", steps=6)
    _assert_same(one, two)
    untrained = _run(1, text, tmp_path / "zero", steps=1)
    assert any(not torch.allclose(one[k], untrained[k]) for k in one)  # the six steps moved the weights
    records = [json.loads(line) for line in (tmp_path / "two" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if "val_loss" in r] == [6]  # rank 0 alone wrote, once
    sessions = json.loads((tmp_path / "two" / "run.json").read_text())["sessions"]
    assert [s["processes"] for s in sessions] == [2]
    assert "2 processes" in main_output(["info", str(tmp_path / "two")])


def test_padded_recordings_in_uneven_shares_give_the_batchs_mean_gradient(data_root, tmp_path, monkeypatch):
    """7 recordings a step: rank 0 pads 4, rank 1 pads 3, of different lengths; the loss of each
    rank is scaled by its share, so the averaged gradient is the batch's (the tail batch is 6).
    The two ranks start with an empty numba cache, as on a fresh machine: librosa's compiled
    functions are written by one rank at a time (``audio_features.warmed_librosa``)."""
    from tests.tasks.test_speech import small_fsdd
    folder = small_fsdd(data_root, tmp_path / "fsdd", speakers=("theo",), indices=range(12))  # 20 to train on
    one = _run(1, folder, tmp_path / "one", steps=5, task=SPEECH)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba"))  # read by the spawned ranks' numba
    _assert_same(one, _run(2, folder, tmp_path / "two", steps=5, task=SPEECH))


TINY_NTM = {"hidden": 6, "memory_slots": 5, "memory_width": 3}


def _every_other_task(tmp_path: Path, data_root: Path) -> list[tuple[tuple, str]]:
    """``((name, data options, model options), data path)`` of a tiny model of each task that draws
    its whole batch on every rank: 5 rows a step (3 + 2 over two processes), and for the ones
    with words, steps or points, rows of different lengths."""
    from tests.conftest import write_progression, write_reversal_corpus, write_stroke_set
    tasks = [
        (("translate", {"batch_size": 5, "subwords": 16}, {"hidden": 6, "embedding": 4, "dropout": 0.0}),
         str(write_reversal_corpus(tmp_path / "corpus", sizes=(60, 10, 10)))),
        (("caption", {"batch_size": 5, "max_digits": 2, "val_strips": 5, "test_strips": 5},  # batch norm inside
          {"channels": 4, "hidden": 6, "embedding": 4, "dropout": 0.0}), ""),
        (("music", {"batch_size": 5, "window": 12}, {"hidden": 6, "dropout": 0.0, "input_dropout": 0.0}),
         str(write_progression(tmp_path / "progression.json"))),
        (("strokes", {"batch_size": 5}, {"hidden": 6, "mixtures": 2, "dropout": 0.0}),
         str(write_stroke_set(tmp_path / "stairs.npz"))),
        *[((name, {"batch_size": 5, "max_length": 3}, TINY_NTM), "") for name in ("copy", "repeat-copy")],
        (("associative-recall", {"batch_size": 5, "max_length": 3}, TINY_NTM), ""),
    ]
    if (data_root / "babi").is_dir():
        tasks.append((("babi", {"batch_size": 5, "task_id": "2"}, {"dim": 6}), str(data_root / "babi")))
    return tasks


def test_every_task_that_draws_its_whole_batch_takes_one_processs_steps_on_two(tmp_path, data_root):
    """Each rank draws the step's batch and trains its rows; the loss, a mean over its words,
    steps, points, bits or questions, is weighted by its share of the batch's, and the captioner's
    batch normalisation takes the whole batch's statistics."""
    sgd = {"optimizer": "sgd", "lr": 0.3}  # the update is the gradient's: Adam would magnify rounding noise in
    # gradients that are zero in exact arithmetic (a convolution's bias before batch normalisation) to lr-sized steps
    jobs = [((*task, sgd), data, str(tmp_path / task[0] / "two"), 4, False)
            for task, data in _every_other_task(tmp_path, data_root)]
    _spawn(2, jobs)
    for task, data, two, steps, _ in jobs:
        one = Path(two).with_name("one")
        _train(0, 1, _free_port(), task, data, str(one), steps, False)
        _assert_same(load_file(one / "last" / "model.safetensors"), load_file(Path(two) / "last" / "model.safetensors"),
                     task[0])


@pytest.mark.parametrize("first, then", [(2, 1), (1, 2)])
def test_a_run_resumes_exactly_on_another_number_of_processes(text, tmp_path, first, then):
    straight = _run(1, text, tmp_path / "straight", steps=6)
    _run(first, text, tmp_path / "resumed", steps=3)
    state = load_file(tmp_path / "resumed" / "last" / "state.safetensors")
    assert state["task.h"].shape[1] == BATCH  # the checkpoint holds the whole batch's carried state
    _assert_same(straight, _run(then, text, tmp_path / "resumed", steps=6, resume=True))


def test_a_task_that_cannot_shard_is_refused_in_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setattr(distributed, "start", lambda world, device: None)
    monkeypatch.delattr(SharesRows, "shard")  # copy, as a task written without it
    assert main(["train", "copy", "--out", str(tmp_path / "c"), "--max-steps", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "cannot split its batches over processes" in err


def test_a_batch_that_does_not_split_is_refused():
    with pytest.raises(Exception, match="does not split evenly over 3 processes"):
        distributed.rows_of(0, 3, 4)
