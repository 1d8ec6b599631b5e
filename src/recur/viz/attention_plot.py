"""A memory network's attention in a picture: one column per hop, one row per sentence of the story
(oldest at the top), shaded by the weight p_i the hop gave it (``recur.models.memn2n``)."""

from __future__ import annotations

from pathlib import Path

from recur.viz.figures import save_png, subplots

MAX_LABEL = 60  # characters of a sentence shown beside its row


def plot_attention(path: str | Path, sentences: list[str], attention: list[list[float]], title: str = "") -> Path:
    """Write a PNG of ``attention [K][n]`` (hop k's weight on sentence i) beside the ``n`` sentences."""
    hops = len(attention)
    figure, axis = subplots(figsize=(3 + 1.1 * hops + 0.06 * min(MAX_LABEL, max(map(len, sentences))),
                                     1.2 + 0.32 * len(sentences)))
    grid = [[attention[k][i] for k in range(hops)] for i in range(len(sentences))]  # [n, K]
    image = axis.imshow(grid, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for i, row in enumerate(grid):
        for k, weight in enumerate(row):
            axis.text(k, i, f"{weight:.2f}", ha="center", va="center", fontsize="small",
                      color="white" if weight > 0.6 else "black")
    axis.set_xticks(range(hops), [f"hop {k + 1}" for k in range(hops)])
    axis.set_yticks(range(len(sentences)), [s if len(s) <= MAX_LABEL else s[: MAX_LABEL - 1] + "…" for s in sentences])
    axis.xaxis.tick_top()
    figure.colorbar(image, ax=axis, fraction=0.04, pad=0.02, label="attention")
    if title:
        axis.set_title(title, pad=24)
    return save_png(figure, path)
