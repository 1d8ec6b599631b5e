"""The NTM's addressing steps against values worked out by hand, and a whole NTM step's gradients
against finite differences in float64 (recur.models.ntm_addressing, recur.models.ntm)."""

import math

import pytest
import torch

from recur.models.ntm import NeuralTuringMachine, NTMConfig, build_memory_model
from recur.models.ntm_addressing import content_weighting, cosine_similarity, interpolate, read, sharpen, shift, write


def one_hot(slot: int, slots: int = 5) -> torch.Tensor:
    return torch.eye(slots)[slot].view(1, 1, slots)  # [B=1, heads=1, N]


def test_cosine_similarity_by_hand():
    memory = torch.tensor([[[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0], [1.0, 1.0], [0.0, 0.0]]])
    key = torch.tensor([[[2.0, 0.0]]])
    expected = torch.tensor([[[1.0, 0.0, -1.0, 1 / math.sqrt(2), 0.0]]])  # a zero row scores 0
    torch.testing.assert_close(cosine_similarity(key, memory), expected)


def test_content_weighting_is_a_softmax_of_strength_times_similarity():
    memory = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]])
    key = torch.tensor([[[1.0, 0.0]]])
    weights = content_weighting(key, torch.tensor([[[2.0]]]), memory)
    e = [math.exp(2.0), 1.0, math.exp(-2.0)]  # exp(β K) for K = 1, 0, -1 and β = 2
    torch.testing.assert_close(weights, torch.tensor([[[v / sum(e) for v in e]]]))
    flat = content_weighting(key, torch.tensor([[[0.0]]]), memory)  # β = 0: every slot alike
    torch.testing.assert_close(flat, torch.full((1, 1, 3), 1 / 3))


def test_gate_zero_keeps_the_previous_weighting_and_one_takes_the_content():
    content, previous = one_hot(1), one_hot(3)
    torch.testing.assert_close(interpolate(content, previous, torch.zeros(1, 1, 1)), previous)
    torch.testing.assert_close(interpolate(content, previous, torch.ones(1, 1, 1)), content)
    half = interpolate(content, previous, torch.full((1, 1, 1), 0.25))
    torch.testing.assert_close(half, 0.25 * content + 0.75 * previous)


@pytest.mark.parametrize(("kernel", "moved_to"), [([0.0, 0.0, 1.0], 3), ([1.0, 0.0, 0.0], 1), ([0.0, 1.0, 0.0], 2)])
def test_a_shift_moves_a_one_hot_weighting(kernel, moved_to):
    """Kernel entries are the shifts −1, 0, +1: +1 moves slot 2 to 3, −1 to 1, 0 keeps it."""
    torch.testing.assert_close(shift(one_hot(2), torch.tensor([[kernel]])), one_hot(moved_to))


def test_shifts_wrap_around_the_memory():
    torch.testing.assert_close(shift(one_hot(4), torch.tensor([[[0.0, 0.0, 1.0]]])), one_hot(0))
    torch.testing.assert_close(shift(one_hot(0), torch.tensor([[[1.0, 0.0, 0.0]]])), one_hot(4))


def test_a_split_shift_blurs_by_hand():
    blurred = shift(one_hot(2), torch.tensor([[[0.2, 0.5, 0.3]]]))
    torch.testing.assert_close(blurred, torch.tensor([[[0.0, 0.2, 0.5, 0.3, 0.0]]]))


def test_sharpening_by_hand_and_towards_the_arg_max():
    weights = torch.tensor([[[0.1, 0.2, 0.4, 0.3]]])
    squared = torch.tensor([0.01, 0.04, 0.16, 0.09])
    torch.testing.assert_close(sharpen(weights, torch.full((1, 1, 1), 2.0)), (squared / squared.sum()).view(1, 1, 4))
    torch.testing.assert_close(sharpen(weights, torch.ones(1, 1, 1)), weights)
    torch.testing.assert_close(sharpen(weights, torch.full((1, 1, 1), 1e6)), torch.tensor([[[0.0, 0.0, 1.0, 0.0]]]))


def test_read_erase_and_add_by_hand():
    memory = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]])
    weights = torch.tensor([[[0.0, 0.5, 0.5]]])
    torch.testing.assert_close(read(memory, weights), torch.tensor([[[4.0, 5.0]]]))
    on_slot_1 = torch.tensor([[[0.0, 1.0, 0.0]]])
    erased = write(memory, on_slot_1, torch.tensor([[[1.0, 0.0]]]), torch.tensor([[[9.0, 1.0]]]))
    torch.testing.assert_close(erased, torch.tensor([[[1.0, 2.0], [9.0, 5.0], [5.0, 6.0]]]))
    half = write(memory, weights, torch.tensor([[[0.5, 1.0]]]), torch.zeros(1, 1, 2))
    # row i keeps M(i) (1 − w(i) e): rows 2 and 3 keep 0.75 of the first column and 0.5 of the second
    torch.testing.assert_close(half, torch.tensor([[[1.0, 2.0], [2.25, 2.0], [3.75, 3.0]]]))


def test_two_write_heads_erase_together_then_add():
    memory = torch.ones(1, 2, 1)
    weights = torch.tensor([[[1.0, 0.0], [1.0, 0.0]]])  # both heads on slot 0
    written = write(memory, weights, torch.full((1, 2, 1), 0.5), torch.tensor([[[1.0], [2.0]]]))
    torch.testing.assert_close(written, torch.tensor([[[0.25 + 3.0], [1.0]]]))


TINY = NTMConfig(hidden=6, memory_slots=5, memory_width=3, input_size=4, output_size=2, read_heads=2, write_heads=1)


@pytest.mark.parametrize("controller", ["recurrent", "feedforward"])
def test_a_few_ntm_steps_pass_gradcheck_in_float64(controller):
    torch.manual_seed(0)
    config = NTMConfig(**{**TINY.__dict__, "controller": controller, "memory_init": 0.1})
    model = NeuralTuringMachine(config).double()
    x = torch.randn(2, 3, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda inputs: model(inputs)[0], (x,))
    weight = model.head_params.weight
    def with_weight(w):
        return torch.func.functional_call(model, {"head_params.weight": w}, (x.detach(),))[0]

    assert torch.autograd.gradcheck(with_weight, (weight.detach().requires_grad_(),))


def test_shapes_weightings_and_the_lstm_baseline():
    logits, weightings = build_memory_model(TINY)(torch.randn(2, 7, 4))
    assert logits.shape == (2, 7, 2) and weightings.shape == (2, 7, 3, 5)
    torch.testing.assert_close(weightings.sum(-1), torch.ones(2, 7, 3))
    baseline = build_memory_model(NTMConfig(**{**TINY.__dict__, "model": "lstm", "layers": 2}))
    logits, none = baseline(torch.randn(2, 7, 4))
    assert logits.shape == (2, 7, 2) and none is None
