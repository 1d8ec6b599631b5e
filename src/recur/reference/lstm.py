"""LSTM: NumPy forward pass and hand-written BPTT (seed 003 form, PyTorch layout).

Forward (seed's m_t is PyTorch's h_t; U = weight_ih, W = weight_hh, b = bias_ih + bias_hh,
gate rows stacked in PyTorch order i, f, g, o):

    [ẑ_i; ẑ_f; ẑ_g; ẑ_o] = b + U x_t + W h_{t-1}
    i_t = σ(ẑ_i)   f_t = σ(ẑ_f)   g_t = tanh(ẑ_g) (= c̃_t)   o_t = σ(ẑ_o)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    h_t = o_t ⊙ tanh(c_t)

Backward, with ∂L/∂h_t = Vᵀ(y_t − l_t) + Wᵀ δ_{t+1} and δ_t = ∂L/∂ẑ_t:

    ∂L/∂o_t = ∂L/∂h_t ⊙ tanh(c_t)
    ∂L/∂c_t = ∂L/∂h_t ⊙ o_t ⊙ (1 − tanh²(c_t)) + ∂L/∂c_{t+1} ⊙ f_{t+1}
    ∂L/∂i_t = ∂L/∂c_t ⊙ g_t      ∂L/∂f_t = ∂L/∂c_t ⊙ c_{t-1}      ∂L/∂g_t = ∂L/∂c_t ⊙ i_t
    δ_t     = [∂L/∂i_t ⊙ i_t(1−i_t); ∂L/∂f_t ⊙ f_t(1−f_t); ∂L/∂g_t ⊙ (1−g_t²); ∂L/∂o_t ⊙ o_t(1−o_t)]
    ∂L/∂U = Σ_t δ_t x_tᵀ    ∂L/∂W = Σ_t δ_t h_{t-1}ᵀ    ∂L/∂b_ih = ∂L/∂b_hh = Σ_t δ_t
    ∂L/∂h_0 = Wᵀ δ_1        ∂L/∂c_0 = ∂L/∂c_1 ⊙ f_1
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .softmax_readout import readout_loss_and_grads


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^{−z}); its derivative is σ(z)(1 − σ(z))."""
    return 1.0 / (1.0 + np.exp(-z))


@dataclass
class LSTMCache:
    """Forward record, every array [T, H] except xs [T, D] and the initial states h0, c0 [H]."""

    xs: np.ndarray
    h0: np.ndarray
    c0: np.ndarray
    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray
    cs: np.ndarray
    hs: np.ndarray

    @property
    def h_prevs(self) -> np.ndarray:
        """h_{t-1} for every t (row 0 is h0)."""
        return np.vstack([self.h0, self.hs[:-1]])

    @property
    def c_prevs(self) -> np.ndarray:
        """c_{t-1} for every t (row 0 is c0)."""
        return np.vstack([self.c0, self.cs[:-1]])


def _initial_state(state: np.ndarray | None, size: int) -> np.ndarray:
    return np.zeros(size) if state is None else np.asarray(state, dtype=float)


def lstm_forward(
    params: dict[str, np.ndarray],
    xs: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
) -> LSTMCache:
    """Run the LSTM over xs [T, D]; h0 and c0 default to zeros."""
    U, W = params["weight_ih"], params["weight_hh"]
    b = params["bias_ih"] + params["bias_hh"]
    xs = np.asarray(xs, dtype=float)
    H = W.shape[1]
    h_init, c_init = _initial_state(h0, H), _initial_state(c0, H)
    steps = []
    h, c = h_init, c_init
    for x in xs:
        z_i, z_f, z_g, z_o = np.split(b + U @ x + W @ h, 4)  # rows in PyTorch order i, f, g, o
        i, f, g, o = sigmoid(z_i), sigmoid(z_f), np.tanh(z_g), sigmoid(z_o)
        c = f * c + i * g  # c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t
        h = o * np.tanh(c)  # h_t = o_t ⊙ tanh(c_t)
        steps.append((i, f, g, o, c, h))
    i, f, g, o, cs, hs = (np.array(column) for column in zip(*steps))
    return LSTMCache(xs=xs, h0=h_init, c0=c_init, i=i, f=f, g=g, o=o, cs=cs, hs=hs)


def lstm_backward(
    params: dict[str, np.ndarray], cache: LSTMCache, dhs: np.ndarray
) -> dict[str, np.ndarray]:
    """BPTT given dhs[t] = the gradient reaching h_t from outside the recurrence.

    Returns gradients for weight_ih, weight_hh, bias_ih, bias_hh, h0 and c0.
    """
    W = params["weight_hh"]
    dU, dW = np.zeros_like(params["weight_ih"]), np.zeros_like(W)
    db = np.zeros(W.shape[0])
    dh_from_next = np.zeros(W.shape[1])  # Wᵀ δ_{t+1}; zero past the last step
    dc_from_next = np.zeros(W.shape[1])  # ∂L/∂c_{t+1} ⊙ f_{t+1}; zero past the last step
    h_prevs, c_prevs = cache.h_prevs, cache.c_prevs
    for t in reversed(range(len(cache.xs))):
        i, f, g, o = cache.i[t], cache.f[t], cache.g[t], cache.o[t]
        tanh_c = np.tanh(cache.cs[t])
        dh = dhs[t] + dh_from_next  # ∂L/∂h_t
        do = dh * tanh_c
        dc = dh * o * (1.0 - tanh_c**2) + dc_from_next  # c_t feeds h_t and c_{t+1}
        di, df, dg = dc * g, dc * c_prevs[t], dc * i
        delta = np.concatenate([
            di * i * (1.0 - i),
            df * f * (1.0 - f),
            dg * (1.0 - g**2),
            do * o * (1.0 - o),
        ])  # δ_t = ∂L/∂ẑ_t, gate blocks in order i, f, g, o
        dU += np.outer(delta, cache.xs[t])  # δ_t x_tᵀ
        dW += np.outer(delta, h_prevs[t])  # δ_t h_{t-1}ᵀ
        db += delta
        dh_from_next = W.T @ delta  # ∂L/∂h_0 after t = 0
        dc_from_next = dc * f  # ∂L/∂c_0 after t = 0
    # Both biases enter only through their sum b, so each receives Σ_t δ_t.
    return {
        "weight_ih": dU, "weight_hh": dW, "bias_ih": db, "bias_hh": db.copy(),
        "h0": dh_from_next, "c0": dc_from_next,
    }


def lstm_bptt(
    params: dict[str, np.ndarray],
    xs: np.ndarray,
    targets: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
) -> tuple[float, dict[str, np.ndarray]]:
    """Loss L = -Σ_t log y_t[target_t] and its gradients for every param (incl. V, a), h0, c0."""
    cache = lstm_forward(params, xs, h0, c0)
    loss, readout_grads, dhs = readout_loss_and_grads(params, cache.hs, targets)
    return loss, {**lstm_backward(params, cache, dhs), **readout_grads}
