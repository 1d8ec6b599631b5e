"""The one encoder config: every model builds its recurrent layer from it, refusing bad settings in
one line, and each model's config changes only the defaults it needs."""

import pytest
import torch

from recur.errors import RecurError
from recur.models import ClassifierConfig, LanguageModel, LanguageModelConfig, SequenceClassifier
from recur.models.encoder import EncoderConfig
from recur.models.forecaster import ForecasterConfig, SequenceForecaster


def test_every_model_builds_its_encoder_from_the_config():
    shared = dict(cell="gru", hidden=12, layers=2, dropout=0.1, recurrent_dropout=0.2)
    models = [LanguageModel(LanguageModelConfig(vocab_size=9, embedding=5, **shared)),
              SequenceClassifier(ClassifierConfig(vocab_size=9, embedding=5, bidirectional=True, **shared)),
              SequenceForecaster(ForecasterConfig(channels=3, horizon=4, **shared))]
    inputs = [5, 5, 3]
    for model, size in zip(models, inputs):
        rnn = model.rnn
        assert (rnn.cell_name, rnn.hidden_size, rnn.layers, rnn.dropout, rnn.recurrent_dropout) == \
            ("gru", 12, 2, 0.1, 0.2)
        assert rnn.cells[0].input_size == size
    assert models[1].rnn.bidirectional and not models[0].rnn.bidirectional


def test_each_model_keeps_its_own_defaults():
    assert (EncoderConfig().hidden, EncoderConfig().layers) == (256, 2)
    assert (ClassifierConfig(vocab_size=3).hidden, ClassifierConfig(vocab_size=3).dropout) == (150, 0.5)
    assert (ForecasterConfig().hidden, ForecasterConfig().layers) == (64, 1)
    assert LanguageModelConfig(vocab_size=3).hidden == 256


def test_cell_options_reach_the_cell():
    model = LanguageModel(LanguageModelConfig(vocab_size=4, cell="clockwork", hidden=8, embedding=4,
                                              cell_options={"periods": [1, 3]}))
    assert model.rnn.cells[0].periods == (1, 3)
    logits, _ = model(torch.zeros(2, 5, dtype=torch.long))
    assert logits.shape == (2, 5, 4)


@pytest.mark.parametrize("settings, message", [
    (dict(cell="transformer"), "unknown cell 'transformer'; choose one of: elman"),
    (dict(hidden=0), "hidden must be >= 1, got 0"),
    (dict(hidden="32"), "hidden must be an integer, got '32'"),
    (dict(hidden=True), "hidden must be an integer, got True"),
    (dict(layers=-1), "layers must be >= 1, got -1"),
    (dict(dropout=1.0), r"dropout must be in \[0, 1\), got 1"),
    (dict(dropout=float("nan")), "dropout must be a finite number"),
    (dict(recurrent_dropout=-0.1), r"recurrent-dropout must be in \[0, 1\)"),
    (dict(cell_options={"bias": 7}), "cell 'lstm' option bias must be true or false, got 7"),
    (dict(cell="esn", cell_options={"spectral_radius": "big"}), "option spectral_radius must be a number"),
    (dict(cell="esn", cell_options={"spectral_radius": [1]}), "option spectral_radius must be a number"),
    (dict(cell="esn", cell_options={"density": float("nan")}), "option density must be a finite number"),
    (dict(cell="esn", cell_options={"seed": "x"}), "option seed must be an integer"),
    (dict(cell="irnn", cell_options={"identity_scale": "x"}), "option identity_scale must be a number"),
    (dict(cell="depth-gated", cell_options={"lower_memory": True}), "has no option lower_memory"),
])
def test_bad_settings_are_refused_by_the_config(settings, message):
    with pytest.raises(RecurError, match=message):
        LanguageModelConfig(vocab_size=5, **settings)


def test_tied_weights_need_equal_sizes():
    with pytest.raises(RecurError, match="tied weights need the embedding size to equal the hidden size"):
        LanguageModelConfig(vocab_size=5, hidden=8, embedding=4, tie_weights=True)
