"""The end-to-end memory network: position encoding against hand-computed values, shapes, adjacent
weight tying, empty slots that get no attention, time noise, and gradients by finite differences."""

import pytest
import torch

from recur.models.memn2n import (
    MemN2N,
    MemN2NConfig,
    StoryBatch,
    attention_weights,
    position_encoding,
    time_indices,
)

V, J, M = 12, 4, 5


def tiny(hops=3, dim=6, **options) -> MemN2N:
    return MemN2N(MemN2NConfig(vocab_size=V, sentence_words=J, hops=hops, dim=dim, memory_slots=M, **options))


def batch(B=3) -> StoryBatch:
    generator = torch.Generator().manual_seed(1)
    slots = torch.tensor([5, 2, 3])[:B]
    story = torch.randint(2, V, (B, M, J), generator=generator)
    story[:, :, 3] = 0  # padding words
    story[torch.arange(M)[None, :].expand(B, M) >= slots[:, None]] = 0  # empty slots
    times = torch.stack([torch.cat([time_indices(int(n), M), torch.zeros(M - int(n), dtype=torch.long)])
                         for n in slots])
    return StoryBatch(story, times, slots, torch.randint(2, V, (B, J), generator=generator))


def test_position_encoding_against_hand_computed_values():
    # l_jk = 1 + 4 (k - (d+1)/2)(j - (J+1)/2) / (d J); J = d = 2: 1 ± 0.25
    assert torch.allclose(position_encoding(2, 2), torch.tensor([[1.25, 0.75], [0.75, 1.25]], dtype=torch.float64))
    l = position_encoding(3, 4)  # J = 3, d = 4; the middle word is weighed 1 in every dimension
    assert torch.allclose(l[1], torch.ones(4, dtype=torch.float64))
    assert abs(float(l[0, 0]) - (1 + 4 * (1 - 2.5) * (1 - 2) / 12)) < 1e-12  # 1.5


def test_shapes_and_empty_slots():
    model = tiny()
    out = model(batch())
    assert out.logits.shape == (3, V) and out.attention.shape == (3, 3, M)
    assert torch.allclose(out.attention[:, 0].sum(-1), torch.ones(3))  # a full memory: a softmax
    assert (out.attention[:, 1:].sum(-1) < 1).all()  # the empty slots share it, as in the authors' code
    assert (out.attention[:, 1, 2:] == 0).all() and (out.attention[:, 2, 3:] == 0).all()  # never an empty slot
    masked = tiny(null_attention=False)
    masked.load_state_dict(model.state_dict())
    assert torch.allclose(masked(batch()).attention.sum(-1), torch.ones(3, 3))
    model.linear.fill_(True)  # linear start: the raw scores, still nothing on empty slots
    linear = model(batch()).attention
    assert (linear[:, 1, 2:] == 0).all() and not torch.allclose(linear.sum(-1), torch.ones(3, 3))


def test_attention_weights_by_hand():
    filled = torch.tensor([[True, True, False, False, False]])
    p = attention_weights(torch.tensor([[0.0, 0.0, 7.0, 7.0, 7.0]]), filled, torch.tensor([3]))
    assert torch.allclose(p, torch.tensor([[0.2, 0.2, 0, 0, 0]]))  # e^0 / (2 e^0 + 3 empty slots)
    p = attention_weights(torch.tensor([[2.0, 0.0, 0, 0, 0]]), filled, torch.tensor([0]))
    assert torch.allclose(p[0, :2], torch.tensor([2.0, 0.0]).softmax(-1))
    assert attention_weights(torch.zeros(1, 5), torch.zeros(1, 5, dtype=torch.bool), torch.tensor([5])).sum() == 0


def test_adjacent_weight_tying():
    """A^{k+1} = C^k and T_A^{k+1} = T_C^k; B = A^1; W = C^K: K + 1 word and time tables in all."""
    model = tiny(hops=3, dim=6)
    for k in range(2):
        assert model.hop_tables(k + 1)[0] is model.hop_tables(k)[1]
        assert model.hop_tables(k + 1)[2] is model.hop_tables(k)[3]
    assert sum(p.numel() for p in model.parameters()) == 4 * (V + M) * 6
    # W = C^K: changing the last table alone changes the answer; B = A^1: the first changes the question's read
    questions = batch()
    before = model(questions).logits
    with torch.no_grad():
        model.words[-1][5] += 1.0
    assert not torch.allclose(model(questions).logits[:, 5], before[:, 5])


def test_unknown_and_padding_words_contribute_nothing():
    model = tiny()
    questions = batch()
    questions.question[:, 3] = 0
    before = model(questions).logits
    questions.question[:, 3] = 1  # the unknown word where padding was
    assert torch.equal(model(questions).logits, before)


def test_time_noise():
    assert time_indices(4, 50).tolist() == [3, 2, 1, 0]
    generator = torch.Generator().manual_seed(0)
    for _ in range(50):
        ages = time_indices(40, 50, 0.1, generator)
        assert len(ages) == 40 and (ages[:-1] > ages[1:]).all() and int(ages.max()) <= 43  # up to 3 blanks
    assert time_indices(60, 50, 0.1, generator).max() == 49  # capped at the last slot
    assert time_indices(9, 50, 0.1, generator).tolist() == list(range(8, -1, -1))  # ⌈0.9⌉ = 1: no blank


@pytest.mark.parametrize("linear", [False, True])
def test_gradients_by_finite_differences(linear):
    torch.manual_seed(0)
    model = tiny(hops=2, dim=3).double()
    model.linear.fill_(linear)
    questions, target = batch(), torch.tensor([2, 5, 7])
    tables = [p.detach().clone().requires_grad_() for p in model.parameters()]

    def loss(*tables):
        named = {f"words.{i}": w for i, w in enumerate(tables[:3])} | {f"times.{i}": t for i, t in enumerate(tables[3:])}
        out = torch.func.functional_call(model, named, (questions,))
        return torch.nn.functional.cross_entropy(out.logits, target)

    assert torch.autograd.gradcheck(loss, tables, eps=1e-6, atol=1e-6)
