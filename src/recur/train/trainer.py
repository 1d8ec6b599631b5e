"""One trainer for every task: the loop, clipping, schedule, evaluation, checkpoints, metrics.

An output folder holds ``last/`` (the full training state, for ``--resume``), ``best/`` (the
model with the best validation score so far: the lowest loss, unless the task's ``selection``
names another metric, as classification's accuracy), ``metrics.jsonl`` (one JSON record per log
line) and ``run.json`` (each session's command, times and machine: ``recur.train.run_log``).
Ctrl-C finishes the current step, writes ``last/`` and returns; a second Ctrl-C stops at
once. A step whose loss or gradient is not finite is skipped and reported; too many in a row stop
training without touching the last good checkpoint. A task whose weights are found in one solve
(``closed_form``, e.g. an echo state network's read-out) is solved once, evaluated and saved.
"""

from __future__ import annotations

import math
import signal
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm

from recur.errors import RecurError, require_positive
from recur.train import checkpoint
from recur.train.clipping import CLIP_MODES, clip_gradients
from recur.train.optimizers import OPTIMIZERS, build_optimizer, optimizer_from_flat, optimizer_to_flat
from recur.train.run_log import end_session, start_session
from recur.train.schedule import SCHEDULES, learning_rate
from recur.train.task import LOWEST_LOSS, Task

MAX_NONFINITE_IN_A_ROW = 10
DEFAULT_MINUTES = 5.0  # the budget the recur command gives when none is


@dataclass(frozen=True)
class TrainConfig:
    optimizer: str = field(default="adam", metadata={"choices": tuple(OPTIMIZERS)})
    lr: float = field(default=2e-3, metadata={"help": "peak learning rate"})
    weight_decay: float = 0.0
    clip: float = field(default=5.0, metadata={"help": "gradient clipping threshold; 0 turns clipping off"})
    clip_mode: str = field(default="norm", metadata={"choices": tuple(CLIP_MODES)})
    schedule: str = field(default="cosine", metadata={"choices": tuple(SCHEDULES)})
    warmup_steps: int = 0
    min_lr_ratio: float = field(default=0.1, metadata={"help": "the cosine schedule ends at lr times this"})
    max_steps: int | None = field(default=None, metadata={"help": "training budget in steps"})
    minutes: float | None = field(default=None, metadata={
        "help": "training budget in minutes of training (a total: --resume continues to it)",
        "default_text": f"{DEFAULT_MINUTES:g} when --max-steps is not given"})
    eval_every: int = field(default=200, metadata={"help": "steps between validations (each saves a checkpoint)"})
    log_every: int = 10
    seed: int = field(default=1234, metadata={
        "help": "seeds the initial weights and training randomness such as dropout"})

    def __post_init__(self):
        require_positive("learning rate", self.lr)
        require_positive("eval every", self.eval_every)
        require_positive("log every", self.log_every)
        if (self.max_steps is None) == (self.minutes is None):
            raise RecurError("give exactly one of max steps or minutes")
        if self.max_steps is not None:
            require_positive("max steps", self.max_steps)
        if self.minutes is not None:
            require_positive("minutes", self.minutes)
        if self.clip_mode not in CLIP_MODES:
            raise RecurError(f"unknown clip mode {self.clip_mode!r}; choose one of: {', '.join(CLIP_MODES)}")
        if self.schedule not in SCHEDULES:
            raise RecurError(f"unknown schedule {self.schedule!r}; choose one of: {', '.join(SCHEDULES)}")


@dataclass
class Progress:
    """What a resumed run needs besides tensors; saved as trainer_state.json."""
    step: int = 0
    elapsed: float = 0.0  # training seconds, summed over resumed runs
    best_score: float | None = None  # of the task's selection metric
    nonfinite_skipped: int = 0


