"""The speech model's read-outs: the mean over a recording's own frames, or its final states."""

import pytest
import torch

from recur.models.speech_rnn import SpeechConfig, SpeechRNN
from recur.tasks.speech import saved_speech_config


def _model(pool: str) -> SpeechRNN:
    torch.manual_seed(0)
    return SpeechRNN(SpeechConfig(hidden=6, layers=2, dropout=0.0, input_size=4, pool=pool)).eval()


def test_the_mean_read_out_averages_the_last_layers_outputs_over_the_true_frames():
    model = _model("mean")
    x = torch.randn(1, 7, 4)
    out, _ = model.rnn(x, lengths=torch.tensor([7]))
    expected = model.head(out[0].mean(0))
    assert torch.allclose(model(x, torch.tensor([7]))[0], expected, atol=1e-6)


@pytest.mark.parametrize("pool", ["mean", "final"])
def test_padding_a_recording_in_a_batch_leaves_its_logits_unchanged(pool):
    model = _model(pool)
    short, long = torch.randn(1, 5, 4), torch.randn(1, 9, 4)
    batch = torch.zeros(2, 9, 4)
    batch[0, :5], batch[1] = short[0], long[0]
    batch[0, 5:] = 3.0  # whatever sits past the end must not count
    together = model(batch, torch.tensor([5, 9]))
    assert torch.allclose(together[0], model(short, torch.tensor([5]))[0], atol=1e-5)
    assert torch.allclose(together[1], model(long, torch.tensor([9]))[0], atol=1e-5)


def test_the_two_read_outs_differ_and_a_checkpoint_without_pool_reads_its_final_states():
    x, lengths = torch.randn(2, 6, 4), torch.tensor([6, 4])
    assert not torch.allclose(_model("mean")(x, lengths), _model("final")(x, lengths))
    saved = {"model": {k: v for k, v in vars(SpeechConfig(hidden=6, input_size=4)).items() if k != "pool"}}
    assert saved_speech_config(saved).pool == "final"
    assert saved_speech_config({"model": {**saved["model"], "pool": "mean"}}).pool == "mean"
