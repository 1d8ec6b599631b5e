"""Seed 004's parameter count, for any sizes and for the gated cells.

Seed 004: input 5, hidden 3, output 5, no biases: W 3×3 + U 3×5 + V 5×3 = 9 + 15 + 15 = 39.
In seed 003's names (U input, W recurrent, V read-out, b and a biases), with G gate blocks
(Elman 1; LSTM 4: i, f, g, o; GRU 3: r, z, n), input D, hidden H and output O:

    U [G·H × D]  +  W [G·H × H]  +  b_ih, b_hh [G·H] each  +  V [O × H]  +  a [O]
    total = G·H·(D + H) + O·H + (2·G·H + O if biases)

recur keeps PyTorch's two recurrent biases (the seed's b = b_ih + b_hh), so a cell with biases
has 2·G·H of them. Every count is checked against a recur cell and read-out built with the same
sizes, so this formula cannot drift from the code unnoticed.
"""

from __future__ import annotations

import math
from pathlib import Path

from torch import nn

from recur.cells import build_cell
from recur.explain.layout import table
from recur.explain.topic import Explanation, Option, Topic, boolean, choice, whole
from recur.explain.training import seeded

GATE_BLOCKS = {"elman": (1, "the tanh layer"), "lstm": (4, "i, f, g, o"), "gru": (3, "r, z, n")}


def formula_shapes(cell: str, inputs: int, hidden: int, outputs: int, bias: bool) -> dict[str, tuple[int, ...]]:
    """recur's parameter name -> its shape, from the formula alone."""
    rows = GATE_BLOCKS[cell][0] * hidden
    shapes = {"weight_ih": (rows, inputs), "weight_hh": (rows, hidden), "V": (outputs, hidden)}
    if bias:
        shapes.update({"bias_ih": (rows,), "bias_hh": (rows,), "a": (outputs,)})
    return shapes


def model_shapes(cell: str, inputs: int, hidden: int, outputs: int, bias: bool) -> dict[str, tuple[int, ...]]:
    """The same, read off a real recur cell and read-out (``nn.Linear``'s weight is V, its bias a)."""
    with seeded(0):  # only the shapes matter; this keeps the caller's random generator where it was
        readout = nn.Linear(hidden, outputs, bias=bias)
        built = build_cell(cell, inputs, hidden, bias=bias)
    shapes = {name: tuple(p.shape) for name, p in built.named_parameters()}
    shapes.update({{"weight": "V", "bias": "a"}[name]: tuple(p.shape) for name, p in readout.named_parameters()})
    return shapes


SEED_NAMES = {"weight_ih": "U", "weight_hh": "W", "bias_ih": "b_ih", "bias_hh": "b_hh", "V": "V", "a": "a"}


def run(options: dict, out_dir: Path | None) -> Explanation:
    cell, d, h, o, bias = (options[k] for k in ("cell", "input", "hidden", "output", "bias"))
    gates, gate_names = GATE_BLOCKS[cell]
    expected = formula_shapes(cell, d, h, o, bias)
    actual = model_shapes(cell, d, h, o, bias)
    total = gates * h * (d + h) + o * h + (2 * gates * h + o if bias else 0)
    model_total = sum(math.prod(shape) for shape in actual.values())
    if expected != actual or total != model_total:  # a bug, not a user error: the code moved under the formula
        raise RuntimeError(f"parameter formula ({total}: {expected}) disagrees with recur's {cell} model "
                           f"({model_total}: {actual})")
    breakdown = {SEED_NAMES[name]: math.prod(shape) for name, shape in expected.items()}
    rows = [[SEED_NAMES[name], name if name in ("V", "a") else f"cell.{name}", " x ".join(map(str, shape)),
             math.prod(shape)] for name, shape in expected.items()]
    substituted = f"{gates}·{h}·({d} + {h}) + {o}·{h}" + (f" + (2·{gates}·{h} + {o})" if bias else "")
    lines = [
        f"The {cell} network: input D = {d}, hidden H = {h}, output O = {o}, "
        f"{'with' if bias else 'no'} biases; G = {gates} gate block{'s' if gates > 1 else ''} ({gate_names}).",
        "",
        table(["seed", "recur", "shape", "count"], rows),
        "",
        "total = G·H·(D + H) + O·H" + (" + (2·G·H + O)" if bias else ""),
        f"      = {substituted} = {total}",
        f"checked: recur's own {cell} cell + nn.Linear read-out have {model_total} parameters, shape for shape",
    ]
    numbers = {"cell": cell, "input": d, "hidden": h, "output": o, "bias": bias, "gate_blocks": gates,
               "breakdown": breakdown, "total": total, "model_total": model_total}
    return Explanation("\n".join(lines), numbers)


TOPIC = Topic("params", "seed 004's parameter count (39 for input 5, hidden 3, output 5) for any sizes", run, {
    "input": Option(whole(), "5", "input size D"),
    "hidden": Option(whole(), "3", "hidden size H"),
    "output": Option(whole(), "5", "output size O"),
    "cell": Option(choice(*GATE_BLOCKS), "elman", "elman, lstm or gru"),
    "bias": Option(boolean, "false", "whether the cell and the read-out have biases"),
})
