"""Choosing the next token from logits: pure functions over NumPy arrays, easy to test alone.

    temperature T:  p_i ∝ exp(z_i / T)          (T = 0 means greedy: argmax z; so does any T below
                                                 GREEDY_BELOW, where z / T would overflow long before T
                                                 reaches 0 and the draw is the argmax already)
    top-k:          keep the k largest z_i (ties with the k-th kept), drop the rest
    top-p (nucleus, Holtzman et al. 2020): keep the smallest set of most likely tokens whose
                    probability sums to at least p (ties with the least likely kept token kept)
    draw:           given u ~ U[0, 1), the first id whose cumulative kept probability exceeds u · Σ p

This module is the reference; the engine's compiled loop (``csrc/sample.c``) follows the
same rule and is tested against it. Randomness comes in as the uniforms, so a seeded NumPy
generator gives the same ids on either path.
"""

from __future__ import annotations

import numpy as np

from recur.checks import check_value

NUCLEUS_SLACK = 1e-9  # relative; the same in csrc/sample.c
GREEDY_BELOW = 1e-6  # a temperature below this is greedy, as 0 is (a gap of 1e-5 in logits is then e^-10)


def check_sampling(temperature: float, top_k: int | None, top_p: float | None) -> None:
    """Refuse settings no draw can use: a temperature below 0 (0 is greedy), a top-k below 1, a
    top-p outside (0, 1], a value that is not a finite number."""
    check_value("temperature", temperature, float, {"at_least": 0})
    check_value("top-k", top_k, int | None, {"at_least": 1})
    check_value("top-p", top_p, float | None, {"above": 0, "at_most": 1})


def is_greedy(temperature: float) -> bool:
    """True for temperature 0 and for temperatures too small to divide logits by (``GREEDY_BELOW``)."""
    return temperature < GREEDY_BELOW


def filter_logits(logits, top_k: int | None = None, top_p: float | None = None) -> np.ndarray:
    """``logits [B, V]`` (float64) with the tokens outside the top-k / nucleus set to -inf."""
    z = np.array(logits, dtype=np.float64)
    if top_k is not None and top_k < z.shape[-1]:
        kth = -np.sort(-z, axis=-1)[:, top_k - 1 : top_k]  # [B, 1]
        z[z < kth] = -np.inf
    if top_p is not None and top_p < 1.0:
        p = np.exp(z - z.max(axis=-1, keepdims=True))
        ordered = -np.sort(-p, axis=-1)  # most likely first
        running = np.cumsum(ordered, axis=-1)
        before = np.concatenate([np.zeros_like(running[:, :1]), running[:, :-1]], axis=-1)
        # the least likely token kept: the last whose predecessors hold less than top_p of the mass
        # (NUCLEUS_SLACK: a sum equal to top_p in exact arithmetic counts as reaching it)
        kept = before < top_p * running[:, -1:] * (1 - NUCLEUS_SLACK)
        cut = np.take_along_axis(ordered, kept.sum(axis=-1, keepdims=True) - 1, axis=-1)
        z[p < cut] = -np.inf
    return z


def sample_next(logits, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
                uniforms: np.ndarray | None = None, rng: np.random.Generator | None = None) -> np.ndarray:
    """One id per row of ``logits [B, V]`` -> ``[B]`` int64, drawn with ``uniforms [B]`` (or from ``rng``)."""
    logits = np.asarray(logits)
    if is_greedy(temperature):
        return logits.argmax(axis=-1)
    if uniforms is None:
        uniforms = (rng or np.random.default_rng()).random(logits.shape[0])
    z = filter_logits(np.asarray(logits, dtype=np.float64) / temperature, top_k, top_p)
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    cdf = np.cumsum(p, axis=-1)
    ids = np.array([np.searchsorted(row, u * row[-1], side="right") for row, u in zip(cdf, uniforms)], np.int64)
    last_kept = p.shape[-1] - 1 - (p[:, ::-1] > 0).argmax(axis=-1)  # where rounding put u · Σ p at the top
    return np.where(ids < p.shape[-1], ids, last_kept)
