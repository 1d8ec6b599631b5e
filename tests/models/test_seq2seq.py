"""The encoder-decoder against its equations: each attention score by hand, masking of padding,
finite differences in float64, the one-pass decoder equal to the step loop, padding that changes
nothing, and batched beam search equal to one sentence at a time."""

import pytest
import torch

from recur.cells import CELLS
from recur.generate import attentive, translation
from recur.models.attention import ATTENTIONS, attend
from recur.models.seq2seq import Seq2Seq, Seq2SeqConfig


def tiny(**options) -> Seq2Seq:
    torch.manual_seed(0)
    settings = {"source_vocab": 13, "target_vocab": 11, "hidden": 6, "embedding": 5, "dropout": 0.0, **options}
    return Seq2Seq(Seq2SeqConfig(**settings))


def batch():
    source = torch.tensor([[5, 6, 7, 8, 3], [9, 4, 3, 0, 0], [12, 3, 0, 0, 0]])  # padded with 0 after </s> (3)
    lengths = torch.tensor([5, 3, 2])
    target_in = torch.tensor([[2, 4, 5, 6], [2, 7, 8, 0], [2, 9, 0, 0]])
    target_out = torch.tensor([[4, 5, 6, 3], [7, 8, 3, 0], [9, 3, 0, 0]])
    return source, lengths, target_in, target_out


def test_the_additive_score_is_v_tanh_wq_plus_uh():
    torch.manual_seed(1)
    attention = ATTENTIONS["bahdanau"](4, 3, 5)
    q, keys = torch.randn(2, 1, 4), torch.randn(2, 6, 3)
    mask = torch.ones(2, 6, dtype=torch.bool)
    context, weights = attention(q, attention.prepare(keys), keys, mask)
    W, U, b, v = attention.query.weight, attention.key.weight, attention.key.bias, attention.v.weight[0]
    scores = torch.stack([torch.stack([v @ torch.tanh(W @ q[i, 0] + U @ keys[i, s] + b) for s in range(6)])
                          for i in range(2)])
    assert torch.allclose(weights[:, 0], scores.softmax(-1), atol=1e-6)
    assert torch.allclose(context[:, 0], torch.einsum("bs,bsk->bk", scores.softmax(-1), keys), atol=1e-6)


def test_the_general_score_is_q_w_h():
    torch.manual_seed(2)
    attention = ATTENTIONS["luong"](4, 3, 4)
    q, keys = torch.randn(1, 2, 4), torch.randn(1, 5, 3)
    _, weights = attention(q, attention.prepare(keys), keys, torch.ones(1, 5, dtype=torch.bool))
    W = attention.key.weight  # [Q, K]
    assert torch.allclose(weights[0], (q[0] @ W @ keys[0].T).softmax(-1), atol=1e-6)


def test_padding_gets_no_weight():
    scores = torch.randn(2, 3, 4)
    mask = torch.tensor([[True, True, False, False], [True, True, True, True]])
    _, weights = attend(scores, torch.randn(2, 4, 5), mask)
    assert (weights[0, :, 2:] == 0).all() and torch.allclose(weights.sum(-1), torch.ones(2, 3))


@pytest.mark.parametrize("kind", ["bahdanau", "luong", "dot"])
def test_attention_gradients_match_finite_differences(kind):
    torch.manual_seed(3)
    attention = ATTENTIONS[kind](3, 3, 4).double()
    keys = torch.randn(2, 4, 3, dtype=torch.float64, requires_grad=True)
    q = torch.randn(2, 2, 3, dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([[True, True, True, False], [True, True, True, True]])
    assert torch.autograd.gradcheck(lambda q, k: attention(q, attention.prepare(k), k, mask)[0], (q, keys))


@pytest.mark.parametrize("options", [{"attention": "bahdanau"}, {"attention": "luong"},
                                     {"attention": "none", "cell": "lstm", "layers": 2}])
def test_the_loss_gradient_matches_finite_differences(options):
    """Every parameter's autograd gradient against a central difference along a random direction."""
    model = tiny(**options).double()
    source, lengths, target_in, target_out = batch()

    def mean_loss() -> torch.Tensor:
        total, count = model.loss(source, lengths, target_in, target_out)
        return total / count

    mean_loss().backward()
    torch.manual_seed(4)
    eps = 1e-6
    for parameter in model.parameters():
        direction = torch.randn_like(parameter)
        with torch.no_grad():
            parameter += eps * direction
            up = float(mean_loss())
            parameter -= 2 * eps * direction
            down = float(mean_loss())
            parameter += eps * direction
        assert abs((up - down) / (2 * eps) - float((parameter.grad * direction).sum())) < 1e-6


@pytest.mark.parametrize("options", [{"attention": "luong", "input_feed": False}, {"attention": "none"},
                                     {"attention": "dot", "bidirectional": False, "input_feed": False}])
def test_the_one_pass_decoder_equals_the_step_loop(options):
    model = tiny(**options).eval()
    assert model.config.steps_independent
    source, lengths, target_in, _ = batch()
    memory, state = model.encode(source, lengths)
    stepped = []
    for t in range(target_in.shape[1]):
        logits, state, _ = model.step(target_in[:, t], state, memory)
        stepped.append(logits)
    assert torch.allclose(model(source, lengths, target_in), torch.stack(stepped, 1), atol=1e-5)


@pytest.mark.parametrize("options", [{"attention": "bahdanau"}, {"attention": "luong", "cell": "lstm"}])
def test_padding_changes_nothing(options):
    model = tiny(**options).eval()
    source, lengths, target_in, _ = batch()
    together = model(source, lengths, target_in)
    alone = model(source[1:2, :3], lengths[1:2], target_in[1:2, :3])
    assert torch.allclose(together[1, :3], alone[0], atol=1e-5)


def test_batched_beam_search_equals_one_sentence_at_a_time():
    model = tiny(attention="bahdanau")
    source, lengths, _, _ = batch()
    together = translation.translate(model, source, lengths, beam=3).ids
    alone = [translation.translate(model, source[i:i + 1, :int(lengths[i])], lengths[i:i + 1], beam=3).ids[0]
             for i in range(3)]
    assert together == alone


def test_beam_of_width_one_is_greedy():
    model = tiny(attention="luong").eval()
    source, lengths, _, _ = batch()
    memory, state = model.encode(source, lengths)
    greedy, _ = attentive.greedy(model, memory, state, 12)
    assert attentive.beam_ids(model, memory, state, 1, 0.0, 12) == greedy


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_every_cell_encodes_and_decodes(cell):
    """Any recur cell in encoder and decoder: a finite loss, gradients, and a decoded batch."""
    model = tiny(cell=cell, layers=2, bidirectional=cell != "depth-gated")  # depth-gated runs one direction
    source, lengths, target_in, target_out = batch()
    total, count = model.loss(source, lengths, target_in, target_out)
    (total / count).backward()
    assert torch.isfinite(total) and count == 9
    trained = [p for p in model.decoder.parameters() if p.requires_grad]  # none for the ESN's fixed reservoir
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in trained)
    out = translation.translate(model, source, lengths, beam=2)
    assert len(out.ids) == 3 and all(isinstance(i, int) for ids in out.ids for i in ids)
