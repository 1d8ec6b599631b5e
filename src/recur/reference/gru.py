"""GRU (PyTorch form): NumPy forward pass and hand-written BPTT.

Forward, rows of weight_ih / weight_hh / biases stacked as r, z, n:

    [a_r; a_z; a_n] = W_ih x_t + b_ih           (input part)
    [u_r; u_z; u_n] = W_hh h_{t-1} + b_hh       (recurrent part)
    r_t = σ(a_r + u_r)
    z_t = σ(a_z + u_z)
    n_t = tanh(a_n + r_t ⊙ u_n)                 (the reset gate scales only u_n)
    h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}

Backward, with ∂L/∂h_t = Vᵀ(y_t − l_t) + (gradient from step t+1):

    ∂L/∂n_t = ∂L/∂h_t ⊙ (1 − z_t)         ∂L/∂z_t = ∂L/∂h_t ⊙ (h_{t-1} − n_t)
    ∂L/∂a_n = ∂L/∂n_t ⊙ (1 − n_t²)        ∂L/∂u_n = ∂L/∂a_n ⊙ r_t
    ∂L/∂r_t = ∂L/∂a_n ⊙ u_n
    ∂L/∂a_r = ∂L/∂u_r = ∂L/∂r_t ⊙ r_t(1 − r_t)
    ∂L/∂a_z = ∂L/∂u_z = ∂L/∂z_t ⊙ z_t(1 − z_t)
    ∂L/∂W_ih = Σ_t ∂L/∂a_t x_tᵀ      ∂L/∂b_ih = Σ_t ∂L/∂a_t
    ∂L/∂W_hh = Σ_t ∂L/∂u_t h_{t-1}ᵀ  ∂L/∂b_hh = Σ_t ∂L/∂u_t
    ∂L/∂h_{t-1} (from step t) = ∂L/∂h_t ⊙ z_t + W_hhᵀ ∂L/∂u_t
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .lstm import sigmoid
from .softmax_readout import readout_loss_and_grads


@dataclass
class GRUCache:
    """Forward record: xs [T, D], h0 [H]; r, z, n, u_n (= W_hn h_{t-1} + b_hn) and hs all [T, H]."""

    xs: np.ndarray
    h0: np.ndarray
    r: np.ndarray
    z: np.ndarray
    n: np.ndarray
    u_n: np.ndarray
    hs: np.ndarray

    @property
    def h_prevs(self) -> np.ndarray:
        """h_{t-1} for every t (row 0 is h0)."""
        return np.vstack([self.h0, self.hs[:-1]])


def gru_forward(
    params: dict[str, np.ndarray], xs: np.ndarray, h0: np.ndarray | None = None
) -> GRUCache:
    """Run the GRU over xs [T, D]; h0 defaults to zeros."""
    W_ih, W_hh = params["weight_ih"], params["weight_hh"]
    b_ih, b_hh = params["bias_ih"], params["bias_hh"]
    xs = np.asarray(xs, dtype=float)
    h_init = np.zeros(W_hh.shape[1]) if h0 is None else np.asarray(h0, dtype=float)
    steps = []
    h = h_init
    for x in xs:
        a_r, a_z, a_n = np.split(W_ih @ x + b_ih, 3)
        u_r, u_z, u_n = np.split(W_hh @ h + b_hh, 3)
        r = sigmoid(a_r + u_r)
        z = sigmoid(a_z + u_z)
        n = np.tanh(a_n + r * u_n)
        h = (1.0 - z) * n + z * h  # h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}
        steps.append((r, z, n, u_n, h))
    r, z, n, u_n, hs = (np.array(column) for column in zip(*steps))
    return GRUCache(xs=xs, h0=h_init, r=r, z=z, n=n, u_n=u_n, hs=hs)


def gru_backward(
    params: dict[str, np.ndarray], cache: GRUCache, dhs: np.ndarray
) -> dict[str, np.ndarray]:
    """BPTT given dhs[t] = the gradient reaching h_t from outside the recurrence.

    Returns gradients for weight_ih, weight_hh, bias_ih, bias_hh and h0.
    """
    W_hh = params["weight_hh"]
    dW_ih, dW_hh = np.zeros_like(params["weight_ih"]), np.zeros_like(W_hh)
    db_ih, db_hh = np.zeros(W_hh.shape[0]), np.zeros(W_hh.shape[0])
    dh_from_next = np.zeros(W_hh.shape[1])  # step t+1's share of ∂L/∂h_t; zero past the end
    h_prevs = cache.h_prevs
    for t in reversed(range(len(cache.xs))):
        r, z, n, u_n, h_prev = cache.r[t], cache.z[t], cache.n[t], cache.u_n[t], h_prevs[t]
        dh = dhs[t] + dh_from_next  # ∂L/∂h_t
        dn = dh * (1.0 - z)
        dz = dh * (h_prev - n)
        da_n = dn * (1.0 - n**2)  # through tanh
        du_n = da_n * r
        dr = da_n * u_n
        da_r = dr * r * (1.0 - r)  # = ∂L/∂u_r: a_r and u_r enter only through their sum
        da_z = dz * z * (1.0 - z)  # = ∂L/∂u_z, likewise
        da = np.concatenate([da_r, da_z, da_n])  # ∂L/∂(W_ih x_t + b_ih)
        du = np.concatenate([da_r, da_z, du_n])  # ∂L/∂(W_hh h_{t-1} + b_hh)
        dW_ih += np.outer(da, cache.xs[t])
        db_ih += da
        dW_hh += np.outer(du, h_prev)
        db_hh += du
        dh_from_next = dh * z + W_hh.T @ du  # direct path through z_t ⊙ h_{t-1}, plus via u
    return {
        "weight_ih": dW_ih, "weight_hh": dW_hh, "bias_ih": db_ih, "bias_hh": db_hh,
        "h0": dh_from_next,
    }


def gru_bptt(
    params: dict[str, np.ndarray],
    xs: np.ndarray,
    targets: np.ndarray,
    h0: np.ndarray | None = None,
) -> tuple[float, dict[str, np.ndarray]]:
    """Loss L = -Σ_t log y_t[target_t] and its gradients for every param (incl. V, a) and h0."""
    cache = gru_forward(params, xs, h0)
    loss, readout_grads, dhs = readout_loss_and_grads(params, cache.hs, targets)
    return loss, {**gru_backward(params, cache, dhs), **readout_grads}
