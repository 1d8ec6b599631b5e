"""``Recurrent``: any registered cell over batches of sequences, stacked and optionally
bidirectional, picking the fastest executor that gives the same numbers."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from recur.cells import build_cell
from recur.errors import RecurError, require_positive
from recur.recurrent.executors import run_fused, run_loop
from recur.recurrent.scan import run_scan
from recur.state import stack_states

EXECUTORS = {"fused": run_fused, "scan": run_scan, "loop": run_loop}
SCAN_BEATS_FUSED_ON_CPU = {"gru", "rnn_tanh", "rnn_relu"}  # training, 2 CPU cores: docs/performance.md


class Recurrent(nn.Module):
    """Run ``layers`` stacked cells over ``x [B, T, D]``.

    forward(x, state=None, lengths=None) -> (output [B, T, dirs*H], state)

    * ``state`` is the cell's named tuple with fields ``[layers*dirs, B, H]`` (PyTorch's layout);
      pass the returned state back in for truncated BPTT (detach it between chunks).
    * ``lengths [B]``: true lengths of a padded batch; outputs past a sequence's end are zero
      and its final state is the one at its end.
    * ``dropout`` applies between layers, as in ``nn.LSTM``.
    * ``recurrent_dropout``: variational dropout (Gal & Ghahramani 2016), one mask per sequence on
      each cell's input and on its recurrent state, for any cell.
    * ``executor``: ``"auto"`` picks the fastest measured (see ``chosen_executor``); ``"fused"``
      (PyTorch's kernel), ``"scan"`` or ``"loop"`` (the eager reference) force one. All give the
      same numbers.
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, layers: int = 1, dropout: float = 0.0,
                 bidirectional: bool = False, executor: str = "auto", recurrent_dropout: float = 0.0,
                 **cell_options):
        super().__init__()
        require_positive("number of layers", layers)
        for name, p in (("dropout", dropout), ("recurrent dropout", recurrent_dropout)):
            if not 0.0 <= p < 1.0:
                raise RecurError(f"{name} must be in [0, 1), got {p}")
        self.cell_name, self.layers, self.dropout = cell, layers, dropout
        self.recurrent_dropout = recurrent_dropout
        self.bidirectional = bidirectional
        self.hidden_size = hidden_size
        self.directions = 2 if bidirectional else 1
        cells = []
        for layer in range(layers):
            for _ in range(self.directions):
                size = input_size if layer == 0 else hidden_size * self.directions
                linked = {"lower_memory": True} if layer > 0 and cells[0].takes_lower_memory else {}
                cells.append(build_cell(cell, size, hidden_size, **cell_options, **linked))
        if cells[0].takes_lower_memory and bidirectional:
            raise RecurError(f"cell {cell!r} links each layer's memory to the layer below; it runs one direction only")
        self.cells = nn.ModuleList(cells)
        if executor != "auto" and executor not in EXECUTORS:
            raise RecurError(f"unknown executor {executor!r}; choose one of: auto, {', '.join(EXECUTORS)}")
        if executor == "fused" and self.cells[0].fused_kind is None:
            raise RecurError(f"cell {self.cell_name!r} has no fused kernel; use executor 'scan', 'loop' or 'auto'")
        if executor == "fused" and recurrent_dropout > 0:
            raise RecurError("the fused kernel cannot apply recurrent dropout; use executor 'scan', 'loop' or 'auto'")
        self.executor = executor

    def chosen_executor(self, training: bool | None = None, needs_grad: bool | None = None, steps: int = 2) -> str:
        """The executor a forward pass runs; ``training`` defaults to the module's mode and
        ``needs_grad`` to whether autograd is on and the recurrent weights want gradients.

        Auto: a cell without a fused kernel, or recurrent dropout in training, runs on the scan.
        Otherwise the fused kernel, except on a CPU where the scan's deferred weight gradient beats
        PyTorch's GRU and RNN kernels when the weights are being trained (measured in
        bench/results/cells.json: docs/performance.md); its LSTM kernel (oneDNN) stays ahead.
        """
        if self.executor != "auto":
            return self.executor
        training = self.training if training is None else training
        cell = self.cells[0]
        if cell.fused_kind is None or (training and self.recurrent_dropout > 0):
            return "scan"
        if needs_grad is None:
            needs_grad = torch.is_grad_enabled() and cell.weight_hh.requires_grad
        on_cpu = cell.weight_hh.device.type == "cpu"
        deferring_pays = steps > 1  # one step has no per-step weight gradients to gather into one product
        return "scan" if on_cpu and needs_grad and deferring_pays and cell.fused_kind in SCAN_BEATS_FUSED_ON_CPU \
            else "fused"

    @property
    def output_size(self) -> int:
        return self.hidden_size * self.directions

    @property
    def state_type(self) -> type[NamedTuple]:
        return self.cells[0].state_type

    def init_state(self, batch: int, like: torch.Tensor) -> NamedTuple:
        """Each cell's initial state for ``batch`` sequences, stacked: every field ``[layers*dirs, B, ...]``
        (``[layers*dirs, B, H]`` for the cells of ``recur.cells``; a cell decides its fields' shapes)."""
        return stack_states([cell.init_state(batch, like) for cell in self.cells])

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
        run = EXECUTORS[self.chosen_executor(steps=T)]
        output, state = run(self.cells, x, state, lengths, self.layers, self.dropout, self.training,
                            self.bidirectional, self.recurrent_dropout)
        return self.cells[-1].visible(output), state
