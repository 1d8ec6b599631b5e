"""Training on several processes with PyTorch's own engine: ``torch.distributed`` and
``DistributedDataParallel`` (DDP), launched by ``torchrun`` (or ``recur train ... --nproc N``,
which runs ``python -m torch.distributed.run --nproc-per-node N -m recur train ...``).

    global batch B (--batch-size)   rank r of W trains on its shard, rows r, r+W, r+2W, ... (B/W rows)
    loss_r = mean over rank r's rows (every row holds as many tokens)
    ∇ = (1/W) Σ_r ∇loss_r          DDP's all-reduce: the gradient of the global batch's mean loss

so W processes take the steps one process takes with the whole batch (``tests/train/test_ddp.py``
holds the parameters equal to float64 tolerance). The backend is gloo on CPUs and NCCL on CUDA
GPUs. Rank 0 alone writes checkpoints, metrics and the progress bar; every rank evaluates the same
validation data with the same weights, so their decisions (best, early stop) agree without a
message. Each step the ranks agree on the time spent and on a stop request (Ctrl-C or SIGTERM,
which torchrun passes to every rank), so that none waits for a step the others will not take.

A task joins by ``shard(rank, world)`` (its batches become its rows of the global batch, and its
``share`` says how many of the batch's items, rows or tokens, its mean loss is over) and, if it
carries tensors between steps, by ``gather_rows``-ing them for the checkpoint: a checkpoint holds
the global batch's state, whatever the world size, and each rank's torch RNG state. A model's batch
normalisations take their statistics over the global batch (``recur.train.synced_norm``).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import torch
from torch import distributed as dist
from torch import nn

from recur.errors import RecurError
from recur.train.synced_norm import global_batch_norms


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1


SINGLE = World()


def launched_world() -> World:
    """The rank and world size torchrun gives this process (``RANK``, ``WORLD_SIZE``), or one process."""
    try:
        size, rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))
    except ValueError:
        raise RecurError("RANK and WORLD_SIZE must be whole numbers (torchrun sets them)") from None
    if size < 1 or not 0 <= rank < size:
        raise RecurError(f"RANK {rank} is not one of the WORLD_SIZE {size} processes")
    return World(rank, size)


def start(world: World, device: torch.device) -> None:
    """Join the process group (gloo on the CPU, NCCL on CUDA) unless this is one process."""
    if not world.distributed or dist.is_initialized():
        return
    backend = "nccl" if device.type == "cuda" else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend)


def stop(world: World) -> None:
    if world.distributed and dist.is_initialized():
        dist.destroy_process_group()


class TrainStep(nn.Module):
    """The module DDP wraps: its parameters are the task's model's, its forward is the task's
    ``train_loss`` (whatever the task does inside, the gradients flow through DDP's hooks)."""

    def __init__(self, task):
        super().__init__()
        self.model = task.model
        self._task = [task]  # in a list: not a submodule

    def forward(self) -> torch.Tensor:
        return self._task[0].train_loss()


def wrap(task, world: World, device: torch.device) -> nn.Module | None:
    """The task's training step inside DDP (parameters broadcast from rank 0), its batches sharded
    and its batch normalisations global; None for one process, or for a task solved in closed form
    (every rank solves the same). A task that cannot shard its batches is refused in one line."""
    if not world.distributed or getattr(task, "closed_form", False):
        return None
    if not hasattr(task, "shard"):
        raise RecurError(f"{type(task).__name__}: this task cannot split its batches over processes; "
                         f"train it on one process")
    task.shard(world.rank, world.size)
    global_batch_norms(task.model, device)
    return nn.parallel.DistributedDataParallel(TrainStep(task), device_ids=[device.index] if device.type == "cuda"
                                               else None)


def global_mean(world: World, loss: torch.Tensor, share: tuple[int, int] | None) -> torch.Tensor:
    """Rank r's mean loss over its n_r of the batch's N rows, scaled to W·(n_r/N)·loss_r, so that
    DDP's average of the gradients is the gradient of the batch's mean, (1/N) Σ_rows, however the
    rows fell (an epoch's short last batch). ``share``: ``(n_r, N)``; None: equal shares."""
    if not world.distributed or share is None:
        return loss
    mine, whole = share
    return loss * (world.size * mine / whole)


def logged_loss(world: World, loss: torch.Tensor) -> float:
    """The batch's mean loss (the ranks' scaled losses averaged), for the log."""
    value = loss.detach().to(torch.float64).reshape(1).cpu()
    if world.distributed:
        dist.all_reduce(value)
        value /= world.size
    return float(value)


def barrier(world: World) -> None:
    if world.distributed:
        dist.barrier()


def agree(world: World, elapsed: float, stop_requested: bool) -> tuple[float, bool]:
    """Every rank's largest elapsed time and whether any rank was asked to stop."""
    if not world.distributed:
        return elapsed, stop_requested
    both = torch.tensor([elapsed, float(stop_requested)], dtype=torch.float64)
    dist.all_reduce(both, op=dist.ReduceOp.MAX)
    return float(both[0]), bool(both[1])


def rows_of(rank: int, world: int, batch: int, what: str = "--batch-size") -> slice:
    """Rank ``rank``'s rows of a global batch of ``batch`` rows: ``rank::world``."""
    if batch % world:
        raise RecurError(f"{what} {batch} does not split evenly over {world} processes; give a multiple of {world}")
    return slice(rank, None, world)


def gather_rows(world: World, tensor: torch.Tensor, dim: int) -> torch.Tensor:
    """The global tensor from every rank's rows ``rank::world`` along ``dim`` (a collective: every
    rank calls it; all ranks get the result)."""
    if not world.distributed:
        return tensor
    pieces = [torch.empty_like(tensor) for _ in range(world.size)]
    dist.all_gather(pieces, tensor.contiguous())
    stacked = torch.stack(pieces, dim=dim + 1)  # [..., rows/W, W, ...]: row i of rank r is global row i*W + r
    return stacked.flatten(dim, dim + 1)


def gather_rng(world: World) -> torch.Tensor:
    """``[W, n]``: every rank's torch RNG state (all ranks call it)."""
    state = torch.get_rng_state()
    if not world.distributed:
        return state[None]
    pieces = [torch.empty_like(state) for _ in range(world.size)]
    dist.all_gather(pieces, state)
    return torch.stack(pieces)


def restore_rng(world: World, states: torch.Tensor | None, single: torch.Tensor, seed: int, step: int) -> str:
    """Set this rank's RNG from a checkpoint's ``[W', n]`` states (``single``: rank 0's, in every
    checkpoint). Returns what is exact: with the same world size every rank's stream continues; with
    another, rank r < W' continues rank r's and the others are seeded from (seed, step, rank)."""
    if states is not None and world.rank < len(states):
        torch.set_rng_state(states[world.rank])
    elif world.rank == 0:
        torch.set_rng_state(single)
    else:
        torch.manual_seed(hash((seed, step, world.rank)) % 2**63)
    saved = 1 if states is None else len(states)
    return "" if saved == world.size else (
        f"resumed on {world.size} processes from a checkpoint of {saved}: the data position and the carried state "
        f"are exact, the dropout masks of ranks past {saved - 1} are new")


def launch(nproc: int, argv: list[str]) -> int:
    """``recur train ... --nproc N``: the same command under torchrun, on this machine."""
    from torch.distributed import run as torchrun

    command = ["--nproc-per-node", str(nproc), "-m", "recur", *argv]
    print(f"recur: torchrun {' '.join(command)}", file=sys.stderr)
    try:
        torchrun.main(command)
    except SystemExit as done:
        return int(done.code or 0)
    except Exception as err:  # torchrun's ChildFailedError: a rank failed; its own message is above
        print(f"recur: distributed training failed: {str(err).splitlines()[0] if str(err) else type(err).__name__}",
              file=sys.stderr)
        return 1
    return 0
