"""Batch normalisation over the global batch when several processes train one model (DDP).

Each rank sees only its rows of a batch, so a plain ``BatchNorm`` would normalise with the
statistics of its share, and W processes would not take the steps one process takes with the whole
batch. Over the ranks' features x (every position of every row, per channel c):

    μ_c  = Σ_ranks Σ x / N                     N = Σ_ranks (rows · positions), one all-reduce
    σ²_c = Σ_ranks Σ (x − μ_c)² / N            a second all-reduce (two passes: no E[x²] − μ² loss
                                               of precision in float32)
    y    = γ_c (x − μ_c) / √(σ²_c + ε) + β_c
    running mean and variance as BatchNorm keeps them: (1 − m)·r + m·μ, (1 − m)·r + m·σ²·N/(N − 1)

The all-reduce carries gradients back to every rank's features (``Summed``: the gradient of a
sum over ranks, for each rank's part, is the sum of the ranks' upstream gradients). PyTorch's own
``nn.SyncBatchNorm`` does the same on GPUs and refuses CPU tensors, so it serves CUDA and this
one gloo on CPUs. The module keeps BatchNorm's parameter and buffer names: a
checkpoint is the same, whichever trained it.
"""

from __future__ import annotations

import torch
from torch import distributed as dist
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm


class Summed(torch.autograd.Function):
    """``Σ_ranks t``, differentiable: forward and backward are both an all-reduce (sum)."""

    @staticmethod
    def forward(ctx, tensor: torch.Tensor) -> torch.Tensor:
        total = tensor.clone()
        dist.all_reduce(total)
        return total

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        total = grad.clone()
        dist.all_reduce(total)
        return total


class GlobalBatchNorm(_BatchNorm):
    """BatchNorm whose training statistics are the whole batch's, over every rank (any dimension)."""

    def _check_input_dim(self, input: torch.Tensor) -> None:
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.training and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
            return super().forward(x)
        dims = [d for d in range(x.dim()) if d != 1]  # every axis but the channels'
        count = x.new_tensor(float(x.numel() // x.shape[1]))
        total = Summed.apply(torch.cat([x.sum(dims), count[None]]))
        n = total[-1]
        mean = total[:-1] / n
        shape = [1, -1] + [1] * (x.dim() - 2)
        centred = x - mean.view(shape)
        var = Summed.apply((centred * centred).sum(dims)) / n
        if self.track_running_stats:
            self.num_batches_tracked.add_(1)
            m = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
            with torch.no_grad():
                self.running_mean.mul_(1 - m).add_(mean.detach(), alpha=m)
                self.running_var.mul_(1 - m).add_(var.detach() * n / (n - 1), alpha=m)
        y = centred / torch.sqrt(var + self.eps).view(shape)
        return y * self.weight.view(shape) + self.bias.view(shape) if self.affine else y


def global_batch_norms(model: nn.Module, device: torch.device) -> None:
    """Replace ``model``'s batch normalisations, in place, by ones over the global batch: PyTorch's
    ``SyncBatchNorm`` on CUDA, ``GlobalBatchNorm`` elsewhere; their tensors are kept."""
    for name, child in model.named_children():
        if isinstance(child, _BatchNorm) and not isinstance(child, (GlobalBatchNorm, nn.SyncBatchNorm)):
            setattr(model, name, synced(child, device))
        else:
            global_batch_norms(child, device)


def synced(norm: _BatchNorm, device: torch.device) -> nn.Module:
    kind = nn.SyncBatchNorm if device.type == "cuda" else GlobalBatchNorm
    new = kind(norm.num_features, norm.eps, norm.momentum, norm.affine, norm.track_running_stats)
    if norm.affine:
        new.weight, new.bias = norm.weight, norm.bias
    if norm.track_running_stats:
        new.running_mean, new.running_var = norm.running_mean, norm.running_var
        new.num_batches_tracked = norm.num_batches_tracked
    new.train(norm.training)
    return new
