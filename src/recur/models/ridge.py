"""Ridge regression with a free bias: the closed-form read-out of echo state networks.

    W = (Sᵀ S + λ D)⁻¹ Sᵀ Y,    S = rows [features, 1],  D = diag(1, …, 1, 0)

so every weight is penalised by λ and the bias (the last row of W) is not. Solved in float64.
"""

from __future__ import annotations

import torch

from recur.errors import RecurError


def ridge_fit(features: torch.Tensor, targets: torch.Tensor, ridge: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``(weight [O, F], bias [O])`` minimising ‖features·weightᵀ + bias − targets‖² + ridge‖weight‖²,
    for ``features [N, F]`` and ``targets [N, O]``."""
    if ridge < 0:
        raise RecurError(f"ridge must be non-negative, got {ridge}")
    if features.dim() != 2 or targets.dim() != 2 or len(features) != len(targets):
        raise RecurError(f"ridge regression needs features [N, F] and targets [N, O], "
                         f"got {list(features.shape)} and {list(targets.shape)}")
    S = torch.cat([features.double(), features.new_ones(len(features), 1, dtype=torch.float64)], dim=1)
    penalty = torch.full((S.shape[1],), float(ridge), dtype=torch.float64)
    penalty[-1] = 0.0  # leave the bias free
    solution = torch.linalg.solve(S.T @ S + torch.diag(penalty), S.T @ targets.double())  # [F + 1, O]
    return solution[:-1].T, solution[-1]
