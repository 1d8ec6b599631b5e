"""The captioner against its equations: the coordinate channels, a grid cell per 2 × 2 pixels, s_0
from the mean annotation through the bridge, finite differences in float64, a blind model that
cannot see the image, teacher-forced attention equal to the decoder's own steps, and a strip that
decodes the same alone as in a batch."""

import pytest
import torch

from recur.generate import attentive
from recur.models.captioner import Captioner, CaptionerConfig, coordinates


def tiny(**options) -> Captioner:
    torch.manual_seed(0)
    settings = {"target_vocab": 11, "hidden": 6, "embedding": 5, "channels": 4, "dropout": 0.0, **options}
    return Captioner(CaptionerConfig(**settings))


def captions():
    target_in = torch.tensor([[2, 4, 5, 6], [2, 7, 0, 0]])
    target_out = torch.tensor([[4, 5, 6, 3], [7, 3, 0, 0]])
    return target_in, target_out


def test_coordinates_add_each_pixels_row_and_column():
    images = torch.rand(2, 12, 64)
    x = coordinates(images)
    assert x.shape == (2, 3, 12, 64) and (x[:, 0] == images).all()
    assert x[1, 1, 6, 0] == 0.5 and x[0, 2, 0, 32] == 0.5 and x[0, 1, 0].max() == 0


def test_the_grid_has_a_cell_per_two_by_two_pixels_and_s0_comes_from_its_mean():
    model = tiny(cell="lstm").eval()
    images = torch.rand(3, 12, 64)
    memory, state = model.encode(images)
    assert memory.keys.shape == (3, 6 * 32, 4) and memory.mask.all()
    expected = torch.tanh(model.bridge(memory.keys.mean(1)))
    assert torch.allclose(state.rnn.h[0], expected) and torch.allclose(state.rnn.c[0], expected)


def test_gradients_match_finite_differences():
    model = tiny(cell="gru").double()
    images = torch.rand(2, 12, 64, dtype=torch.float64, requires_grad=True)
    target_in, target_out = captions()
    assert torch.autograd.gradcheck(lambda x: model.loss(x, target_in, target_out)[0], (images,),
                                    eps=1e-6, atol=1e-5, fast_mode=True)


def test_a_blind_model_cannot_see_the_image():
    model = tiny(blind=True).eval()
    target_in, _ = captions()
    assert torch.equal(model(torch.rand(2, 12, 64), target_in), model(torch.zeros(2, 12, 64), target_in))
    sighted = tiny().eval()
    assert not torch.equal(sighted(torch.rand(2, 12, 64), target_in), sighted(torch.zeros(2, 12, 64), target_in))


@pytest.mark.parametrize("attention", ["bahdanau", "luong"])
def test_teacher_forced_attention_is_the_decoders_own(attention):
    model = tiny(attention=attention).eval()
    images = torch.rand(2, 12, 64)
    target_in, _ = captions()
    memory, state = model.encode(images)
    forced = model.attention_weights(memory, state, target_in)
    assert forced.shape == (2, 4, 192) and torch.allclose(forced.sum(-1), torch.ones(2, 4))
    ids = [target_in[0, 1:].tolist()]  # what step-by-step feeding of the same words gives
    one = attentive.forced_attention(model, memory.rows(torch.tensor([0])), state.rows(torch.tensor([0])), ids)[0]
    assert torch.allclose(forced[0], one, atol=1e-6)


def test_a_strip_decodes_the_same_alone_as_in_a_batch():
    model = tiny().eval()
    images = torch.rand(3, 12, 64)
    memory, state = model.encode(images)
    together = attentive.decode(model, memory, state, [7] * 3, beam=3).ids
    alone = [attentive.decode(model, *model.encode(images[i:i + 1]), [7], beam=3).ids[0] for i in range(3)]
    assert together == alone and all(len(ids) <= 7 for ids in together)
