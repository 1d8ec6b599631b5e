"""Training curves as a picture: training and validation loss above, the gradient norm below.

One run is drawn in fixed colours (training grey, validation red, accuracy blue). Several runs share
the axes, one colour per run: its training loss thin, its validation loss with dots, its accuracy
(a classifier's) dashed on the right axis. The loss axis is labelled with what the runs' loss
measures (``Curves.loss``), which they must share.
"""

from __future__ import annotations

from pathlib import Path

from recur.analysis.curves import Curves
from recur.errors import RecurError
from recur.viz.figures import COLOURS, save_png, subplots

SINGLE = {"train": "0.55", "validation": "tab:red", "accuracy": "tab:blue", "grad_norm": "tab:purple"}


def plot_curves(path: str | Path, runs: dict[str, Curves], title: str = "") -> Path:
    """Write a PNG of ``runs`` (name → curves); the names label the lines when there are several."""
    losses = {curves.loss for curves in runs.values()}
    if len(losses) > 1:
        raise RecurError(f"these runs measure different losses ({', '.join(sorted(losses))}); "
                         "compare runs of one kind of loss")
    figure, (top, bottom) = subplots(2, 1, figsize=(9 if len(runs) > 1 else 8, 6), sharex=True, height_ratios=[2, 1])
    right = None
    for index, (name, curves) in enumerate(runs.items()):
        colours = SINGLE if len(runs) == 1 else dict.fromkeys(SINGLE, COLOURS[index % len(COLOURS)])
        prefix = "" if len(runs) == 1 else f"{name}: "
        if "loss" in curves.train:
            top.plot(*zip(*curves.train["loss"]), color=colours["train"], linewidth=0.8,
                     alpha=1 if len(runs) == 1 else 0.45, label=f"{prefix}training loss")
        if "val_loss" in curves.validation:
            top.plot(*zip(*curves.validation["val_loss"]), "o-", color=colours["validation"], markersize=3,
                     label=f"{prefix}validation loss")
        if curves.validation.get("val_accuracy"):
            right = right or top.twinx()
            right.plot(*zip(*curves.validation["val_accuracy"]), "s--", color=colours["accuracy"], markersize=3,
                       label=f"{prefix}validation accuracy")
        if "grad_norm" in curves.train:
            bottom.plot(*zip(*curves.train["grad_norm"]), color=colours["grad_norm"], linewidth=0.8,
                        label=name)
    top.set_ylabel(losses.pop())
    handles, labels = top.get_legend_handles_labels()
    if right is not None:
        right.set_ylabel("accuracy")
        more = right.get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    if len(runs) == 1:
        top.legend(handles, labels, loc="upper right", fontsize="small")
    else:  # outside the axes, so that no curve hides behind it
        top.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.08 if right else 1.01, 1), fontsize="small")
    if bottom.lines:
        bottom.set_yscale("log")
    bottom.set_ylabel("‖g‖ before clipping")
    bottom.set_xlabel("step")
    if title:
        top.set_title(title)
    return save_png(figure, path)
