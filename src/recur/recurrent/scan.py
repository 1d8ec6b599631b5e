"""The scan executor: any cell over time, with a hand-scheduled backward pass.

Eager autograd through a step loop (``run_loop``) spends most of its backward time on the
recurrent weight gradient: every step adds a thin ``[G*H, B] x [B, H]`` product into a full
``[G*H, H]`` accumulator (and zero-fills it first), so the weight gradient is read and written
``T`` times. PyTorch's own CPU RNN kernels do the same. BPTT does not need that:

    dL/dW_hh = Σ_t δ_tᵀ h_{t-1}      (seed 003: dL/dW = Σ_t δ_t c_{t-1}ᵀ)

is one ``[G*H, B*T] x [B*T, H]`` matmul once every δ_t is known. So this executor

1. runs the forward loop without autograd, keeping each step's input state and the products
   ``W_hh h`` it computed (the same tensors autograd would have kept);
2. walks back over time: re-runs step t's pointwise part under autograd, with its recurrent
   products replayed from (1) instead of recomputed, and takes the gradient of that small graph;
   a replayed product passes ``δ W`` back to ``h`` and files ``(h, δ)`` for later;
3. forms ``dL/dW_hh`` and ``dL/db_hh`` from all filed pairs in one matmul and one sum.

It works for any cell whose recurrent products go through its ``hidden`` argument (all do),
gives the loop's numbers up to float rounding (tested), and does not support double backward.
"""

from __future__ import annotations

from collections import defaultdict

import torch

from recur.cells.base import HiddenProjection
from recur.recurrent.executors import masked_step, run_layers


class RecordingProjection(HiddenProjection):
    """Forward pass: computes each product and keeps it, in call order per step."""

    def __init__(self, weight, bias, mask):
        super().__init__(weight, bias, mask)
        self.products: list[list[torch.Tensor]] = []

    def begin_step(self) -> None:
        self.products.append([])

    def linear(self, h, rows):
        y = super().linear(h, rows)
        self.products[-1].append(y)
        return y


class ReplayProjection(HiddenProjection):
    """Backward pass: hands back the kept products and files ``(input, δ)`` for the weight gradient."""

    def __init__(self, weight, bias, mask, products, ledger):
        super().__init__(weight, bias, mask)
        self.products, self.ledger, self.calls = products, ledger, 0

    def linear(self, h, rows):
        y = self.products[self.calls]
        self.calls += 1
        weight, _ = self.rows_of(rows)
        return _ReplayedProduct.apply(h, weight, rows, self.ledger, (y,))


class _ReplayedProduct(torch.autograd.Function):
    """``y = W h + b`` already computed: forward returns it, backward gives ``δ W`` to ``h``."""

    @staticmethod
    def forward(ctx, h, weight, rows, ledger, kept):
        ctx.save_for_backward(h, weight)
        ctx.rows, ctx.ledger = rows, ledger
        return kept[0].detach()

    @staticmethod
    def backward(ctx, delta):
        h, weight = ctx.saved_tensors
        ctx.ledger[key_of(ctx.rows)].append((h.detach(), delta))
        return delta @ weight, None, None, None, None


def key_of(rows: slice | None):
    return None if rows is None else (rows.start, rows.stop)


def weight_gradients(ledger, weight, bias):
    """``dW[rows] = Σ δᵀ h`` and ``db[rows] = Σ δ`` over every filed pair, one matmul per row block."""
    d_weight = None if None in ledger and len(ledger) == 1 else torch.zeros_like(weight)
    d_bias = None if bias is None else torch.zeros_like(bias)
    for key, pairs in ledger.items():
        inputs = torch.cat([h for h, _ in pairs])  # [T*B, H]
        deltas = torch.cat([d for _, d in pairs])  # [T*B, rows]
        block = deltas.t() @ inputs
        rows = slice(None) if key is None else slice(*key)
        if d_weight is None:
            d_weight = block
        else:
            d_weight[rows] += block
        if d_bias is not None:
            d_bias[rows] += deltas.sum(0)
    if d_weight is None:  # no product was ever used (cannot happen for a real cell)
        d_weight = torch.zeros_like(weight)
    return d_weight, d_bias


