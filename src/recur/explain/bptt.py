"""The BPTT gradients of Saerom Park's lecture (seeds/003), by hand (recur.reference) and by PyTorch
autograd, side by side.

The network, on R. Venkatesh Babu's "hell" → "ello" (seeds/002; one-hot inputs, vocabulary h, e, l, o):

    c_t = tanh(b + U x_t + W c_{t-1}),   α_t = a + V c_t,   y_t = softmax(α_t),   L = -Σ_t l_t · log y_t

and the lecture's gradients:

    ∂L/∂V   = Σ_t (y_t − l_t) c_tᵀ
    ∂L/∂a   = Σ_t (y_t − l_t)
    ∂L/∂c_t = Wᵀ diag(1 − c_{t+1}²) ∂L/∂c_{t+1} + Vᵀ (y_t − l_t)
    ∂L/∂W   = Σ_t diag(1 − c_t²) ∂L/∂c_t c_{t-1}ᵀ
    ∂L/∂U   = Σ_t diag(1 − c_t²) ∂L/∂c_t x_tᵀ
    ∂L/∂b   = Σ_t diag(1 − c_t²) ∂L/∂c_t

The hand-written side is recur.reference's NumPy engine; the other is recur's own Elman cell and an
``nn.Linear`` read-out holding the same arrays, stepped under autograd in float64.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from recur.cells import build_cell
from recur.explain.layout import matrix, side_by_side
from recur.explain.lectures import PARK
from recur.explain.params import parameter_count
from recur.explain.topic import Explanation, Topic, require_memory, seed_option, whole
from recur.explain.training import seeded
from recur.reference import elman_bptt, elman_forward, one_hot, readout_loss_and_grads

VOCABULARY = "helo"
INPUTS, TARGETS = "hell", "ello"


def memory_gradients(W: np.ndarray, hs: np.ndarray, dhs: np.ndarray) -> np.ndarray:
    """∂L/∂c_t for every t [T, H], by the lecture's recursion run backwards from the last step, where
    ``dhs[t] = Vᵀ (y_t − l_t)`` is the read-out's share (the reference engine keeps these inside its
    backward loop, so the recursion is written out here as the lecture writes it)."""
    dcs = np.zeros_like(hs)
    from_next = np.zeros(hs.shape[1])  # Wᵀ diag(1 − c_{t+1}²) ∂L/∂c_{t+1}; nothing after the last step
    for t in reversed(range(len(hs))):
        dcs[t] = from_next + dhs[t]
        from_next = W.T @ ((1.0 - hs[t] ** 2) * dcs[t])
    return dcs


def by_hand(params: dict[str, np.ndarray], xs: np.ndarray, targets: np.ndarray) -> tuple[float, dict]:
    loss, grads = elman_bptt(params, xs, targets)
    cache = elman_forward(params, xs)
    _, _, dhs = readout_loss_and_grads(params, cache.hs, targets)
    grads["c"] = memory_gradients(params["weight_hh"], cache.hs, dhs)
    return loss, grads


def by_autograd(params: dict[str, np.ndarray], xs: np.ndarray, targets: np.ndarray) -> tuple[float, dict]:
    hidden, inputs = params["weight_ih"].shape
    with seeded(0):  # the initial weights are overwritten; this keeps the caller's random generator as it was
        cell = build_cell("elman", inputs, hidden).double()
        readout = nn.Linear(hidden, params["V"].shape[0]).double()
    with torch.no_grad():
        for module, name, key in ((cell, "weight_ih", "weight_ih"), (cell, "weight_hh", "weight_hh"),
                                  (cell, "bias_ih", "bias_ih"), (cell, "bias_hh", "bias_hh"),
                                  (readout, "weight", "V"), (readout, "bias", "a")):
            getattr(module, name).copy_(torch.from_numpy(params[key]))
    state, cs = None, []
    for x in torch.from_numpy(xs):
        c, state = cell(x[None], state)  # [1, H]; the same tensor feeds the read-out and the next step
        c.retain_grad()  # so its .grad is the total ∂L/∂c_t, both paths summed
        cs.append(c)
    loss = F.cross_entropy(readout(torch.cat(cs)), torch.from_numpy(targets), reduction="sum")
    loss.backward()
    grads = {"V": readout.weight.grad, "a": readout.bias.grad, "c": torch.cat([c.grad for c in cs]),
             "weight_hh": cell.weight_hh.grad, "weight_ih": cell.weight_ih.grad,
             "bias_ih": cell.bias_ih.grad, "bias_hh": cell.bias_hh.grad}
    return loss.item(), {name: g.numpy() for name, g in grads.items()}


SHOWN = [  # (the lecture's symbol, engine key, the lecture's formula)
    ("V", "V", "dL/dV = Σ_t (y_t − l_t) c_tᵀ"),
    ("a", "a", "dL/da = Σ_t (y_t − l_t)"),
    ("c_t", "c", "dL/dc_t = Wᵀ diag(1 − c_{t+1}²) dL/dc_{t+1} + Vᵀ (y_t − l_t)   (row t = 1 … T)"),
    ("W", "weight_hh", "dL/dW = Σ_t diag(1 − c_t²) dL/dc_t c_{t-1}ᵀ"),
    ("U", "weight_ih", "dL/dU = Σ_t diag(1 − c_t²) dL/dc_t x_tᵀ"),
    ("b", "bias_ih", "dL/db = Σ_t diag(1 − c_t²) dL/dc_t   (recur's b_ih and b_hh each receive it)"),
]


def run(options: dict, out_dir: Path | None) -> Explanation:
    rng = np.random.default_rng(options["seed"])
    hidden, size = options["hidden"], len(VOCABULARY)
    # float64 weights, their gradients by hand, and the autograd model's weights and gradients
    require_memory(f"bptt with hidden={hidden}", 4 * parameter_count(1, size, hidden, size, bias=True), 8)
    shapes = {"weight_ih": (hidden, size), "weight_hh": (hidden, hidden), "bias_ih": (hidden,),
              "bias_hh": (hidden,), "V": (size, hidden), "a": (size,)}
    params = {name: rng.uniform(-1.0, 1.0, shape) for name, shape in shapes.items()}
    xs = one_hot(np.array([VOCABULARY.index(c) for c in INPUTS]), size)  # [T, D]
    targets = np.array([VOCABULARY.index(c) for c in TARGETS])
    loss_hand, hand = by_hand(params, xs, targets)
    loss_auto, auto = by_autograd(params, xs, targets)
    differences = {}
    lines = [f'The BPTT of {PARK} on "{INPUTS}" → "{TARGETS}": one-hot inputs over [h, e, l, o], hidden {hidden}, '
             f"weights uniform in [-1, 1] (seed {options['seed']}), float64.",
             f"L = -Σ_t l_t · log y_t: by hand {loss_hand:.12f}, autograd {loss_auto:.12f}"]
    for symbol, key, formula in SHOWN:
        difference = float(np.abs(hand[key] - auto[key]).max())
        if key == "bias_ih":  # b_hh gets the same gradient: hold it to the same check
            difference = max(difference, float(np.abs(hand["bias_hh"] - auto["bias_hh"]).max()))
        differences[symbol] = difference
        lines += ["", formula,
                  side_by_side(["recur.reference", *matrix(hand[key], 6)], ["autograd", *matrix(auto[key], 6)]),
                  f"max |difference| = {difference:.2e}"]
    numbers = {"loss": {"reference": loss_hand, "autograd": loss_auto}, "max_abs_difference": differences,
               "reference": {symbol: hand[key].tolist() for symbol, key, _ in SHOWN}}
    return Explanation("\n".join(lines), numbers)


def conclude(numbers: dict) -> str:
    worst = max(numbers["max_abs_difference"].values())
    if worst > 1e-10:  # float64 rounding leaves ~1e-16; anything more is a wrong formula on one side
        return f"By hand and by autograd the gradients differ by up to {worst:.1e}: one side is wrong."
    unused = [VOCABULARY[k] for k in range(len(VOCABULARY)) if k not in {VOCABULARY.index(c) for c in INPUTS}]
    return (f"By hand and by autograd the six gradients agree to {worst:.0e}, float64's rounding: the lecture's "
            f"formulas are the gradients of L. The zero column of dL/dU is the letter {', '.join(unused)}, never an "
            "input, so its column of U gets no gradient.")


TOPIC = Topic("bptt", "the BPTT formulas by recur.reference next to PyTorch autograd", run, conclude, {
    "hidden": whole("3", "hidden units (the lecture's memory of 3 units)"),
    "seed": seed_option("seeds the random weights"),
}, lecture=PARK)
