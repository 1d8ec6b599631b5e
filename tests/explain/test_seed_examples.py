"""The lectures' worked examples, as tests."""

import numpy as np
import pytest
import torch
from torch import nn

import recur
from recur.cells import build_cell
from recur.reference import elman_forward
from recur.train.clipping import clip_by_global_norm


def test_seed_003_one_hot_picks_a_column_of_U():
    """U · x_{t=4} = [0.6, 0.9, -0.8]: a one-hot input selects column 4 of U (an embedding lookup)."""
    U = torch.tensor([[0.1, -0.3, 1.2, 0.6, -0.8], [-0.2, 0.4, 0.5, 0.9, -0.1], [-0.1, 0.2, -0.7, -0.8, 0.3]])
    x4 = torch.tensor([0.0, 0.0, 0.0, 1.0, 0.0])
    torch.testing.assert_close(U @ x4, torch.tensor([0.6, 0.9, -0.8]))
    embedding = nn.Embedding.from_pretrained(U.T)  # recur's language model looks the column up
    torch.testing.assert_close(embedding(torch.tensor(3)), torch.tensor([0.6, 0.9, -0.8]))
    cache = elman_forward({"weight_ih": U.numpy().astype(float), "weight_hh": np.zeros((3, 3))}, x4.numpy()[None].astype(float))
    np.testing.assert_allclose(cache.hs[0], np.tanh([0.6, 0.9, -0.8]))


def test_seed_004_network_has_39_parameters():
    """Input 5, hidden 3, output 5, no biases: W 3x3 + U 3x5 + V 5x3 = 9 + 15 + 15."""
    cell = build_cell("elman", 5, 3, bias=False)
    readout = nn.Linear(3, 5, bias=False)
    assert sum(p.numel() for p in [*cell.parameters(), *readout.parameters()]) == 39


def test_seed_003_clipping_pseudocode_on_an_exploding_gradient():
    g = [torch.full((10,), 100.0)]  # ||g|| = 316.2
    norm = clip_by_global_norm(g, 5.0)
    assert float(norm) == pytest.approx(100 * 10 ** 0.5)
    assert float(g[0].norm()) == pytest.approx(5.0)
    torch.testing.assert_close(g[0], torch.full((10,), 100.0) * 5.0 / float(norm))


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru", "gru-seed"])
def test_seed_002_hello_model_learns_its_training_sequence(tmp_path, cell):
    """Vocabulary [h, e, l, o], training sequence "hello": after training, the model predicts
    e after h, l after e, and after "hel" it predicts l, after "hell" o."""
    text = "hello\n" * 50
    task = recur.CharLMTask.from_text(text, recur.CharDataConfig(seq_len=12, batch_size=2, val_fraction=0.1),
                                      cell=cell, hidden=16, layers=1, embedding=4)
    recur.Trainer(task, recur.TrainConfig(max_steps=150, lr=2e-2, eval_every=150, schedule="constant"), tmp_path).fit()
    lm = recur.load(tmp_path)
    assert lm.generate("\nh", length=4, temperature=0) == "ello"
    assert lm.evaluate("\nhello\nhello")["loss"] < 0.1
