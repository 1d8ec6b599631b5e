"""``Recurrent``: any registered cell over batches of sequences, stacked and optionally
bidirectional, picking the fastest executor that gives the same numbers."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from recur.cells import build_cell
from recur.errors import RecurError, require_positive
from recur.recurrent.executors import run_fused, run_loop

EXECUTORS = {"fused": run_fused, "loop": run_loop}


class Recurrent(nn.Module):
    """Run ``layers`` stacked cells over ``x [B, T, D]``.

    forward(x, state=None, lengths=None) -> (output [B, T, dirs*H], state)

    * ``state`` is the cell's named tuple with fields ``[layers*dirs, B, H]`` (PyTorch's layout);
      pass the returned state back in for truncated BPTT (detach it between chunks).
    * ``lengths [B]``: true lengths of a padded batch; outputs past a sequence's end are zero
      and its final state is the one at its end.
    * ``dropout`` applies between layers, as in ``nn.LSTM``.
    * ``executor``: ``"auto"`` (fused kernel when the cell has one, else the loop), ``"fused"``
      or ``"loop"``.
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, layers: int = 1, dropout: float = 0.0,
                 bidirectional: bool = False, executor: str = "auto", **cell_options):
        super().__init__()
        require_positive("number of layers", layers)
        if not 0.0 <= dropout < 1.0:
            raise RecurError(f"dropout must be in [0, 1), got {dropout}")
        self.cell_name, self.layers, self.dropout = cell, layers, dropout
        self.bidirectional = bidirectional
        self.hidden_size = hidden_size
        self.directions = 2 if bidirectional else 1
        self.cells = nn.ModuleList(
            build_cell(cell, input_size if layer == 0 else hidden_size * self.directions, hidden_size, **cell_options)
            for layer in range(layers) for _ in range(self.directions)
        )
        self.executor = self._choose_executor(executor)

    def _choose_executor(self, executor: str) -> str:
        fusable = self.cells[0].fused_kind is not None
        if executor == "auto":
            return "fused" if fusable else "loop"
        if executor not in EXECUTORS:
            raise RecurError(f"unknown executor {executor!r}; choose one of: auto, {', '.join(EXECUTORS)}")
        if executor == "fused" and not fusable:
            raise RecurError(f"cell {self.cell_name!r} has no fused kernel; use executor 'loop' or 'auto'")
        return executor

    @property
    def output_size(self) -> int:
        return self.hidden_size * self.directions

    @property
    def state_type(self) -> type[NamedTuple]:
        return self.cells[0].state_type

    def init_state(self, batch: int, like: torch.Tensor) -> NamedTuple:
        """Zeros with every field ``[layers*dirs, B, H]``."""
        zeros = like.new_zeros(self.layers * self.directions, batch, self.hidden_size)
        return self.state_type(*[zeros] * len(self.state_type._fields))

    def forward(self, x: torch.Tensor, state: NamedTuple | None = None, lengths: torch.Tensor | None = None):
        if x.dim() != 3 or x.shape[-1] != self.cells[0].input_size:
            raise ValueError(f"expected input [B, T, {self.cells[0].input_size}], got {list(x.shape)}")
        B, T = x.shape[:2]
        if lengths is not None:
            lengths = torch.as_tensor(lengths, device=x.device)
            if lengths.shape != (B,) or lengths.min() < 1 or lengths.max() > T:
                raise ValueError(f"lengths must be {B} values in 1..{T}, got {lengths.tolist()}")
        if state is None:
            state = self.init_state(B, x)
        run = EXECUTORS[self.executor]
        return run(self.cells, x, state, lengths, self.layers, self.dropout, self.training, self.bidirectional)
