"""Training: one task-agnostic trainer, clipping, schedules, optimizers and checkpoints."""

from recur.train.clipping import clip_by_global_norm, clip_by_value, clip_gradients
from recur.train.trainer import TrainConfig, Trainer

__all__ = ["TrainConfig", "Trainer", "clip_by_global_norm", "clip_by_value", "clip_gradients"]
