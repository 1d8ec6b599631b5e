"""Spectra, text features, unit activations and their correlations, and the training-curve reader."""

import json

import numpy as np
import pytest
import torch

from recur.analysis.activations import UnitActivations, correlations, record_units, top_units
from recur.analysis.curves import read_curves
from recur.analysis.spectrum import recurrent_spectra
from recur.analysis.text_features import FEATURES
from recur.errors import RecurError
from recur.models.language_model import LanguageModel, LanguageModelConfig
from recur.recurrent import Recurrent


def test_each_gate_block_has_its_own_spectrum():
    rnn = Recurrent("lstm", 3, 6, layers=2)
    spectra = recurrent_spectra(rnn)
    assert [(s.layer, s.block) for s in spectra] == [(layer, g) for layer in (0, 1) for g in "ifgo"]
    forget = rnn.cells[1].weight_hh.detach().double()[6:12].numpy()  # layer 2, rows of f
    expected = np.linalg.eigvals(forget)
    assert sorted(abs(v) for v in spectra[5].eigenvalues) == pytest.approx(sorted(abs(expected)), rel=1e-9)
    assert spectra[5].radius == pytest.approx(max(abs(expected)), rel=1e-9)
    with torch.no_grad():
        rnn.cells[0].weight_hh.mul_(100)
    assert recurrent_spectra(rnn)[0].outside_unit_circle() > 0


def test_clockworks_spectrum_is_of_the_masked_matrix():
    rnn = Recurrent("clockwork", 3, 8, periods=[1, 2])
    (spectrum,) = recurrent_spectra(rnn)
    masked = rnn.cells[0].recurrent_weight().detach().double().numpy()
    assert not np.allclose(masked, rnn.cells[0].weight_hh.detach().double().numpy())
    assert sorted(abs(v) for v in spectrum.eigenvalues) == pytest.approx(sorted(abs(np.linalg.eigvals(masked))))


def test_text_features():
    text = 'a(b[c]) "q" /* x */ y // z\nw'
    def show(name):
        return "".join(str(int(v))[-1] for v in FEATURES[name](text))
    assert show("brackets") == "0112210000000000000000000000"
    assert show("quotes") == "0000000011000000000000000000"  # the opening quote is inside, the closing one not
    assert show("comment") == "0000000000001111111000111110"
    assert show("line_position") == "12345678901234567890123456" + "0" + "1"  # last digit of the column


def test_correlation_finds_a_planted_unit():
    text = "to be or not\nto be\nthat is the question\n" * 5
    line = torch.tensor(FEATURES["line_position"](text))
    noise = torch.randn(len(text), 6)
    values = torch.cat([noise, (2 * line + 3 + 0.1 * torch.randn(len(text)))[:, None], torch.ones(len(text), 1)], 1)
    activations = UnitActivations([f"layer1.h[{j}]" for j in range(8)], values)
    r = correlations(values, FEATURES["line_position"](text))
    assert float(r[6]) > 0.99 and float(r[7]) == 0.0  # a constant unit has no correlation
    top = top_units(activations, text, count=2)
    assert set(top) == {"line_position"}  # no quotes, brackets or comments: those features are left out
    assert top["line_position"][0].unit == "layer1.h[6]"


def test_recorded_units_are_the_models_own_states():
    model = LanguageModel(LanguageModelConfig(vocab_size=7, cell="lstm", hidden=5, layers=2, embedding=3)).eval()
    ids = torch.randint(0, 7, (11,))
    recorded = record_units(model, ids)
    assert recorded.units[:6] == [f"layer1.h[{j}]" for j in range(5)] + ["layer1.c[0]"]
    assert recorded.values.shape == (11, 20)
    with torch.no_grad():
        out, state = model.rnn(model.embed(ids[None]))  # the fused kernel
    top_h = [recorded.units.index(f"layer2.h[{j}]") for j in range(5)]
    torch.testing.assert_close(recorded.values[:, top_h], out[0], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(recorded.values[-1, [recorded.units.index(f"layer2.c[{j}]") for j in range(5)]],
                               state.c[1, 0], rtol=1e-5, atol=1e-6)


def test_curves_are_read_from_metrics_and_bad_files_refused(tmp_path):
    records = [{"step": 10, "loss": 3.0, "lr": 0.01, "grad_norm": 2.0}, {"step": 20, "loss": 2.0, "grad_norm": 1.0},
               {"step": 20, "elapsed": 1.0, "val_loss": 2.5, "val_accuracy": 0.7}]
    (tmp_path / "metrics.jsonl").write_text("\n".join(map(json.dumps, records)) + "\n")
    curves = read_curves(tmp_path)
    assert curves.train["loss"] == [(10, 3.0), (20, 2.0)] and curves.train["lr"] == [(10, 0.01)]
    assert curves.validation["val_loss"] == [(20, 2.5)] and curves.validation["val_accuracy"] == [(20, 0.7)]
    with pytest.raises(RecurError, match="holds metrics.jsonl"):
        read_curves(tmp_path / "nowhere")
    (tmp_path / "metrics.jsonl").write_text('{"step": 1, "loss": 2}\nnot json\n')
    with pytest.raises(RecurError, match="metrics.jsonl, line 2: not a JSON record"):
        read_curves(tmp_path)


def test_a_bidirectional_models_spectra_name_their_direction():
    rnn = Recurrent("gru", 3, 4, layers=2, bidirectional=True)
    spectra = recurrent_spectra(rnn)
    assert [(s.layer, s.direction) for s in spectra[::3]] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    backward = rnn.cells[1].weight_hh.detach().double()[:4].numpy()  # layer 1, backward, rows of r
    assert sorted(abs(v) for v in spectra[3].eigenvalues) == pytest.approx(sorted(abs(np.linalg.eigvals(backward))))
