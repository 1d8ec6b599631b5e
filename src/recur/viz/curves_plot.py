"""Training curves as a picture: training and validation loss above, the gradient norm below."""

from __future__ import annotations

from pathlib import Path

from recur.analysis.curves import Curves
from recur.viz.figures import save_png, subplots


def plot_curves(path: str | Path, curves: Curves, title: str = "") -> Path:
    figure, (top, bottom) = subplots(2, 1, figsize=(8, 6), sharex=True, height_ratios=[2, 1])
    if "loss" in curves.train:
        top.plot(*zip(*curves.train["loss"]), color="0.55", linewidth=0.8, label="training loss")
    if "val_loss" in curves.validation:
        top.plot(*zip(*curves.validation["val_loss"]), "o-", color="tab:red", markersize=3, label="validation loss")
    top.set_ylabel("loss (nats)")
    accuracy = curves.validation.get("val_accuracy")
    if accuracy:
        right = top.twinx()
        right.plot(*zip(*accuracy), "s-", color="tab:blue", markersize=3, label="validation accuracy")
        right.set_ylabel("accuracy")
        right.legend(loc="upper center", fontsize="small")
    top.legend(loc="upper right", fontsize="small")
    if "grad_norm" in curves.train:
        bottom.plot(*zip(*curves.train["grad_norm"]), color="tab:purple", linewidth=0.8)
        bottom.set_yscale("log")
    bottom.set_ylabel("‖g‖ before clipping")
    bottom.set_xlabel("step")
    if title:
        top.set_title(title)
    return save_png(figure, path)