class _Scan(torch.autograd.Function):
    """Inputs: the projected sequence, the recurrent weight and bias, the cell's own step parameters
    (peepholes, layer-norm gains, ...: used inside ``step`` and trained), and the start state."""

    @staticmethod
    def forward(ctx, cell, alive, mask, step_params, projected, weight, bias, *tensors):
        start = tensors[len(step_params):]
        state = cell.state_type(*start)
        recorder = RecordingProjection(weight, bias, mask)
        states, outputs = [], []
        for t in range(projected.shape[1]):
            states.append(state)
            recorder.begin_step()
            keep = None if alive is None else alive[:, t, None]
            out, state = masked_step(cell, projected[:, t], state, recorder, keep)
            outputs.append(out)
        ctx.cell, ctx.alive, ctx.mask, ctx.step_params = cell, alive, mask, step_params
        ctx.states, ctx.products = states, recorder.products
        ctx.save_for_backward(projected, weight, bias)
        return (torch.stack(outputs, dim=1), *state)

    @staticmethod
    def backward(ctx, d_outputs, *d_final):
        projected, weight, bias = ctx.saved_tensors
        cell, alive = ctx.cell, ctx.alive
        ledger = defaultdict(list)
        d_state = list(d_final)
        d_projected = torch.empty_like(projected)
        step_params = ctx.step_params
        d_params = [torch.zeros_like(p) for p in step_params]
        for t in reversed(range(projected.shape[1])):
            p_t = projected[:, t].detach().requires_grad_()
            prev = [f.detach().requires_grad_(f.is_floating_point()) for f in ctx.states[t]]
            replay = ReplayProjection(weight, bias, ctx.mask, ctx.products[t], ledger)
            keep = None if alive is None else alive[:, t, None]
            with torch.enable_grad():
                out, new = masked_step(cell, p_t, cell.state_type(*prev), replay, keep)
            roots, seeds = [], []
            for root, seed in zip((out, *new), (d_outputs[:, t], *d_state)):
                if root.requires_grad:
                    roots.append(root)
                    seeds.append(seed)
            grads = torch.autograd.grad(roots, [p_t, *prev, *step_params], seeds, allow_unused=True)
            d_projected[:, t] = 0 if grads[0] is None else grads[0]
            d_state = [torch.zeros_like(f) if g is None else g for f, g in zip(prev, grads[1 : 1 + len(prev)])]
            for total, g in zip(d_params, grads[1 + len(prev):]):
                if g is not None:
                    total += g
        d_weight, d_bias = weight_gradients(ledger, weight, bias)
        return (None, None, None, None, d_projected, d_weight, d_bias, *d_params, *d_state)


def scan_cell(cell, x, state, alive, hidden_mask):
    """One cell over ``[B, T, D]`` with the deferred-weight-gradient backward described above."""
    projected = cell.project_input(x)  # [B, T, G*H], hoisted out of the loop
    hidden = cell.hidden_projection(hidden_mask)
    step_params = [p for p in step_parameters(cell) if p.requires_grad]
    outputs, *final = _Scan.apply(cell, alive, hidden.mask, step_params, projected, hidden.weight, hidden.bias,
                                  *step_params, *state)
    return outputs, cell.state_type(*final)


def step_parameters(cell):
    """The parameters ``step`` uses itself: all but the input projection's and the recurrent matrix's."""
    projections = {"weight_ih", "bias_ih", "weight_hh", "bias_hh"}
    return [p for name, p in cell.named_parameters() if name not in projections]


def run_scan(cells, x, state, lengths, layers, dropout, training, bidirectional, recurrent_dropout=0.0):
    """Every layer and direction through ``scan_cell``."""
    return run_layers(scan_cell, cells, x, state, lengths, layers, dropout, training, bidirectional,
                      recurrent_dropout)
