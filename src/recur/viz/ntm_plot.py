"""One sequence through a memory-task model, as in Graves et al. 2014's Figure 6: the input bits,
the target and output bits over time, and, for an NTM, each head's weighting over the memory slots
at every step (write heads, then read heads). A model that copies by location draws two clean
diagonals: the write head walks down the slots while the input arrives, the read head walks them
again while the copy is written out."""

from __future__ import annotations

from pathlib import Path

import torch

from recur.viz.figures import COLOURS, save_png, subplots


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


def plot_generalisation(path: str | Path, at_lengths: dict[str, dict[int, float]],
                        learning: dict[str, list[tuple[int, float]]], trained: tuple[int, int], unit: str,
                        title: str = "") -> Path:
    """Write a PNG of two panels: bit errors per sequence against length for each run
    (``at_lengths``: name → {length: errors}), the trained lengths shaded; and each run's validation
    bit errors against the training sequences seen (``learning``: name → [(sequences, errors)])."""
    figure, (left, right) = subplots(1, 2, figsize=(13, 4.8))
    for index, name in enumerate(at_lengths):
        colour = COLOURS[index % len(COLOURS)]
        style = "s--" if name.startswith("lstm") else "o-"
        lengths = sorted(at_lengths[name])
        left.plot(lengths, [at_lengths[name][n] for n in lengths], style, color=colour, markersize=4, label=name)
        if learning.get(name):
            right.plot(*zip(*learning[name]), style, color=colour, markersize=3, label=name)
    left.axvspan(trained[0], trained[1], color="0.9", label="trained lengths")
    for axis in (left, right):
        axis.set_yscale("symlog", linthresh=0.1)  # zero errors stay on the axis; 0.1 to hundreds readable
        axis.set_ylabel("bit errors per sequence")
        axis.grid(alpha=0.3)
    left.set_xlabel(f"length ({unit})")
    right.set_xlabel("training sequences seen")
    right.set_title("validation (trained lengths)", fontsize="small")
    left.legend(fontsize="small")
    if title:
        left.set_title(title)
    return save_png(figure, path)
