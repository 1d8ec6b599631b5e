"""Stepping an exported ONNX step in ONNX Runtime: the tool a user would deploy instead of recur's engine,
so the benchmarks measure recur against it (``bench/generate.py``, ``bench/generate_quality.py``).

``export_onnx`` writes the step (``ids [B], *state -> logits [B, V], *state_out``); ``quantise_step``
applies ONNX Runtime's stock dynamic int8 quantisation to it (``quantize_dynamic``: int8 weights with
one scale per tensor, uint8 activations quantised per call), as its documentation suggests for RNNs;
``OnnxStepper`` runs either from a Python loop, feeding each step's states back, on a fixed number of
threads with sequential execution.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import numpy as np

from recur.errors import RecurError


def require_onnxruntime() -> None:
    if importlib.util.find_spec("onnxruntime") is None:
        raise RecurError("running an ONNX step needs onnxruntime, which is not installed: pip install 'recur[onnx]'")


def quantise_step(source: Path, target: Path) -> Path:
    """ONNX Runtime's dynamic int8 quantisation of an exported step (its defaults: int8 weights)."""
    require_onnxruntime()
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(logging.ERROR)  # it suggests pre-processing on the root logger; not needed here
    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8)
    return target


class OnnxStepper:
    """``step(ids [B]) -> logits [B, V]`` through ONNX Runtime, carrying the state between calls."""

    def __init__(self, path: Path, threads: int = 1):
        require_onnxruntime()
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads  # the same core count recur's variant gets
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        inputs = self.session.get_inputs()
        self.names = [i.name for i in inputs]
        self.state_shapes = [tuple(i.shape) for i in inputs[1:]]  # [L, "batch", H] each
        self.reset(1)

    def reset(self, batch: int = 1) -> None:
        self.state = [np.zeros((L, batch, H), np.float32) for L, _, H in self.state_shapes]

    def step(self, ids: np.ndarray) -> np.ndarray:
        logits, *self.state = self.session.run(None, dict(zip(self.names, [ids, *self.state])))
        return logits
