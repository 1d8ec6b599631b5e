"""One trainer for every task: the loop, clipping, schedule, evaluation, checkpoints, metrics.

An output folder holds ``last/`` (the full training state, for ``--resume``), ``best/`` (the
model with the best validation score so far: the lowest loss, unless the task's ``selection``
names another metric, as classification's accuracy), ``metrics.jsonl`` (one JSON record per log
line) and ``run.json`` (each session's command, times and machine: ``recur.train.run_log``).
Ctrl-C (or SIGTERM, as schedulers and ``docker stop`` send) finishes the current step, writes
``last/`` and returns; a second one stops at once. One process at a time may train in a folder
(``recur.train.run_folder``). A step whose loss or gradient is not finite is skipped and reported;
too many in a row stop training without touching the last good checkpoint; a validation loss far
above the untrained model's marks the run diverged and is never kept as ``best/``. With
``--schedule plateau`` the learning rate is divided when validation stops improving, and
``--early-stop N`` ends the run after N validations without improvement. A task whose weights are found in one solve
(``closed_form``, e.g. an echo state network's read-out) is solved once, evaluated and saved.
"""

from __future__ import annotations

import contextlib
import gc
import math
import signal
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm

from recur.checks import check_config
from recur.errors import RecurError
from recur.train import checkpoint, distributed
from recur.train.clipping import CLIP_MODES, clip_gradients
from recur.train.optimizers import OPTIMIZERS, build_optimizer, optimizer_from_flat, optimizer_to_flat
from recur.train.run_folder import RunLock, refuse_a_second_start, remove_leftovers, rewind_metrics
from recur.train.run_log import end_session, start_session
from recur.train.schedule import SCHEDULES, learning_rate
from recur.train.task import LOWEST_LOSS, Task

MAX_NONFINITE_IN_A_ROW = 10
DIVERGED_FACTOR = 10.0  # a validation loss this many times the untrained model's training loss has blown up
# (not less: a forecaster's validation split can legitimately score 2-3x its first training batches, ETTh1)
REQUIRED_PROGRESS = ("step", "elapsed", "best_score")  # in every trainer_state.json; later fields default
DEFAULT_MINUTES = 5.0  # the budget the recur command gives when none is


@dataclass(frozen=True)
class TrainConfig:
    """How to train; every field is a ``recur train`` flag, checked (type, finite, range) by
    ``recur.checks`` in one place. The budget (``max_steps`` or ``minutes``) is a total over the run
    and its resumes: ``--resume --minutes 10`` after 5 minutes trains 5 more."""
    optimizer: str = field(default="adam", metadata={"choices": tuple(OPTIMIZERS)})
    lr: float = field(default=2e-3, metadata={"help": "peak learning rate", "above": 0})
    weight_decay: float = field(default=0.0, metadata={"at_least": 0})
    clip: float = field(default=5.0, metadata={"help": "gradient clipping threshold; 0 turns clipping off",
                                               "at_least": 0})
    clip_mode: str = field(default="norm", metadata={"choices": tuple(CLIP_MODES)})
    schedule: str = field(default="cosine", metadata={
        "choices": tuple(SCHEDULES),
        "help": "cosine: decays to lr x min-lr-ratio over the budget; plateau: divides lr by --plateau-factor "
                "when validation stops improving"})
    warmup_steps: int = field(default=0, metadata={"at_least": 0})
    min_lr_ratio: float = field(default=0.1, metadata={
        "help": "the cosine schedule ends at lr times this; the plateau schedule stops dividing there",
        "at_least": 0, "at_most": 1})
    plateau_factor: float = field(default=4.0, metadata={
        "help": "with --schedule plateau: divide lr by this when validation has not improved for --patience "
                "validations", "above": 1})
    patience: int = field(default=1, metadata={"help": "validations without improvement before a plateau step",
                                               "at_least": 1})
    early_stop: int = field(default=0, metadata={
        "help": "stop after this many validations in a row without improvement; 0: never", "at_least": 0})
    max_steps: int | None = field(default=None, metadata={"help": "training budget in steps (a total over resumes)",
                                                          "at_least": 1, "default_text": "none: --minutes is the budget"})
    minutes: float | None = field(default=None, metadata={
        "help": "training budget in minutes of training (a total: --resume continues to it)",
        "default_text": f"{DEFAULT_MINUTES:g} when --max-steps is not given", "above": 0})
    eval_every: int = field(default=200, metadata={"help": "steps between validations (each saves a checkpoint)",
                                                   "at_least": 1})
    log_every: int = field(default=10, metadata={"at_least": 1})
    seed: int = field(default=1234, metadata={
        "help": "seeds the initial weights and training randomness such as dropout", "at_least": 0,
        "at_most": 2**63 - 1})

    def __post_init__(self):
        check_config(self)
        if (self.max_steps is None) == (self.minutes is None):
            raise RecurError("give exactly one of max steps or minutes")


