"""A language model's single step as an ONNX graph, for runtimes without Python or PyTorch.

The graph is one generation step with the state passed in and out explicitly:

    inputs : ids [B] (int64), then every state field [L, B, H] (LSTM: h, c; GRU/Elman: h; clockwork: h, clock)
    outputs: logits [B, V], then every state field as "<field>_out"

B is a dynamic axis. Start from zeros for every state field and feed each step's ``*_out`` back
in; the logits match recur's own to float32 rounding (tested through onnxruntime). Cells without a
fused kernel are exported from the eager loop, which is plain tensor operations.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import torch
from torch import nn

from recur.atomic import write_atomically
from recur.errors import RecurError
from recur.modes import evaluation_mode
from recur.state import field_names


class OneStep(nn.Module):
    """``(ids [B], *state) -> (logits [B, V], *state)`` around a ``LanguageModel``."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, ids, *state):
        logits, new_state = self.model(ids[:, None], self.model.rnn.state_type(*state))
        return (logits[:, -1], *new_state)


def require_onnx() -> None:
    """Refuse in one line, saying what to install, where the optional ``onnx`` package is missing
    (PyTorch's exporter needs it; ``onnxruntime`` only runs the file)."""
    if importlib.util.find_spec("onnx") is None:
        raise RecurError("exporting to ONNX needs onnx, which is not installed: pip install 'recur[onnx]'")


def export_onnx(model, path: Path, opset: int = 17) -> list[str]:
    """Write ``model``'s step to ``path`` (temp file, then rename); returns the input names."""
    require_onnx()
    rnn = model.rnn
    if rnn.bidirectional:
        raise RecurError("a bidirectional model has no left-to-right step to export")
    fields = field_names(rnn.state_type)
    example_ids = torch.zeros(2, dtype=torch.long)
    example_state = tuple(rnn.init_state(2, model.head.weight))
    names_in, names_out = ["ids", *fields], ["logits", *(f"{name}_out" for name in fields)]
    batch_axes = {"ids": {0: "batch"}, "logits": {0: "batch"}}
    batch_axes.update({name: {1: "batch"} for name in names_in[1:] + names_out[1:]})
    chosen = rnn.executor

    def export(temp: Path) -> None:
        with torch.no_grad(), warnings.catch_warnings():
            # the exporter warns about batch sizes unless h0/c0 are inputs; here they are
            warnings.filterwarnings("ignore", message="Exporting a model to ONNX with a batch_size other than 1")
            # the input-shape checks are traced as constants, which is right for a fixed-width step
            warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
            torch.onnx.export(OneStep(model), (example_ids, *example_state), str(temp), input_names=names_in,
                              output_names=names_out, dynamic_axes=batch_axes, opset_version=opset, dynamo=False)

    try:
        with evaluation_mode(model):
            rnn.executor = "loop" if rnn.cells[0].fused_kind is None else "fused"  # plain tensor ops only
            write_atomically(path, export)
    finally:
        rnn.executor = chosen
    return names_in
