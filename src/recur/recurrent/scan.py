"""The scan executor: any cell over time, with the recurrent weight gradient deferred to one matmul.

Eager autograd through a step loop (``run_loop``) spends much of its backward time on the
recurrent weight gradient: every step adds a thin ``[G*H, B] x [B, H]`` product into a full
``[G*H, H]`` accumulator (zero-filled first), so that gradient is read and written ``T`` times.
PyTorch's own CPU GRU and RNN kernels do the same. BPTT does not need to:

    dL/dW_hh = Σ_t δ_tᵀ h_{t-1}      (seed 003: dL/dW = Σ_t δ_t c_{t-1}ᵀ)

is one ``[G*H, B*T] x [B*T, H]`` matmul once every δ_t is known. So the scan runs the same step
loop as the reference, except that each recurrent product ``W h + b`` is a ``_DeferredProduct``:
its backward passes ``δ W`` on to ``h`` at once (the time recursion needs it) and files
``(h, δ)`` in a ledger instead of touching the weight. The product made at the first step is the
last one autograd reaches — every later step feeds back into it through ``h_0`` — so its backward
empties the ledger: one matmul for ``dL/dW``, one sum for ``dL/db``. Everything else (gates,
peepholes, layer norms, masks) is ordinary autograd, so any cell runs here unchanged and gives
the loop's numbers up to float rounding (tested).
"""

from __future__ import annotations

import torch

from recur.cells.base import HiddenProjection
from recur.recurrent.executors import loop_cell, run_layers


class DeferredProjection(HiddenProjection):
    """``hidden(h, rows)`` for one sequence, with one ledger per block of rows."""

    def __init__(self, weight, bias, mask=None):
        super().__init__(weight, bias, mask)
        self.blocks: dict = {}  # rows key -> (weight rows, bias rows, ledger), made at the first step

    def linear(self, h, rows):
        key = None if rows is None else (rows.start, rows.stop)
        first = key not in self.blocks
        if first:
            self.blocks[key] = (*self.rows_of(rows), [])
        weight, bias, ledger = self.blocks[key]
        return _DeferredProduct.apply(h, weight, bias, ledger, first)


class _DeferredProduct(torch.autograd.Function):
    """``y = W h + b``; backward gives ``δ W`` to ``h`` and, at the first step only, the whole
    sequence's ``dW = Σ δᵀ h`` and ``db = Σ δ``."""

    @staticmethod
    def forward(ctx, h, weight, bias, ledger, first):
        ctx.save_for_backward(h, weight)
        ctx.ledger, ctx.first = ledger, first
        return torch.nn.functional.linear(h, weight, bias)

    @staticmethod
    def backward(ctx, delta):
        h, weight = ctx.saved_tensors
        d_h = delta @ weight if ctx.needs_input_grad[0] else None
        wants_weight, wants_bias = ctx.needs_input_grad[1], ctx.needs_input_grad[2]
        if not (wants_weight or wants_bias):
            return d_h, None, None, None, None
        ctx.ledger.append((h, delta))
        if not ctx.first:
            return d_h, None, None, None, None
        inputs = torch.cat([x for x, _ in ctx.ledger])  # [T*B, H]
        deltas = torch.cat([d for _, d in ctx.ledger])  # [T*B, rows]
        ctx.ledger.clear()  # a second backward (retain_graph) files afresh
        d_weight = deltas.t() @ inputs if wants_weight else None
        d_bias = deltas.sum(0) if wants_bias else None
        return d_h, d_weight, d_bias, None, None


def scan_cell(cell, x, state, alive, hidden_mask):
    """The reference loop with deferred recurrent products."""
    return loop_cell(cell, x, state, alive, hidden_mask, projection=DeferredProjection)


def run_scan(cells, x, state, lengths, layers, dropout, training, bidirectional, recurrent_dropout=0.0):
    """Every layer and direction through ``scan_cell``."""
    return run_layers(scan_cell, cells, x, state, lengths, layers, dropout, training, bidirectional,
                      recurrent_dropout)