@dataclass
class Progress:
    """What a resumed run needs besides tensors; saved as trainer_state.json, and checked like a
    config when read back (an edited ``"step": NaN`` is refused, not trained on)."""
    step: int = field(default=0, metadata={"at_least": 0})
    elapsed: float = field(default=0.0, metadata={"at_least": 0})  # training seconds, summed over resumed runs
    best_score: float | None = None  # of the task's selection metric
    nonfinite_skipped: int = field(default=0, metadata={"at_least": 0})
    lr_scale: float = field(default=1.0, metadata={"above": 0, "at_most": 1})  # the plateau schedule's divisions
    stale_validations: int = field(default=0, metadata={"at_least": 0})  # validations since the last improvement
    first_loss: float | None = None  # the untrained model's training loss: the yardstick of divergence

    def __post_init__(self):
        check_config(self)


class Trainer:
    def __init__(self, task: Task, config: TrainConfig, out: str | Path, command: str | None = None,
                 device: str | torch.device = "cpu", data: dict | None = None):
        """``command``: how the run was started, recorded in ``out/run.json`` (the CLI passes its
        command line), with ``data`` (``run_log.data_fingerprint`` of the data file). ``device``: where
        to train (``recur.machine.resolve_device``); checkpoints are written from the CPU copies, so
        they load anywhere."""
        self.task, self.config, self.out, self.command, self.data = task, config, Path(out), command, data
        self.device = torch.device(device)
        if self.device.type != "cpu" and not hasattr(task, "to"):
            raise RecurError(f"this task trains on the CPU only for now, not on {self.device}")
        self.model = task.model.to(self.device)
        if self.device.type != "cpu":
            task.to(self.device)
        self.world = distributed.launched_world()
        distributed.start(self.world, self.device)
        self.step_module = distributed.wrap(task, self.world, self.device)  # DDP around train_loss, or None
        self.optimizer = build_optimizer(config.optimizer, self.model.parameters(), config.lr, config.weight_decay)
        self.progress = Progress()
        self.selection = getattr(task, "selection", LOWEST_LOSS)
        self._stop_requested = False  # set by Ctrl-C / SIGTERM / request_stop
        self._stop_agreed = False  # under DDP: some rank was asked to stop, as all ranks agreed at the last step
        self._stopped_early = False
        self._diverged = False

    # ---- public --------------------------------------------------------------------------

    def fit(self, resume: bool = False) -> dict:
        """Train until the step or time budget is spent (or Ctrl-C / SIGTERM, or early stopping).
        Returns a summary."""
        main = self.world.is_main
        with RunLock(self.out) if main else contextlib.nullcontext():  # rank 0 holds the folder for all ranks
            if main:
                remove_leftovers(self.out)
            distributed.barrier(self.world)
            last = checkpoint.resolve(self.out / "last")
            if resume:
                if not (last / "config.json").exists():
                    raise RecurError(f"{self.out}: nothing to resume (no checkpoint in {self.out / 'last'})")
                self._restore(last)
                if self._done():
                    raise RecurError(f"{self.out}: {self._budget_text()}, which is the whole budget (a total over "
                                     "the run and its resumes); give a larger one to train more")
            else:
                if main:
                    refuse_a_second_start(self.out)
                torch.manual_seed(self.config.seed + self.world.rank)  # rank 0's stream is one process's
            dropped = rewind_metrics(self.out, self.progress.step) if main else 0
            if dropped:
                tqdm.write(f"{self.out / 'metrics.jsonl'}: {dropped} records past step {self.progress.step} (the "
                           "checkpoint) dropped; those steps are trained again", file=sys.stderr)
            sessions = start_session(self.out, self.command, self.progress.step, self.data,
                                     self.world.size) if main else None
            previous = {sig: signal.signal(sig, self._on_interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                self._loop()
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
            if main:
                end_session(self.out, sessions, self.progress.step, self.progress.elapsed, self._stopping)
        if self._diverged and self.world.is_main:
            tqdm.write(f"warning: training diverged (a validation loss over {DIVERGED_FACTOR:g}x the untrained "
                       f"model's); no diverged model was kept as best; try a lower --lr than {self.config.lr:g}",
                       file=sys.stderr)
        return {"step": self.progress.step, "elapsed": self.progress.elapsed,
                f"best_{self.selection.metric}": self.progress.best_score,
                "interrupted": self._stopping, "stopped_early": self._stopped_early,
                "diverged": self._diverged, "out": str(self.out)}

    def close(self, finished: bool = True) -> None:
        """Leave the process group (under DDP): after a run that finished, every rank meets once more
        (after an error the others may be inside a collective: no meeting); then the DDP wrapper is
        let go, and only then the group (the group freed last, from the wrapper, with the GIL held,
        could wait forever on a gloo thread that needs the GIL)."""
        if finished:
            distributed.barrier(self.world)
        self.step_module = None
        gc.collect()
        distributed.stop(self.world)

    def request_stop(self) -> None:
        """Stop after the current step, as Ctrl-C does."""
        self._stop_requested = True

    # ---- the loop ------------------------------------------------------------------------

    def _loop(self) -> None:
        bar = self._bar()
        try:
            self._train(bar)
        finally:
            bar.close()  # also when an error stops training: its one line must not be glued to the bar

    def _train(self, bar) -> None:
        cfg, p = self.config, self.progress
        if getattr(self.task, "closed_form", False):  # nothing to step: the task solves its weights at once
            started = time.perf_counter()
            self.task.solve()
            p.elapsed += time.perf_counter() - started
            self._evaluate_and_save(bar)
            return
        nonfinite_in_a_row = 0
        window_start, window_items, losses = time.perf_counter(), 0, []
        while not self._done() and not self._stopping and not self._stopped_early:
            t0 = time.perf_counter()
            lr = p.lr_scale * learning_rate(cfg.lr, cfg.schedule, self._fraction_done(), p.step, cfg.warmup_steps,
                                            cfg.min_lr_ratio)
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            self.model.train()
            self.optimizer.zero_grad(set_to_none=True)
            loss = self.step_module() if self.step_module is not None else self.task.train_loss()
            loss = distributed.global_mean(self.world, loss, getattr(self.task, "share", None))
            grad_norm = math.nan
            if torch.isfinite(loss) or self.world.distributed:  # every rank takes part in the gradients' all-reduce
                loss.backward()
                grads = [q.grad for q in self.model.parameters() if q.grad is not None]
                grad_norm = float(clip_gradients(grads, cfg.clip, cfg.clip_mode))
            if not math.isfinite(grad_norm):
                nonfinite_in_a_row += 1
                p.nonfinite_skipped += 1
                self._say(f"step {p.step + 1}: loss {loss.item():.4g}, gradient norm {grad_norm:.4g} is not finite; "
                          "step skipped, weights unchanged")
                if nonfinite_in_a_row >= MAX_NONFINITE_IN_A_ROW:
                    kept = (f"the last good checkpoint in {self.out / 'last'} is untouched"
                            if (checkpoint.resolve(self.out / "last") / "config.json").exists()
                            else "no checkpoint was written yet")
                    raise RecurError(f"{nonfinite_in_a_row} non-finite steps in a row: training diverged and "
                                     f"stopped; {kept}; try a lower --lr than {cfg.lr:g} or a smaller --clip")
                continue
            nonfinite_in_a_row = 0
            self.optimizer.step()
            value = distributed.logged_loss(self.world, loss)  # the whole batch's mean, on every rank
            if p.first_loss is None:
                p.first_loss = value
            p.step += 1
            p.elapsed += time.perf_counter() - t0
            p.elapsed, self._stop_agreed = distributed.agree(self.world, p.elapsed, self._stop_requested)
            losses.append(value)
            window_items += self.task.items_per_step
            bar.update(1 if cfg.max_steps else min(time.perf_counter() - t0, bar.total - bar.n))
            if p.step % cfg.log_every == 0:
                rate = window_items / (time.perf_counter() - window_start)
                record = {"step": p.step, "loss": sum(losses) / len(losses), "lr": lr, "grad_norm": grad_norm,
                          f"{self.task.item_name}_per_s": rate, "elapsed": p.elapsed}
                if self.world.is_main:
                    checkpoint.append_jsonl(self.out / "metrics.jsonl", record)
                bar.set_postfix(loss=f"{record['loss']:.3f}", **{f"{self.task.item_name}/s": f"{rate:,.0f}"})
                window_start, window_items, losses = time.perf_counter(), 0, []
            if p.step % cfg.eval_every == 0 and not self._done():
                self._evaluate_and_save(bar)
                window_start, window_items, losses = time.perf_counter(), 0, []  # throughput excludes evaluation
        if self._stopping:
            self._say(f"interrupted at step {p.step}: saving the checkpoint")
            self._save_last()
        elif not self._stopped_early:  # early stopping has just evaluated and saved
            self._evaluate_and_save(bar)

    @property
    def _stopping(self) -> bool:
        """Stop at the end of this step: on one process when asked; under DDP when any rank was asked
        by the last step's agreement (a signal landing between steps must not stop one rank alone)."""
        return self._stop_agreed if self.world.distributed else self._stop_requested

    def _done(self) -> bool:
        return self._fraction_done() >= 1.0

    def _fraction_done(self) -> float:
        if self.config.max_steps is not None:
            return self.progress.step / self.config.max_steps
        return self.progress.elapsed / (60 * self.config.minutes)

    def _budget_text(self) -> str:
        if self.config.max_steps is not None:
            return f"it has reached step {self.progress.step} of --max-steps {self.config.max_steps}"
        return f"it has trained {self.progress.elapsed / 60:.2f} of --minutes {self.config.minutes:g}"

    def _bar(self):
        cfg, p = self.config, self.progress
        hidden = not self.world.is_main  # one bar for all ranks: rank 0's
        if cfg.max_steps is not None:
            return tqdm(total=cfg.max_steps, initial=p.step, unit="step", dynamic_ncols=True, mininterval=1.0,
                        disable=hidden)
        return tqdm(total=round(60 * cfg.minutes), initial=round(p.elapsed), unit="s", dynamic_ncols=True,
                    mininterval=1.0, disable=hidden, bar_format="{l_bar}{bar}| {n:.0f}/{total_fmt}s [{elapsed}<{remaining}{postfix}]")

    def _diverges(self, loss: float) -> bool:
        """A validation loss that is not finite, or over DIVERGED_FACTOR times the untrained model's
        training loss: the run has blown up (a too-high --lr), however the selection metric reads."""
        first = self.progress.first_loss
        return not math.isfinite(loss) or (first is not None and first > 0 and loss > DIVERGED_FACTOR * first)

    def _evaluate_and_save(self, bar) -> None:
        cfg, p = self.config, self.progress
        metrics = self.task.evaluate()
        diverged = self._diverges(metrics["loss"])
        improved = not diverged and self.selection.improves(metrics[self.selection.metric], p.best_score)
        self._diverged = self._diverged or diverged
        if improved:
            p.best_score, p.stale_validations = metrics[self.selection.metric], 0
        else:
            p.stale_validations += 1
        shown = ", ".join(f"{k} {v:.4f}" for k, v in metrics.items())
        note = " (best)" if improved else " (diverged: not kept as best)" if diverged else ""
        self._say(f"step {p.step}: validation {shown}{note}")
        if self.world.is_main:
            checkpoint.append_jsonl(self.out / "metrics.jsonl",
                                    {"step": p.step, "elapsed": p.elapsed, **{f"val_{k}": v for k, v in metrics.items()}})
        if improved and self.world.is_main:
            checkpoint.write_checkpoint(self.out / "best", self.task.config(),
                                        {"model": checkpoint.model_weights(self.model)},
                                        {"trainer_state": {"step": p.step, "val": metrics}})
        if cfg.schedule == "plateau" and p.stale_validations and p.stale_validations % cfg.patience == 0 \
                and p.lr_scale > cfg.min_lr_ratio:
            p.lr_scale = max(p.lr_scale / cfg.plateau_factor, cfg.min_lr_ratio)
            self._say(f"step {p.step}: no improvement in {p.stale_validations} validations; learning rate now "
                      f"{cfg.lr * p.lr_scale:.3g}")
        if cfg.early_stop and p.stale_validations >= cfg.early_stop:
            self._stopped_early = True
            self._say(f"step {p.step}: no improvement in {p.stale_validations} validations: stopping early "
                      f"(--early-stop {cfg.early_stop})")
        self._save_last()

    # ---- checkpoints ---------------------------------------------------------------------

    def _save_last(self) -> None:
        opt_tensors, opt_rest = optimizer_to_flat(self.optimizer)
        position, task_tensors = self.task.state()  # under DDP a collective: the global batch's carried state
        state = {f"task.{k}": v for k, v in task_tensors.items()}
        state["rng.torch"] = torch.get_rng_state()
        ranks_rng = distributed.gather_rng(self.world)
        if self.world.distributed:
            state["rng.torch.ranks"] = ranks_rng  # [W, n]: each rank's stream
        if not self.world.is_main:
            return
        trainer_state = {**asdict(self.progress), "position": position, "optimizer": opt_rest,
                         "train_config": asdict(self.config)}
        checkpoint.write_checkpoint(
            self.out / "last", self.task.config(),
            {"model": checkpoint.model_weights(self.model), "optimizer": opt_tensors, "state": state},
            {"trainer_state": trainer_state},
        )

    def _restore(self, folder: Path) -> None:
        checkpoint.load_model_weights(self.model, folder)
        trainer_state = checkpoint.read_json(folder, "trainer_state")
        if "best_loss" in trainer_state:  # written before the selection metric was the task's
            trainer_state["best_score"] = trainer_state.pop("best_loss")
        try:
            optimizer_from_flat(self.optimizer, checkpoint.read_tensors(folder, "optimizer"),
                                trainer_state["optimizer"])
            state = checkpoint.read_tensors(folder, "state")
            note = distributed.restore_rng(self.world, state.pop("rng.torch.ranks", None), state.pop("rng.torch"),
                                           self.config.seed, trainer_state["step"])
            if note:
                self._say(note)
            self.task.load_state(trainer_state["position"], {k[len("task."):]: v for k, v in state.items()})
            self.progress = Progress(**{k: trainer_state[k] for k in asdict(Progress())
                                        if k in trainer_state or k in REQUIRED_PROGRESS})
        except (KeyError, TypeError, ValueError, IndexError, RuntimeError) as err:
            raise RecurError(f"{folder}: the training state does not match this model and task ({err!s:.200}); "
                             "the checkpoint was edited or is from another version") from None

    def _say(self, message: str) -> None:
        """A line on stderr, above the progress bar: rank 0's only."""
        if self.world.is_main:
            tqdm.write(message, file=sys.stderr)

    def _on_interrupt(self, signum, frame) -> None:
        if self._stop_requested:  # a second Ctrl-C: stop now
            raise KeyboardInterrupt
        self._stop_requested = True
