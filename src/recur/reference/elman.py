"""Elman RNN: NumPy forward pass and hand-written BPTT (seed 003 derivation).

Forward, with PyTorch's nn.RNN names (seed: U = weight_ih, W = weight_hh,
b = bias_ih + bias_hh, c_t = h_t):

    z_t = b + U x_t + W h_{t-1}
    h_t = act(z_t)                  act = tanh (seed) or relu

Backward, with δ_t = ∂L/∂z_t:

    ∂L/∂h_t = Vᵀ (y_t − l_t) + Wᵀ δ_{t+1}        (read-out share + next step's share)
    δ_t     = diag(act'(z_t)) ∂L/∂h_t            tanh: 1 − h_t²,  relu: 1[h_t > 0]
    ∂L/∂U   = Σ_t δ_t x_tᵀ
    ∂L/∂W   = Σ_t δ_t h_{t-1}ᵀ
    ∂L/∂b   = Σ_t δ_t
    ∂L/∂h_0 = Wᵀ δ_1

Expanding δ_{t+1} gives the seed's ∂L/∂c_t = Wᵀ diag(1 − c_{t+1}²) ∂L/∂c_{t+1} + Vᵀ(y_t − l_t).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .softmax_readout import readout_loss_and_grads

# (act, act') pairs; act' is written in terms of h = act(z), which is what the cache keeps.
ACTIVATIONS = {
    "tanh": (np.tanh, lambda h: 1.0 - h**2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda h: (h > 0).astype(h.dtype)),
}

BIAS_NAMES = ("bias_ih", "bias_hh")


@dataclass
class ElmanCache:
    """Forward record: inputs xs [T, D], h0 [H], pre-activations zs [T, H], states hs [T, H]."""

    xs: np.ndarray
    h0: np.ndarray
    zs: np.ndarray
    hs: np.ndarray
    nonlinearity: str

    @property
    def h_prevs(self) -> np.ndarray:
        """h_{t-1} for every t, shape [T, H] (row 0 is h0)."""
        return np.vstack([self.h0, self.hs[:-1]])


def _summed_bias(params: dict[str, np.ndarray]) -> np.ndarray | float:
    """The seed's b = b_ih + b_hh; an absent (or None) bias contributes 0."""
    return sum(params[name] for name in BIAS_NAMES if params.get(name) is not None)


def elman_forward(
    params: dict[str, np.ndarray],
    xs: np.ndarray,
    h0: np.ndarray | None = None,
    nonlinearity: str = "tanh",
) -> ElmanCache:
    """Run h_t = act(b + U x_t + W h_{t-1}) over xs [T, D]; h0 defaults to zeros."""
    U, W = params["weight_ih"], params["weight_hh"]
    b = _summed_bias(params)
    act, _ = ACTIVATIONS[nonlinearity]
    xs = np.asarray(xs, dtype=float)
    h_init = np.zeros(W.shape[0]) if h0 is None else np.asarray(h0, dtype=float)
    zs, hs = [], []
    h = h_init
    for x in xs:
        zs.append(b + U @ x + W @ h)  # z_t = b + U x_t + W h_{t-1}
        h = act(zs[-1])  # h_t = act(z_t)
        hs.append(h)
    return ElmanCache(xs=xs, h0=h_init, zs=np.array(zs), hs=np.array(hs), nonlinearity=nonlinearity)


def elman_backward(
    params: dict[str, np.ndarray], cache: ElmanCache, dhs: np.ndarray
) -> dict[str, np.ndarray]:
    """BPTT given dhs[t] = the gradient reaching h_t from outside the recurrence.

    Returns gradients for weight_ih, weight_hh, the biases present in params, and h0.
    """
    W = params["weight_hh"]
    _, act_grad = ACTIVATIONS[cache.nonlinearity]
    dU, dW, db = np.zeros_like(params["weight_ih"]), np.zeros_like(W), np.zeros(W.shape[0])
    dh_from_next = np.zeros(W.shape[0])  # Wᵀ δ_{t+1}; zero past the last step
    h_prevs = cache.h_prevs
    for t in reversed(range(len(cache.xs))):
        dh = dhs[t] + dh_from_next  # ∂L/∂h_t = Vᵀ(y_t − l_t) + Wᵀ δ_{t+1}
        delta = act_grad(cache.hs[t]) * dh  # δ_t = diag(act'(z_t)) ∂L/∂h_t
        dU += np.outer(delta, cache.xs[t])  # δ_t x_tᵀ
        dW += np.outer(delta, h_prevs[t])  # δ_t h_{t-1}ᵀ
        db += delta
        dh_from_next = W.T @ delta  # becomes Wᵀ δ_{t+1} for step t−1 (∂L/∂h_0 after t = 0)
    grads = {"weight_ih": dU, "weight_hh": dW, "h0": dh_from_next}
    # Both biases enter only through their sum b, so each receives ∂L/∂b.
    for name in BIAS_NAMES:
        if params.get(name) is not None:
            grads[name] = db.copy()
    return grads


def elman_bptt(
    params: dict[str, np.ndarray],
    xs: np.ndarray,
    targets: np.ndarray,
    h0: np.ndarray | None = None,
    nonlinearity: str = "tanh",
) -> tuple[float, dict[str, np.ndarray]]:
    """Loss L = -Σ_t log y_t[target_t] and its gradients for every param (incl. V, a) and h0."""
    cache = elman_forward(params, xs, h0, nonlinearity)
    loss, readout_grads, dhs = readout_loss_and_grads(params, cache.hs, targets)
    return loss, {**elman_backward(params, cache, dhs), **readout_grads}
