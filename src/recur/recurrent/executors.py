"""Two ways to run a stack of cells over time, giving the same numbers.

* ``run_fused``: PyTorch's fused multi-layer kernels (``torch.lstm``, ``torch.gru``,
  ``torch.rnn_tanh``, ``torch.rnn_relu``: the ones behind ``nn.LSTM`` etc.), fed the cells' own
  parameters. Only for cells whose ``fused_kind`` says they are numerically identical.
* ``run_loop``: the reference, any cell: the input projection hoisted out of the time loop
  (one matmul over all steps), then ``cell.step`` for each t.

Shapes: x ``[B, T, D]``; lengths ``[B]`` or None; state: the cell's named tuple with every field
``[L*dirs, B, H]`` (PyTorch's layout, index ``layer*dirs + direction``); output
``[B, T, dirs*H]`` with zeros past each sequence's length.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch.nn import functional as F
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

FUSED_KERNELS = {
    "lstm": torch.lstm,
    "gru": torch.gru,
    "rnn_tanh": torch.rnn_tanh,
    "rnn_relu": torch.rnn_relu,
}


def run_fused(cells, x, state: NamedTuple, lengths, layers, dropout, training, bidirectional):
    """Run all layers in one fused kernel call; the kernel applies inter-layer dropout itself."""
    first = cells[0]
    kernel = FUSED_KERNELS[first.fused_kind]
    weights = [p for cell in cells for p in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
               if p is not None]
    hx = tuple(state) if len(state) > 1 else state[0]
    flags = (first.bias, layers, dropout, training, bidirectional)
    if lengths is None:
        output, *final = kernel(x, hx, weights, *flags, True)
        return output, type(state)(*final)

    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    # The packed kernel sees the batch sorted by length: permute the initial state to match.
    order = packed.sorted_indices
    hx = tuple(h.index_select(1, order) for h in hx) if isinstance(hx, tuple) else hx.index_select(1, order)
    data, *final = kernel(packed.data, packed.batch_sizes, hx, weights, *flags)
    output, _ = pad_packed_sequence(
        PackedSequence(data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices),
        batch_first=True, total_length=x.shape[1],
    )
    final = [h.index_select(1, packed.unsorted_indices) for h in final]
    return output, type(state)(*final)


def run_loop(cells, x, state: NamedTuple, lengths, layers, dropout, training, bidirectional):
    """Layer by layer, direction by direction, step by step."""
    directions = 2 if bidirectional else 1
    T = x.shape[1]
    alive = None if lengths is None else torch.arange(T, device=x.device)[None, :] < lengths[:, None]  # [B, T]
    layer_input, finals = x, []
    for layer in range(layers):
        outputs = []
        for direction in range(directions):
            index = layer * directions + direction
            start = type(state)(*[field[index] for field in state])
            seq = layer_input if direction == 0 else reverse_padded(layer_input, lengths)
            out, end = run_cell(cells[index], seq, start, alive)
            outputs.append(out if direction == 0 else reverse_padded(out, lengths))
            finals.append(end)
        layer_input = torch.cat(outputs, dim=-1)
        if layer < layers - 1 and dropout > 0:
            layer_input = F.dropout(layer_input, dropout, training)
    stacked = type(state)(*[torch.stack(fields) for fields in zip(*finals)])
    return layer_input, stacked


def run_cell(cell, x, state, alive):
    """One cell over ``[B, T, D]``. Past a sequence's end (``alive`` False) its state is frozen
    and its output is zero, so the final state is the one at its true end."""
    projected = cell.project_input(x)  # [B, T, G*H], hoisted out of the loop
    outputs = []
    for t in range(x.shape[1]):
        h, new_state = cell.step(projected[:, t], state)
        if alive is not None:
            keep = alive[:, t, None]  # [B, 1]
            new_state = type(state)(*[torch.where(keep, n, o) for n, o in zip(new_state, state)])
            h = h * keep
        state = new_state
        outputs.append(h)
    return torch.stack(outputs, dim=1), state


def reverse_padded(x, lengths):
    """Reverse each sequence of ``[B, T, ...]`` within its own length; padding stays in place."""
    if lengths is None:
        return x.flip(1)
    T = x.shape[1]
    t = torch.arange(T, device=x.device)[None, :]  # [1, T]
    source = torch.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)  # [B, T]
    return x.gather(1, source[..., None].expand_as(x))
