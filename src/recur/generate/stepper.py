"""One interface over the two ways to step a language model: ``stepper(tokens [B]) -> logits [B, V]``,
plus ``reorder(index)`` to rearrange the batch's states (beam search keeps the best hypotheses)."""

from __future__ import annotations

import numpy as np
import torch

from recur.generate.engine import StepEngine


class EngineStepper:
    """Through the packed ``StepEngine`` (LSTM, GRU and Elman language models)."""

    def __init__(self, model, batch: int):
        self.engine = StepEngine(model)
        self.engine.reset(batch)

    def __call__(self, tokens: list[int]) -> torch.Tensor:
        return torch.from_numpy(self.engine.step(np.asarray(tokens)))

    def reorder(self, index: torch.Tensor) -> None:
        self.engine.reorder(index.numpy())


class ModelStepper:
    """Through the model itself, carrying its state: any model with ``model(ids [B, T], state)``."""

    def __init__(self, model, batch: int):
        self.model, self.state = model, None

    def __call__(self, tokens: list[int]) -> torch.Tensor:
        logits, self.state = self.model(torch.tensor(tokens)[:, None], self.state)
        return logits[:, -1]

    def reorder(self, index: torch.Tensor) -> None:
        self.state = type(self.state)(*[field.index_select(1, index) for field in self.state])


def stepper_for(model, batch: int):
    """The engine where the model supports it, else the model itself."""
    return EngineStepper(model, batch) if StepEngine.supports(model) else ModelStepper(model, batch)