class Trainer:
    def __init__(self, task: Task, config: TrainConfig, out: str | Path, command: str | None = None):
        """``command``: how the run was started, recorded in ``out/run.json`` (the CLI passes its command line)."""
        self.task, self.config, self.out, self.command = task, config, Path(out), command
        self.model = task.model
        self.optimizer = build_optimizer(config.optimizer, self.model.parameters(), config.lr, config.weight_decay)
        self.progress = Progress()
        self.selection = getattr(task, "selection", LOWEST_LOSS)
        self._stop_requested = False

    # ---- public --------------------------------------------------------------------------

    def fit(self, resume: bool = False) -> dict:
        """Train until the step or time budget is spent (or Ctrl-C). Returns a summary."""
        last = checkpoint.resolve(self.out / "last")
        if resume:
            if not (last / "config.json").exists():
                raise RecurError(f"{self.out}: nothing to resume (no checkpoint in {self.out / 'last'})")
            self._restore(last)
        elif (last / "config.json").exists():
            raise RecurError(f"{self.out} already holds a checkpoint; pass --resume to continue it or choose another --out")
        else:
            torch.manual_seed(self.config.seed)
        self.out.mkdir(parents=True, exist_ok=True)
        sessions = start_session(self.out, self.command, self.progress.step)
        previous_handler = signal.signal(signal.SIGINT, self._on_interrupt)
        try:
            self._loop()
        finally:
            signal.signal(signal.SIGINT, previous_handler)
        end_session(self.out, sessions, self.progress.step, self.progress.elapsed, self._stop_requested)
        return {"step": self.progress.step, "elapsed": self.progress.elapsed,
                f"best_{self.selection.metric}": self.progress.best_score,
                "interrupted": self._stop_requested, "out": str(self.out)}

    def request_stop(self) -> None:
        """Stop after the current step, as Ctrl-C does."""
        self._stop_requested = True

    # ---- the loop ------------------------------------------------------------------------

    def _loop(self) -> None:
        cfg, p = self.config, self.progress
        bar = self._bar()
        if getattr(self.task, "closed_form", False):  # nothing to step: the task solves its weights at once
            started = time.perf_counter()
            self.task.solve()
            p.elapsed += time.perf_counter() - started
            self._evaluate_and_save(bar)
            bar.close()
            return
        nonfinite_in_a_row = 0
        window_start, window_items, losses = time.perf_counter(), 0, []
        while not self._done() and not self._stop_requested:
            t0 = time.perf_counter()
            lr = learning_rate(cfg.lr, cfg.schedule, self._fraction_done(), p.step, cfg.warmup_steps, cfg.min_lr_ratio)
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            self.model.train()
            self.optimizer.zero_grad(set_to_none=True)
            loss = self.task.train_loss()
            grad_norm = math.nan
            if torch.isfinite(loss):
                loss.backward()
                grads = [q.grad for q in self.model.parameters() if q.grad is not None]
                grad_norm = float(clip_gradients(grads, cfg.clip, cfg.clip_mode))
            if not math.isfinite(grad_norm):
                nonfinite_in_a_row += 1
                p.nonfinite_skipped += 1
                tqdm.write(f"step {p.step + 1}: loss {loss.item():.4g}, gradient norm {grad_norm:.4g} is not finite; "
                           "step skipped, weights unchanged", file=sys.stderr)
                if nonfinite_in_a_row >= MAX_NONFINITE_IN_A_ROW:
                    raise RecurError(f"{nonfinite_in_a_row} non-finite steps in a row; stopped. The last good "
                                     f"checkpoint in {self.out / 'last'} is untouched; try a lower --lr or --clip")
                continue
            nonfinite_in_a_row = 0
            self.optimizer.step()
            p.step += 1
            p.elapsed += time.perf_counter() - t0
            losses.append(loss.item())
            window_items += self.task.items_per_step
            bar.update(1 if cfg.max_steps else min(time.perf_counter() - t0, bar.total - bar.n))
            if p.step % cfg.log_every == 0:
                rate = window_items / (time.perf_counter() - window_start)
                record = {"step": p.step, "loss": sum(losses) / len(losses), "lr": lr, "grad_norm": grad_norm,
                          f"{self.task.item_name}_per_s": rate, "elapsed": p.elapsed}
                checkpoint.append_jsonl(self.out / "metrics.jsonl", record)
                bar.set_postfix(loss=f"{record['loss']:.3f}", **{f"{self.task.item_name}/s": f"{rate:,.0f}"})
                window_start, window_items, losses = time.perf_counter(), 0, []
            if p.step % cfg.eval_every == 0 and not self._done():
                self._evaluate_and_save(bar)
                window_start, window_items, losses = time.perf_counter(), 0, []  # throughput excludes evaluation
        if self._stop_requested:
            tqdm.write(f"interrupted at step {p.step}: saving the checkpoint", file=sys.stderr)
            self._save_last()
        else:
            self._evaluate_and_save(bar)
        bar.close()

    def _done(self) -> bool:
        return self._fraction_done() >= 1.0

    def _fraction_done(self) -> float:
        if self.config.max_steps is not None:
            return self.progress.step / self.config.max_steps
        return self.progress.elapsed / (60 * self.config.minutes)

    def _bar(self):
        cfg, p = self.config, self.progress
        if cfg.max_steps is not None:
            return tqdm(total=cfg.max_steps, initial=p.step, unit="step", dynamic_ncols=True, mininterval=1.0)
        return tqdm(total=round(60 * cfg.minutes), initial=round(p.elapsed), unit="s", dynamic_ncols=True,
                    mininterval=1.0, bar_format="{l_bar}{bar}| {n:.0f}/{total_fmt}s [{elapsed}<{remaining}{postfix}]")

    def _evaluate_and_save(self, bar) -> None:
        metrics = self.task.evaluate()
        p = self.progress
        improved = self.selection.improves(metrics[self.selection.metric], p.best_score)
        if improved:
            p.best_score = metrics[self.selection.metric]
        checkpoint.append_jsonl(self.out / "metrics.jsonl",
                                {"step": p.step, "elapsed": p.elapsed, **{f"val_{k}": v for k, v in metrics.items()}})
        shown = ", ".join(f"{k} {v:.4f}" for k, v in metrics.items())
        bar.write(f"step {p.step}: validation {shown}{' (best)' if improved else ''}", file=sys.stderr)
        if improved:
            checkpoint.write_checkpoint(self.out / "best", self.task.config(),
                                        {"model": checkpoint.model_weights(self.model)},
                                        {"trainer_state": {"step": p.step, "val": metrics}})
        self._save_last()

    # ---- checkpoints ---------------------------------------------------------------------

    def _save_last(self) -> None:
        opt_tensors, opt_rest = optimizer_to_flat(self.optimizer)
        position, task_tensors = self.task.state()
        state = {f"task.{k}": v for k, v in task_tensors.items()}
        state["rng.torch"] = torch.get_rng_state()
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
        optimizer_from_flat(self.optimizer, checkpoint.read_tensors(folder, "optimizer"), trainer_state["optimizer"])
        state = checkpoint.read_tensors(folder, "state")
        torch.set_rng_state(state.pop("rng.torch"))
        self.task.load_state(trainer_state["position"], {k[len("task."):]: v for k, v in state.items()})
        if "best_loss" in trainer_state:  # written before the selection metric was the task's
            trainer_state["best_score"] = trainer_state.pop("best_loss")
        self.progress = Progress(**{k: trainer_state[k] for k in asdict(Progress())})

    def _on_interrupt(self, signum, frame) -> None:
        if self._stop_requested:  # a second Ctrl-C: stop now
            raise KeyboardInterrupt
        self._stop_requested = True
