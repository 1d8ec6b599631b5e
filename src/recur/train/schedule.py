"""Learning-rate schedules as pure functions of training progress p in [0, 1].

Progress is step / max_steps, or elapsed / budget for a run limited by wall-clock minutes.

    constant:  lr(p) = lr0
    cosine:    lr(p) = lr0 · (r + (1 − r) · (1 + cos(π p)) / 2)        r = min_ratio
    plateau:   lr = lr0 · s, where the trainer divides s by ``--plateau-factor`` each time the
               validation score has not improved for ``--patience`` validations (the PyTorch
               word-language-model example's ÷4), never below r (s >= min_ratio)
    linear warm-up over the first ``warmup`` steps multiplies each.
"""

from __future__ import annotations

import math

SCHEDULES = ("constant", "cosine", "plateau")


def learning_rate(base_lr: float, schedule: str, progress: float, step: int = 0, warmup: int = 0,
                  min_ratio: float = 0.1) -> float:
    p = min(max(progress, 0.0), 1.0)
    if schedule in ("constant", "plateau"):  # plateau: the trainer scales lr0 itself
        lr = base_lr
    elif schedule == "cosine":
        lr = base_lr * (min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * p)))
    else:
        raise ValueError(f"unknown schedule {schedule!r}")
    if warmup > 0 and step < warmup:
        lr *= (step + 1) / warmup
    return lr
