"""Softmax read-out shared by every reference cell.

Forward (seed 003 notation, with h_t the cell's output state, c_t for Elman):

    α_t = a + V h_t
    y_t = softmax(α_t)
    L   = -Σ_t l_t · log y_t = Σ_t L_t          (l_t one-hot target, summed over t)

Backward:

    ∂L/∂α_t = y_t − l_t
    ∂L/∂V   = Σ_t (y_t − l_t) h_tᵀ
    ∂L/∂a   = Σ_t (y_t − l_t)
    ∂L_t/∂h_t = Vᵀ (y_t − l_t)      (the read-out's share of ∂L/∂h_t; the
                                     recurrent share is added by each cell)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def softmax(alphas: np.ndarray) -> np.ndarray:
    """y = exp(α) / Σ exp(α) along the last axis.

    Subtracting the max leaves y unchanged and keeps exp from overflowing.
    """
    shifted = alphas - alphas.max(axis=-1, keepdims=True)
    exps = np.exp(shifted)
    return exps / exps.sum(axis=-1, keepdims=True)


def one_hot(targets: np.ndarray, num_classes: int) -> np.ndarray:
    """l_t as rows: one_hot(targets)[t, k] = 1 if k == targets[t] else 0."""
    return np.eye(num_classes)[targets]


@dataclass
class ReadoutCache:
    """Everything the read-out backward needs: α_t and y_t for every t, shape [T, O]."""

    alphas: np.ndarray
    ys: np.ndarray


def readout_forward(V: np.ndarray, a: np.ndarray, hs: np.ndarray) -> ReadoutCache:
    """α_t = a + V h_t and y_t = softmax(α_t) for all t at once (hs is [T, H])."""
    alphas = hs @ V.T + a
    return ReadoutCache(alphas=alphas, ys=softmax(alphas))


def cross_entropy(ys: np.ndarray, targets: np.ndarray) -> float:
    """L = -Σ_t l_t · log y_t = -Σ_t log y_t[target_t]."""
    steps = np.arange(len(targets))
    return float(-np.log(ys[steps, targets]).sum())


def readout_backward(
    V: np.ndarray, hs: np.ndarray, ys: np.ndarray, targets: np.ndarray
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Gradients of the summed cross-entropy through the read-out.

    Returns ({"V": ∂L/∂V, "a": ∂L/∂a}, dhs) where row t of dhs is Vᵀ (y_t − l_t).
    """
    dalphas = ys - one_hot(targets, ys.shape[1])  # ∂L/∂α_t = y_t − l_t, row per t
    grads = {
        "V": dalphas.T @ hs,  # Σ_t (y_t − l_t) h_tᵀ as one matrix product
        "a": dalphas.sum(axis=0),  # Σ_t (y_t − l_t)
    }
    dhs = dalphas @ V  # row t: Vᵀ (y_t − l_t)
    return grads, dhs


def readout_loss_and_grads(
    params: dict[str, np.ndarray], hs: np.ndarray, targets: np.ndarray
) -> tuple[float, dict[str, np.ndarray], np.ndarray]:
    """Read-out forward + loss + backward in one call, for the cells' BPTT.

    Returns (L, {"V", "a"} gradients, dhs) with dhs[t] = ∂L_t/∂h_t = Vᵀ (y_t − l_t).
    """
    targets = np.asarray(targets)
    cache = readout_forward(params["V"], params["a"], hs)
    loss = cross_entropy(cache.ys, targets)
    grads, dhs = readout_backward(params["V"], hs, cache.ys, targets)
    return loss, grads, dhs
