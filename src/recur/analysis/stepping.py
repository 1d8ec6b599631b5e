"""Step a language model one token at a time, cell by cell, keeping every step's state: what the
gradient-flow and activation analyses read (a fused kernel keeps neither the lower layers' states
nor the memory cells)."""

from __future__ import annotations

from typing import NamedTuple

import torch

from recur.models.language_model import LanguageModel


def step_states(model: LanguageModel, inputs: torch.Tensor) -> tuple[list[list[NamedTuple]], torch.Tensor]:
    """``(states, top)`` for ``inputs [N, T]`` read from a zero state in the model's current mode:
    ``states[t][layer]`` is the cell's state after token t (fields ``[N, H]``), the very tensor the
    next step reads, and ``top [N, H]`` the last layer's visible output after the last token. The
    caller chooses autograd or ``torch.no_grad()`` and eval mode (no dropout here either way)."""
    x = model.embed(inputs)  # [N, T, E]
    cells = list(model.rnn.cells)
    state = [cell.init_state(len(inputs), x) for cell in cells]
    states = []
    for t in range(x.shape[1]):
        layer_input = x[:, t]
        for layer, cell in enumerate(cells):
            out, state[layer] = cell(layer_input, state[layer])
            layer_input = cell.pass_up(out, 0.0, False)
        states.append(list(state))
    return states, cells[-1].visible(out)
