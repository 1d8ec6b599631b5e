"""The parameter count of the video lecture "Recurrent Neural Networks" (seeds/004), for any sizes
and for the gated cells.

The lecture: input 5, hidden 3, output 5, no biases: W 3×3 + U 3×5 + V 5×3 = 9 + 15 + 15 = 39.
In the names of Saerom Park's lecture (seeds/003: U input, W recurrent, V read-out, b and a biases),
with G gate blocks (Elman 1; LSTM 4: i, f, g, o; GRU 3: r, z, n), input D, hidden H and output O:

    U [G·H × D]  +  W [G·H × H]  +  b_ih, b_hh [G·H] each  +  V [O × H]  +  a [O]
    total = G·H·(D + H) + O·H + (2·G·H + O if biases)

recur keeps PyTorch's two recurrent biases (the lecture's b = b_ih + b_hh), so a cell with biases
has 2·G·H of them. Every count is checked against a recur cell and read-out built with the same
sizes on PyTorch's ``meta`` device (shapes without memory), so this formula cannot drift from the
code unnoticed, and a size too big to allocate is refused before anything is built.
"""
from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import nn

from recur.cells import build_cell
from recur.explain.layout import table
from recur.explain.lectures import PARK, VIDEO
from recur.explain.topic import Explanation, Option, Topic, require_memory, whole

GATE_BLOCKS = {"elman": (1, "the tanh layer"), "lstm": (4, "i, f, g, o"), "gru": (3, "r, z, n")}
GATE_COUNT = {"gru-seed": 3} | {cell: gates for cell, (gates, _) in GATE_BLOCKS.items()}


def parameter_count(gates: int, inputs: int, hidden: int, outputs: int, bias: bool) -> int:
    """G·H·(D + H) + O·H, plus 2·G·H + O with biases: a recurrent layer and its read-out."""
    return gates * hidden * (inputs + hidden) + outputs * hidden + (2 * gates * hidden + outputs if bias else 0)


def char_model_count(cell: str, vocabulary: int, embedding: int, hidden: int) -> int:
    """A one-layer character model with biases: the embedding table, the cell, the read-out."""
    return vocabulary * embedding + parameter_count(GATE_COUNT[cell], embedding, hidden, vocabulary, bias=True)


def formula_shapes(cell: str, inputs: int, hidden: int, outputs: int, bias: bool) -> dict[str, tuple[int, ...]]:
    """recur's parameter name -> its shape, from the formula alone."""
    rows = GATE_BLOCKS[cell][0] * hidden
    shapes = {"weight_ih": (rows, inputs), "weight_hh": (rows, hidden), "V": (outputs, hidden)}
    if bias:
        shapes.update({"bias_ih": (rows,), "bias_hh": (rows,), "a": (outputs,)})
    return shapes


def model_shapes(cell: str, inputs: int, hidden: int, outputs: int, bias: bool) -> dict[str, tuple[int, ...]]:
    """The same, read off a real recur cell and read-out (``nn.Linear``'s weight is V, its bias a),
    built on the meta device: shapes only, no memory and no random numbers drawn."""
    with torch.device("meta"):
        readout = nn.Linear(hidden, outputs, bias=bias)
        built = build_cell(cell, inputs, hidden, bias=bias)
    shapes = {name: tuple(p.shape) for name, p in built.named_parameters()}
    shapes.update({{"weight": "V", "bias": "a"}[name]: tuple(p.shape) for name, p in readout.named_parameters()})
    return shapes


LECTURE_NAMES = {"weight_ih": "U", "weight_hh": "W", "bias_ih": "b_ih", "bias_hh": "b_hh", "V": "V", "a": "a"}


def run(options: dict, out_dir: Path | None) -> Explanation:
    cell, d, h, o, bias = (options[k] for k in ("cell", "input", "hidden", "output", "bias"))
    gates, gate_names = GATE_BLOCKS[cell]
    total = parameter_count(gates, d, h, o, bias)
    require_memory(f"the {cell} network with input={d}, hidden={h}, output={o}", total, 4)
    expected = formula_shapes(cell, d, h, o, bias)
    actual = model_shapes(cell, d, h, o, bias)
    model_total = sum(math.prod(shape) for shape in actual.values())
    if expected != actual or total != model_total:  # a bug, not a user error: the code moved under the formula
        raise RuntimeError(f"parameter formula ({total}: {expected}) disagrees with recur's {cell} model "
                           f"({model_total}: {actual})")
    breakdown = {LECTURE_NAMES[name]: math.prod(shape) for name, shape in expected.items()}
    rows = [[LECTURE_NAMES[name], name if name in ("V", "a") else f"cell.{name}", " x ".join(map(str, shape)),
             math.prod(shape)] for name, shape in expected.items()]
    substituted = f"{gates}·{h}·({d} + {h}) + {o}·{h}" + (f" + (2·{gates}·{h} + {o})" if bias else "")
    lines = [
        f"The parameter count of {VIDEO},",
        f"in the names of {PARK}: U input, W recurrent, V read-out.",
        f"The {cell} network: input D = {d}, hidden H = {h}, output O = {o}, "
        f"{'with' if bias else 'no'} biases; G = {gates} gate block{'s' if gates > 1 else ''} ({gate_names}).",
        "",
        table(["lecture", "recur", "shape", "count"], rows),
        "",
        "total = G·H·(D + H) + O·H" + (" + (2·G·H + O)" if bias else ""),
        f"      = {substituted} = {total}",
        f"checked: recur's own {cell} cell + nn.Linear read-out have {model_total} parameters, shape for shape",
    ]
    numbers = {"cell": cell, "input": d, "hidden": h, "output": o, "bias": bias, "gate_blocks": gates,
               "breakdown": breakdown, "total": total, "model_total": model_total}
    return Explanation("\n".join(lines), numbers)


def conclude(numbers: dict) -> str:
    return (f"Every shape of the formula matches recur's own {numbers['cell']} cell and nn.Linear read-out, so "
            f"the {numbers['total']} parameters are the model's: the count grows as G·H² with the hidden size "
            f"H and only linearly with the input and output sizes.")


TOPIC = Topic("params", "the parameter count (39 for input 5, hidden 3, output 5) for any sizes", run, conclude, {
    "input": whole("5", "input size D"),
    "hidden": whole("3", "hidden size H"),
    "output": whole("5", "output size O"),
    "cell": Option(str, "elman", "elman, lstm or gru", choices=tuple(GATE_BLOCKS)),
    "bias": Option(bool, "false", "whether the cell and the read-out have biases"),
}, lecture=VIDEO)
