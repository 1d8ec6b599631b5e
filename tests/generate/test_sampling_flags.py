"""Temperature 0, top-k 1 and a tiny top-p each leave one token to draw: the greedy (argmax) sequence,
through ``stream_ids`` and through ``recur sample``; plain sampling of the same model does not give it."""

import copy

import pytest
import torch

from recur import load
from recur.cli import main
from recur.generate import stream_ids

GREEDY_SETTINGS = {
    "temperature-0": {"temperature": 0.0},
    "top-k-1": {"temperature": 1.0, "top_k": 1},
    "top-p-1e-9": {"temperature": 1.5, "top_p": 1e-9},
    "top-k-1-and-top-p": {"temperature": 0.7, "top_k": 1, "top_p": 0.9},
}
PRIME = [3, 1]


def greedy_oracle(model, prime: list[int], length: int) -> list[int]:
    """Argmax of the training model's float64 forward over the whole sequence, one token at a time."""
    model, ids = copy.deepcopy(model).double().eval(), list(prime)
    with torch.no_grad():
        for _ in range(length):
            ids.append(int(model(torch.tensor([ids]))[0][0, -1].argmax()))
    return ids[len(prime):]


@pytest.fixture(scope="module")
def model_and_greedy(seeded_lm):
    """conftest's seeded 2×32 LSTM (its next-token distribution spread out), and its greedy 30 tokens after PRIME."""
    model = seeded_lm()
    return model, greedy_oracle(model, PRIME, 30)


@pytest.mark.parametrize("settings", GREEDY_SETTINGS.values(), ids=GREEDY_SETTINGS.keys())
def test_settings_that_keep_one_token_give_the_greedy_sequence(path, model_and_greedy, settings):
    model, greedy = model_and_greedy
    assert len(set(greedy)) > 1  # a sequence, not one token repeated
    for seed in (0, 5):  # three samples in a batch, each drawn with its own uniforms
        drawn = list(stream_ids(model, torch.tensor(PRIME), 30, seed=seed, samples=3, **settings))
        assert [list(row) for row in zip(*drawn)] == [greedy] * 3


def test_plain_sampling_of_that_model_is_not_greedy(path, model_and_greedy):
    """What makes the test above able to fail: at temperature 1 the model's draws leave the argmax."""
    model, greedy = model_and_greedy
    for settings in ({"temperature": 1.0}, {"temperature": 1.0, "top_k": 2}, {"temperature": 1.0, "top_p": 0.5}):
        drawn = list(stream_ids(model, torch.tensor(PRIME), 30, seed=5, samples=3, **settings))
        assert all(list(row) != greedy for row in zip(*drawn)), settings


@pytest.fixture(scope="module")
def charlm_checkpoint(tiny_charlm_dir) -> str:
    """conftest's tiny trained character model."""
    return str(tiny_charlm_dir)


def test_sample_command_greedy_flags(charlm_checkpoint, capsys):
    prime, length = "Th", 40
    lm = load(charlm_checkpoint)
    greedy = prime + "".join(lm.pieces(greedy_oracle(lm.model, lm.vocab.encode(prime).tolist(), length)))
    capsys.readouterr()

    def sample(*flags: str) -> str:
        assert main(["sample", charlm_checkpoint, "--prime", prime, "--length", str(length), "--threads", "1",
                     *flags]) == 0
        return capsys.readouterr().out

    assert sample("--temperature", "0") == greedy
    assert sample("--top-k", "1", "--seed", "3") == greedy
    assert sample("--top-p", "1e-9", "--seed", "3") == greedy
    plain = sample("--seed", "3")
    assert len(plain) == len(greedy) and plain != greedy
