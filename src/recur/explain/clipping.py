"""The gradient clipping pseudocode of Saerom Park's lecture (seeds/003) on an exploding gradient
(Pascanu, Mikolov & Bengio 2013):

    g ← ∂L/∂w
    if ||g|| > θ0:  g ← θ0 / ||g|| · g
    else:           do nothing

The exploding net is an Elman network with ReLU and W = scale · I (recur's ``irnn`` cell): with
scale > 1 every step multiplies the state, and the gradient, by up to that much. Clipping is
recur.train.clipping's ``clip_by_global_norm``, the one the trainer calls: it rescales the whole
gradient, so its norm becomes θ0 and its direction is kept (cosine 1 with the unclipped one).
The same net with scale < 1 shows the else branch.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from recur.errors import RecurError
from recur.explain.layout import table
from recur.explain.lectures import PARK
from recur.explain.topic import Explanation, Option, Topic, seed_option, whole
from recur.explain.training import seeded
from recur.recurrent import Recurrent
from recur.train.clipping import clip_by_global_norm, global_norm

INPUTS, HIDDEN, CLASSES = 4, 8, 4
CALM_SCALE = 0.5


def gradients(scale: float, steps: int, seed: int) -> dict[str, torch.Tensor]:
    """∂L/∂w of a next-class cross-entropy on a random sequence, float64, by parameter name."""
    with seeded(seed):
        rnn = Recurrent("irnn", INPUTS, HIDDEN, identity_scale=scale).double()
        readout = nn.Linear(HIDDEN, CLASSES).double()
        x = torch.randn(1, steps, INPUTS, dtype=torch.float64)  # [B=1, T, D]
        targets = torch.randint(CLASSES, (steps,))
    out, _ = rnn(x)
    F.cross_entropy(readout(out[0]), targets).backward()
    named = [*rnn.named_parameters(), *(("readout." + n, p) for n, p in readout.named_parameters())]
    return {name: p.grad for name, p in named}


def clip(scale: float, steps: int, seed: int, threshold: float) -> dict:
    grads = gradients(scale, steps, seed)
    before = {name: g.clone() for name, g in grads.items()}
    norm = float(clip_by_global_norm(list(grads.values()), threshold))  # rescales grads in place
    after = float(global_norm(list(grads.values())))
    flat_before = torch.cat([g.flatten() for g in before.values()])
    flat_after = torch.cat([g.flatten() for g in grads.values()])
    cosine = float(flat_before @ flat_after / (flat_before.norm() * flat_after.norm()))
    return {"scale": scale, "norm_before": norm, "norm_after": after, "clipped": norm > threshold,
            "factor": threshold / norm if norm > threshold else 1.0, "cosine": cosine,
            "parameters": {name: [float(before[name].norm()), float(grads[name].norm())] for name in grads}}


def run(options: dict, out_dir: Path | None) -> Explanation:
    threshold, steps, seed = options["threshold"], options["steps"], options["seed"]
    scale = options["scale"]
    cases = {"exploding": clip(scale, steps, seed, threshold), "calm": clip(CALM_SCALE, steps, seed, threshold)}
    if not math.isfinite(cases["exploding"]["norm_before"]):  # the state itself overflowed: nothing to show
        raise RecurError(f"option scale={scale:g} over steps={steps} overflows float64 (the gradient grows like "
                         f"scale^steps = 10^{steps * math.log10(scale):.0f}): choose a smaller scale or fewer steps")
    lines = [f"The clipping of {PARK}, θ0 = {threshold:g}, on an Elman ReLU net (hidden {HIDDEN}) with W = scale · I "
             f"over {steps} steps, float64."]
    for name, r in cases.items():
        branch = (f"||g|| > θ0: g ← θ0/||g|| · g, factor {r['factor']:.3e}" if r["clipped"]
                  else "||g|| <= θ0: do nothing")
        lines += ["", f"{name} (scale {r['scale']:g}): {branch}",
                  f"  ||g|| before {r['norm_before']:.6g}, after {r['norm_after']:.6g}; "
                  f"cosine(before, after) = {r['cosine']:.15f}",
                  table(["parameter", "||g|| before", "||g|| after"],
                        [[p, f"{b:.6g}", f"{a:.6g}"] for p, (b, a) in r["parameters"].items()])]
    return Explanation("\n".join(lines), {"threshold": threshold, "steps": steps, **cases})


def conclude(numbers: dict) -> str:
    threshold, big, calm = numbers["threshold"], numbers["exploding"], numbers["calm"]
    if big["clipped"]:
        first = (f"Clipping takes ||g|| from {big['norm_before']:.3g} to θ0 = {threshold:g} with one factor for "
                 f"every parameter, so the direction is kept (cosine {big['cosine']:.6f})")
    else:
        first = (f"At scale {big['scale']:g}, ||g|| = {big['norm_before']:.3g} is below θ0 = {threshold:g}, so "
                 "nothing is clipped")
    calm_norm = f"{calm['norm_before']:.3g}"
    second = (f"a gradient below θ0, like the calm net's {calm_norm}, is left alone" if not calm["clipped"]
              else f"at this θ0 even the calm net's {calm_norm} is clipped, the same way")
    return f"{first}; {second}."


TOPIC = Topic("clipping", "the clipping pseudocode on an exploding gradient: norm to θ0, direction kept",
              run, conclude, {
    "scale": Option(float, "1.5", "W = scale · I; above 1 the gradient explodes", {"above": 0}),
    "steps": whole("40", "sequence length", at_most=10_000),
    "threshold": Option(float, "5.0", "θ0, the trainer's default --clip", {"above": 0}),
    "seed": seed_option("seeds the weights and the sequence"),
}, lecture=PARK)
