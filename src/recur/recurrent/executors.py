"""Two ways to run a stack of cells over time, giving the same numbers.

* ``run_fused``: PyTorch's fused multi-layer kernels (``torch.lstm``, ``torch.gru``,
  ``torch.rnn_tanh``, ``torch.rnn_relu``: the ones behind ``nn.LSTM`` etc.), fed the cells' own
  parameters. Only for cells whose ``fused_kind`` says they are numerically identical.
* ``run_loop``: the reference, any cell: the input projection hoisted out of the time loop
  (one matmul over all steps), then ``cell.step`` for each t under eager autograd.
* ``run_scan`` (in ``scan.py``): any cell, the loop with its recurrent weight gradient deferred
  to one large matmul after the time loop.

Shapes: x ``[B, T, D]``; lengths ``[B]`` or None; state: the cell's named tuple with every field
``[L*dirs, B, H]`` (PyTorch's layout, index ``layer*dirs + direction``); output
``[B, T, dirs*H]`` with zeros past each sequence's length.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from recur.cells.base import HiddenProjection

FUSED_KERNELS = {
    "lstm": torch.lstm,
    "gru": torch.gru,
    "rnn_tanh": torch.rnn_tanh,
    "rnn_relu": torch.rnn_relu,
}


def run_fused(cells, x, state: NamedTuple, lengths, layers, dropout, training, bidirectional, recurrent_dropout=0.0):
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


def run_layers(run_cell, cells, x, state: NamedTuple, lengths, layers, dropout, training, bidirectional,
               recurrent_dropout=0.0):
    """Layer by layer, direction by direction; ``run_cell`` runs one cell over the whole sequence.

    ``recurrent_dropout`` (Gal & Ghahramani 2016, variational dropout): in training, each cell
    draws one mask for its input sequence and one for its recurrent state, each fixed over time,
    so that ``x_t ⊙ m_x`` enters the input projection and ``h_{t-1} ⊙ m_h`` the recurrent one.
    """
    directions = 2 if bidirectional else 1
    T = x.shape[1]
    alive = None if lengths is None else torch.arange(T, device=x.device)[None, :] < lengths[:, None]  # [B, T]
    drop_recurrent = training and recurrent_dropout > 0
    layer_input, finals = x, []
    for layer in range(layers):
        outputs = []
        for direction in range(directions):
            index = layer * directions + direction
            cell = cells[index]
            start = type(state)(*[field[index] for field in state])
            seq = layer_input if direction == 0 else reverse_padded(layer_input, lengths)
            hidden_mask = None
            if drop_recurrent:
                seq = seq * input_mask(seq, cell.input_size, recurrent_dropout)
                hidden_mask = sequence_mask(start[0], recurrent_dropout)
            out, end = run_cell(cell, seq, start, alive, hidden_mask)
            outputs.append(out if direction == 0 else reverse_padded(out, lengths))
            finals.append(end)
        layer_input = torch.cat(outputs, dim=-1)
        if layer < layers - 1:
            layer_input = cells[index].pass_up(layer_input, dropout, training)
    stacked = type(state)(*[torch.stack(fields) for fields in zip(*finals)])
    return layer_input, stacked


def sequence_mask(like: torch.Tensor, p: float) -> torch.Tensor:
    """One dropout mask per sequence: ``[B, N]`` of 0 or ``1/(1-p)``."""
    return torch.empty_like(like).bernoulli_(1 - p) / (1 - p)


def input_mask(seq: torch.Tensor, width: int, p: float) -> torch.Tensor:
    """``[B, 1, N]``: a sequence mask on the first ``width`` features (the cell's input ``x``);
    any further features (a lower layer's memory cell) pass unmasked."""
    mask = sequence_mask(seq[:, 0, :width], p)
    if seq.shape[-1] > width:
        mask = torch.cat([mask, mask.new_ones(mask.shape[0], seq.shape[-1] - width)], dim=-1)
    return mask[:, None, :]


def masked_step(cell, projected_t, state, hidden, keep):
    """``cell.step``; where ``keep [B, 1]`` is False (past a sequence's end) the state is frozen
    and the output is zero, so the final state is the one at the sequence's true end."""
    out, new_state = cell.step(projected_t, state, hidden)
    if keep is None:
        return out, new_state
    new_state = type(state)(*[torch.where(keep, n, o) for n, o in zip(new_state, state)])
    return out * keep, new_state


def loop_cell(cell, x, state, alive, hidden_mask, projection=HiddenProjection):
    """The reference: eager autograd through every step (input projection hoisted). ``projection``
    is the class doing the recurrent products (the scan executor passes its own)."""
    projected = cell.project_input(x)  # [B, T, G*H], hoisted out of the loop
    hidden = cell.hidden_projection(hidden_mask, projection)
    outputs = []
    # unbind, not projected[:, t]: one backward node stacks every step's gradient, where T
    # separate selects would each zero-fill a [B, T, G*H] gradient
    for t, projected_t in enumerate(projected.unbind(1)):
        keep = None if alive is None else alive[:, t, None]
        out, state = masked_step(cell, projected_t, state, hidden, keep)
        outputs.append(out)
    return torch.stack(outputs, dim=1), state


def run_loop(cells, x, state, lengths, layers, dropout, training, bidirectional, recurrent_dropout=0.0):
    """Every cell, step by step with eager autograd: the reference the other executors match."""
    return run_layers(loop_cell, cells, x, state, lengths, layers, dropout, training, bidirectional,
                      recurrent_dropout)


def reverse_padded(x, lengths):
    """Reverse each sequence of ``[B, T, ...]`` within its own length; padding stays in place."""
    if lengths is None:
        return x.flip(1)
    T = x.shape[1]
    t = torch.arange(T, device=x.device)[None, :]  # [1, T]
    source = torch.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)  # [B, T]
    return x.gather(1, source[..., None].expand_as(x))
