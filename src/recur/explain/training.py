"""A few seconds of training for the topics that show a trained model, through the library's own
task, trainer and ``load``: seeded, quiet, and leaving nothing behind."""

from __future__ import annotations

import contextlib
import io
import tempfile

import torch

from recur.tasks import load
from recur.train import TrainConfig, Trainer

TRAINING_COPIES = 4  # training holds every parameter four times: weights, gradients, Adam's two moments


@contextlib.contextmanager
def seeded(seed: int):
    """Seed torch for the block and restore the caller's generator state afterwards, so an
    explanation is reproducible without disturbing whoever called it."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def train_briefly(task, steps: int, lr: float, seed: int):
    """Train ``task`` for ``steps`` steps in a temporary folder and return the loaded model
    (what ``recur.load`` gives: a ``CharLM`` for a character task)."""
    config = TrainConfig(max_steps=steps, lr=lr, eval_every=steps, schedule="constant", seed=seed)
    with tempfile.TemporaryDirectory(prefix="recur-explain-") as folder:
        # The trainer's progress bar and validation lines would interleave with the explanation.
        with contextlib.redirect_stderr(io.StringIO()):
            Trainer(task, config, folder).fit()
        return load(folder)
