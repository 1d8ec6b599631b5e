"""What every cell shares: the step contract and the hoisted input projection.

A cell maps one time step, ``(x_t, state) -> (output_t, state)``, with shapes
``x_t: [B, D]``, ``output_t: [B, H]`` and a state that is a small named tuple of ``[B, H]`` tensors.

The step is split in two so that sequence executors can hoist the input half out of the time loop:
``project_input(x)`` computes every input-dependent term for all steps at once (one large matmul
over ``[B, T, D]``), and ``step(projected_t, state, hidden)`` does only what needs the previous state.

Every product with the recurrent matrix goes through ``hidden`` (a ``HiddenProjection``), never
``weight_hh`` directly. That one seam lets executors change how the products are done without the
cell knowing: recurrent dropout masks ``h`` there, and the scan executor defers the products'
weight gradient to one large matmul after the backward loop.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

from recur.errors import require_positive


class HiddenProjection:
    """The recurrent products of one sequence: ``hidden(h, rows) = W[rows] (h ⊙ m) + b[rows]``.

    ``W`` is the cell's ``recurrent_weight()`` (``[G*H, H]``), ``b`` its ``bias_hh`` or None,
    ``m [B, H]`` an optional recurrent-dropout mask held fixed over the sequence, and ``rows`` an
    optional slice of gate rows (``None`` = all ``G*H``).
    """

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None, mask: torch.Tensor | None = None):
        self.weight, self.bias, self.mask = weight, bias, mask

    def __call__(self, h: torch.Tensor, rows: slice | None = None) -> torch.Tensor:
        if self.mask is not None:
            h = h * self.mask
        return self.linear(h, rows)

    def rows_of(self, rows: slice | None):
        """``(W[rows], b[rows])``."""
        if rows is None:
            return self.weight, self.bias
        return self.weight[rows], None if self.bias is None else self.bias[rows]

    def linear(self, h: torch.Tensor, rows: slice | None) -> torch.Tensor:
        weight, bias = self.rows_of(rows)
        return nn.functional.linear(h, weight, bias)


class Cell(nn.Module):
    """Base class. Subclasses set ``state_type`` and ``gates`` and implement ``step``.

    ``fused_kind`` names the PyTorch fused kernel the cell is numerically identical to
    (``"lstm"``, ``"gru"``, ``"rnn_tanh"``, ``"rnn_relu"``) or is ``None``. A fused cell keeps its
    parameters in PyTorch's layout: ``weight_ih [G*H, D]``, ``weight_hh [G*H, H]``, ``bias_ih``,
    ``bias_hh [G*H]``, where G is the number of gate blocks.
    """

    state_type: type[NamedTuple]
    gates: int = 1
    gate_names: tuple[str, ...] = ("W",)  # the row blocks of weight_hh, in order
    input_gates: int | None = None  # row blocks of weight_ih when they differ from weight_hh's
    fused_kind: str | None = None
    takes_lower_memory = False  # depth-gated cells also read the layer below's memory cell

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__()
        require_positive("input size", input_size)
        require_positive("hidden size", hidden_size)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        rows = self.gates * hidden_size
        input_rows = (self.input_gates or self.gates) * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(input_rows, input_size))
        self.weight_hh = nn.Parameter(torch.empty(rows, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(input_rows)) if bias else None
        self.bias_hh = nn.Parameter(torch.empty(rows)) if bias else None
        if self.weight_hh.device.type != "meta":  # a shape-only probe (recur.models.memory) has nothing to set
            self.reset_parameters()

    def visible(self, output: torch.Tensor) -> torch.Tensor:
        """The part of the top layer's step outputs a user sees (``[..., H]``; a cell whose step
        returns more, for the layer above, slices it here)."""
        return output

    def pass_up(self, output: torch.Tensor, dropout: float, training: bool) -> torch.Tensor:
        """What the layer above reads: the output, with dropout between layers."""
        return nn.functional.dropout(output, dropout, training) if dropout > 0 else output

    def reset_parameters(self) -> None:
        """PyTorch's default: every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh):
            if p is not None:
                nn.init.uniform_(p, -bound, bound)

    def init_state(self, batch: int, like: torch.Tensor) -> NamedTuple:
        """The zero state for a batch, on ``like``'s device and dtype."""
        zeros = like.new_zeros(batch, self.hidden_size)
        return self.state_type(*[zeros] * len(self.state_type._fields))

    def project_input(self, x: torch.Tensor) -> torch.Tensor:
        """W_ih x + b_ih for every step at once: ``[..., D] -> [..., G*H]``."""
        return nn.functional.linear(x, self.weight_ih, self.bias_ih)

    def recurrent_weight(self) -> torch.Tensor:
        """The matrix ``hidden`` multiplies by; cells with a structured W_hh (clockwork) mask it here."""
        return self.weight_hh

    def hidden_projection(self, mask: torch.Tensor | None = None, kind=HiddenProjection) -> HiddenProjection:
        """``W_hh (h ⊙ mask) + b_hh`` for one sequence (the masked weight is built once, not per step);
        ``kind`` lets an executor choose how the products are done."""
        return kind(self.recurrent_weight(), self.bias_hh, mask)

    def step(self, projected: torch.Tensor, state: NamedTuple,
             hidden: HiddenProjection) -> tuple[torch.Tensor, NamedTuple]:
        """One step from the precomputed input projection ``[B, G*H]``; returns ``(output_t, state)``."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor, state: NamedTuple | None = None):
        """One step from the raw input ``x_t [B, D]``."""
        if state is None:
            state = self.init_state(x.shape[0], x)
        return self.step(self.project_input(x), state, self.hidden_projection())

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, bias={self.bias}"
