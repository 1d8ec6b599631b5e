"""Running a module in evaluation mode for a while: the one guard every scorer, exporter and probe uses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn


@contextmanager
def evaluation_mode(model: nn.Module) -> Iterator[nn.Module]:
    """``model.eval()`` inside the block (no dropout, no recurrent-dropout masks); its previous
    mode, training or not, is restored on the way out, also after an error."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)
