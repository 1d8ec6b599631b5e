"""The exported ONNX step, run in onnxruntime, gives recur's own logits and states."""

import numpy as np
import pytest
import torch

from recur.generate.onnx_export import export_onnx
from recur.models import LanguageModel, LanguageModelConfig

ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install -e '.[onnx]')")


@pytest.mark.parametrize("cell", ["lstm", "gru", "elman", "gru-seed", "clockwork", "layernorm-lstm"])
def test_onnx_step_matches_recur(tmp_path, cell):
    torch.manual_seed(0)
    model = LanguageModel(LanguageModelConfig(vocab_size=13, cell=cell, hidden=8, layers=2, embedding=5)).eval()
    names = export_onnx(model, tmp_path / "step.onnx")
    session = ort.InferenceSession(str(tmp_path / "step.onnx"))
    ids = torch.randint(13, (3, 6))  # batch 3: a batch size other than the export's example
    state = model.rnn.init_state(3, model.head.weight)
    onnx_state = [field.numpy() for field in state]
    with torch.no_grad():
        expected, _ = model(ids)
    for t in range(ids.shape[1]):
        logits, *onnx_state = session.run(None, dict(zip(names, [ids[:, t].numpy(), *onnx_state])))
        np.testing.assert_allclose(logits, expected[:, t].numpy(), rtol=1e-5, atol=1e-5)
