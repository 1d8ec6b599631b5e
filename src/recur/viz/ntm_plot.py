"""One sequence through a memory-task model, as in Graves et al. 2014's Figure 6: the input bits,
the target and output bits over time, and, for an NTM, each head's weighting over the memory slots
at every step (write heads, then read heads). A model that copies by location draws two clean
diagonals: the write head walks down the slots while the input arrives, the read head walks them
again while the copy is written out."""

from __future__ import annotations

from pathlib import Path

import torch

from recur.viz.figures import save_png, subplots


def head_name(head: int, read_heads: int) -> str:
    """"write head 0" for the first write head (heads are numbered read heads first)."""
    kind, number = ("write", head - read_heads) if head >= read_heads else ("read", head)
    return f"{kind} head {number}\nweighting (slot)"


def plot_trace(path: str | Path, inputs: torch.Tensor, targets: torch.Tensor, outputs: torch.Tensor,
               weightings: torch.Tensor | None, read_heads: int, title: str = "") -> Path:
    """Write a PNG: ``inputs [T, D]``, ``targets`` and ``outputs`` (probabilities) ``[T, Y]`` and
    ``weightings [T, heads, N]`` (read heads first; None: no memory to draw)."""
    heads = [] if weightings is None else [*range(read_heads, weightings.shape[1]), *range(read_heads)]
    panels = [("input", inputs.T), ("target", targets.T), ("output", outputs.T)]
    panels += [(head_name(h, read_heads), weightings[:, h].T) for h in heads]
    heights = [max(1.0, p.shape[0] / 8) if i < 3 else 3.0 for i, (_, p) in enumerate(panels)]
    figure, axes = subplots(len(panels), 1, figsize=(max(6.0, min(18.0, inputs.shape[0] / 12)), sum(heights) + 1),
                            sharex=True, height_ratios=heights, squeeze=False)
    for axis, (name, picture) in zip(axes[:, 0], panels):
        axis.imshow(picture.detach().float().numpy(), aspect="auto", interpolation="nearest", cmap="gray_r",
                    vmin=0, vmax=1, origin="upper")
        axis.set_ylabel(name, fontsize="small")
    axes[-1, 0].set_xlabel("time step")
    if title:
        axes[0, 0].set_title(title)
    return save_png(figure, path)
