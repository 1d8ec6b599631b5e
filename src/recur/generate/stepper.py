"""One interface over the two ways to step a language model: ``stepper(tokens [B]) -> logits [B, V]``
(a NumPy array), plus ``reorder(index)`` to rearrange the batch's states (beam search keeps the best
hypotheses)."""

from __future__ import annotations

import numpy as np
import torch

from recur.generate.engine import StepEngine
from recur.state import map_state


class EngineStepper:
    """Through the packed ``StepEngine`` (LSTM, GRU and Elman language models)."""

    def __init__(self, model, batch: int, precision: str = "fp32"):
        self.engine = StepEngine(model, precision)
        self.engine.reset(batch)

    def __call__(self, tokens) -> np.ndarray:
        return self.engine.step(tokens)

    def reorder(self, index: np.ndarray) -> None:
        self.engine.reorder(np.asarray(index))


class ModelStepper:
    """Through the model itself, carrying its state: any model with ``model(ids [B, T], state)``."""

    def __init__(self, model, batch: int):
        self.model, self.state = model, None

    @torch.no_grad()
    def __call__(self, tokens) -> np.ndarray:
        logits, self.state = self.model(torch.as_tensor(np.asarray(tokens, dtype=np.int64))[:, None], self.state)
        return logits[:, -1].float().numpy()

    def reorder(self, index: np.ndarray) -> None:
        index = torch.as_tensor(np.asarray(index, dtype=np.int64))
        self.state = map_state(lambda field: field.index_select(1, index), self.state)  # fields [layers·dirs, B, ...]


def stepper_for(model, batch: int, precision: str = "fp32"):
    """The engine where the model supports it (in ``precision``), else the model itself (as trained)."""
    if StepEngine.supports(model):
        return EngineStepper(model, batch, precision)
    return ModelStepper(model, batch)
