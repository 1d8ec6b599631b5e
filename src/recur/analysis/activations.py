"""Every unit's activation over a text, and the units that track simple features of it
(Karpathy, Johnson & Fei-Fei 2015).

A unit is one coordinate of one state field of one layer, named like ``layer2.c[17]`` (the LSTM's
memory cell) or ``layer1.h[3]``. Its activation a_u(t) is read after the model has read character
t. For each feature f of ``recur.analysis.text_features`` the Pearson correlation

    r(u, f) = Σ_t (a_u(t) − ā_u)(f(t) − f̄) / (‖a_u − ā_u‖ ‖f − f̄‖)

ranks the units; the ones with the largest |r| are the candidate "quote cell", "line-length cell"
and so on. A feature that is constant over the text (no quotes in it) has no correlation and is
left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from recur.analysis.stepping import step_states
from recur.analysis.text_features import FEATURES
from recur.models.language_model import LanguageModel
from recur.modes import evaluation_mode
from recur.state import state_fields


@dataclass(frozen=True)
class UnitActivations:
    units: list[str]  # U names
    values: torch.Tensor  # [T, U]


@dataclass(frozen=True)
class Correlation:
    unit: str
    r: float


@torch.no_grad()
def record_units(model: LanguageModel, ids: torch.Tensor) -> UnitActivations:
    """Read ``ids [T]`` from a zero state in evaluation mode; every floating state field of every
    layer, per step."""
    with evaluation_mode(model):
        states, _ = step_states(model, ids[None])
    first = states[0]
    fields = [f for f, v in state_fields(first[0]).items() if v.is_floating_point()]
    units = [f"layer{layer + 1}.{f}[{j}]" for layer, s in enumerate(first) for f in fields
             for j in range(getattr(s, f).shape[-1])]
    rows = [torch.cat([getattr(s, f)[0] for s in step for f in fields]) for step in states]  # each [U]
    return UnitActivations(units, torch.stack(rows).float())


def correlations(values: torch.Tensor, feature: list[float]) -> torch.Tensor:
    """``r(u, f)`` for every column u of ``values [T, U]``; 0 for a unit that never moves."""
    a = values.double() - values.double().mean(dim=0)
    f = torch.tensor(feature, dtype=torch.float64)
    f = f - f.mean()
    denominator = a.norm(dim=0) * f.norm()
    return torch.where(denominator > 0, (f @ a) / denominator.clamp_min(1e-300), torch.zeros_like(denominator))


def top_units(activations: UnitActivations, text: str, count: int = 5) -> dict[str, list[Correlation]]:
    """For every feature that varies over ``text``, the ``count`` units with the largest |r|."""
    found = {}
    for name, feature_of in FEATURES.items():
        feature = feature_of(text)
        if len(set(feature)) < 2:
            continue  # constant here (e.g. no comment in Shakespeare): nothing to correlate with
        r = correlations(activations.values, feature)
        order = r.abs().argsort(descending=True)[:count].tolist()
        found[name] = [Correlation(activations.units[u], float(r[u])) for u in order]
    return found
