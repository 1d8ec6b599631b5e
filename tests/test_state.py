"""State as data: the same operations serve a cell's named tuple and a dataclass whose fields have
any shape (an NTM-like memory beside its head weighting)."""

from dataclasses import dataclass

import torch

from recur.cells import LSTMState
from recur.state import detach_state, map_state, stack_states, state_fields, state_from_fields


@dataclass
class MemoryState:
    memory: torch.Tensor  # [B, N, M]
    weighting: torch.Tensor  # [B, N]


def test_a_dataclass_state_of_any_shape_round_trips():
    state = MemoryState(torch.randn(2, 5, 3, requires_grad=True), torch.softmax(torch.randn(2, 5), -1))
    fields = state_fields(state)
    assert list(fields) == ["memory", "weighting"] and fields["memory"].shape == (2, 5, 3)
    again = state_from_fields(MemoryState, {k: v.clone() for k, v in fields.items()})
    assert isinstance(again, MemoryState) and torch.equal(again.weighting, state.weighting)
    cut = detach_state(state)
    assert isinstance(cut, MemoryState) and not cut.memory.requires_grad and state.memory.requires_grad
    reordered = map_state(lambda t: t.index_select(0, torch.tensor([1, 0])), state)
    assert torch.equal(reordered.memory[0], state.memory[1])
    stacked = stack_states([state, state, state])
    assert stacked.memory.shape == (3, 2, 5, 3) and stacked.weighting.shape == (3, 2, 5)


def test_named_tuple_states_keep_their_type():
    state = LSTMState(torch.zeros(1, 4), torch.ones(1, 4))
    assert state_fields(state).keys() == {"h", "c"}
    assert type(stack_states([state, state])) is LSTMState
    assert map_state(torch.neg, None) is None
