"""The one-hot input of Saerom Park's lecture (seeds/003): a matrix-vector product that only picks a
column.

    U · x_{t=4} = U · [0, 0, 0, 1, 0]ᵀ = [0.6, 0.9, -0.8]ᵀ = U^(4)

with the lecture's U [3 × 5]. Multiplying by a one-hot x_t is the same as reading column t of U,
which is why recur's language model keeps U as ``nn.Embedding`` (rows = Uᵀ's rows = U's columns)
and looks the column up instead of spending 3 × 5 multiply-adds on zeros.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from recur.explain.layout import matrix, side_by_side
from recur.explain.lectures import PARK
from recur.explain.topic import Explanation, Topic, whole

U = [[0.1, -0.3, 1.2, 0.6, -0.8],  # the lecture's, [3 × 5]: 3 memory units, 5 input symbols
     [-0.2, 0.4, 0.5, 0.9, -0.1],
     [-0.1, 0.2, -0.7, -0.8, 0.3]]


def run(options: dict, out_dir: Path | None) -> Explanation:
    column = options["column"]  # 1-based, as the lecture counts: x_{t=4} is the 4th symbol
    weights = torch.tensor(U, dtype=torch.float64)
    x = torch.zeros(weights.shape[1], dtype=torch.float64)
    x[column - 1] = 1.0
    product = weights @ x
    embedding = nn.Embedding.from_pretrained(weights.T)  # row k of the table = column k of U
    lookup = embedding(torch.tensor(column - 1))
    lines = [
        f"From {PARK}: a one-hot input x_(t={column}) times U [3 x 5].",
        "",
        "As a matrix-vector product:",
        "",
        side_by_side(["U ="], matrix(weights), ["", "·"], matrix(x, 0), ["", "="], matrix(product, 1)),
        "",
        f"As an embedding lookup (nn.Embedding with table Uᵀ, id {column - 1} counting from 0):",
        "",
        f"  embedding({column - 1}) = [{', '.join(f'{v:.1f}' for v in lookup.tolist())}] = column {column} of U",
        "",
        f"the same numbers: max |product - lookup| = {float((product - lookup).abs().max()):.1g}; "
        f"the product spends {weights.numel()} multiply-adds, {weights.numel() - weights.shape[0]} of them on zeros",
    ]
    numbers = {"U": U, "column": column, "x": x.tolist(), "product": product.tolist(), "lookup": lookup.tolist(),
               "multiply_adds": weights.numel(), "on_zeros": weights.numel() - weights.shape[0]}
    return Explanation("\n".join(lines), numbers)


def conclude(numbers: dict) -> str:
    same = "the same numbers" if numbers["product"] == numbers["lookup"] else "the same numbers up to rounding"
    return (f"Multiplying U by a one-hot x only reads column {numbers['column']} of U: the lookup gives {same} "
            f"without the {numbers['on_zeros']} multiply-adds on zeros, which is why recur's language model keeps "
            "U as an embedding table.")


TOPIC = Topic("onehot", "U·x_(t=4) = [0.6, 0.9, -0.8]: a product and an embedding lookup", run, conclude, {
    "column": whole("4", "which one-hot input, 1 to 5 as the lecture counts", at_most=len(U[0])),
}, lecture=PARK)
