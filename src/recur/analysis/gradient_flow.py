"""How far back a loss reaches: the norm of ∂L_T/∂s_k for every step k (seeds 001 and 003).

Seed 003 writes the gradient reaching step k from the loss at the last step T as a product of
Jacobians,

    ∂L_T/∂c_k = (∂c_{k+1}/∂c_k)ᵀ … (∂c_T/∂c_{T-1})ᵀ ∂L_T/∂c_T,
    ∂c_{t}/∂c_{t-1} = diag(1 − c_t²) W          for the Elman cell c_t = tanh(b + U x_t + W c_{t-1}),

so its norm shrinks or grows roughly like ρ(W)^(T−k): it vanishes when W's spectral radius ρ is
below 1 and can explode above it. An LSTM's memory cell c_t = f_t ⊙ c_{t-1} + i_t ⊙ c~_t has the
additive path ∂c_t/∂c_{t-1} ⊇ diag(f_t), which keeps the gradient alive while the forget gate is
open. ``gradient_flow`` measures ‖∂L_T/∂s_k‖ on a real model and text, for every state field s
(h, and c for cells with a memory cell) and every layer, averaged over windows of the text.

Clipping (seed 003's pseudocode) rescales the whole parameter gradient g by min(1, θ/‖g‖). It
changes the size of every step's contribution, never the shape of the curve, which is why it cures
explosion and cannot cure vanishing: ``clip_factor`` reports that factor for the same loss.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch.nn import functional as F

from recur.analysis.stepping import step_states
from recur.errors import RecurError
from recur.models.language_model import LanguageModel
from recur.state import state_fields
from recur.train.clipping import global_norm


@dataclass(frozen=True)
class GradientFlow:
    """Mean over windows of ‖∂L_T/∂s_k‖, k = 1..T (index k−1), per state field and layer."""
    cell: str
    span: int
    windows: int
    norms: dict[str, list[list[float]]]  # field -> [layers][T]
    loss: float  # mean L_T over the windows, nats
    gradient_norm: float  # ‖g‖, every parameter's gradient of that loss
    clip_factor: float  # min(1, θ/‖g‖) for the threshold asked for

    def relative(self, field: str = "h", layer: int = -1) -> list[float]:
        """The curve divided by its value at k = T: how much of the last step's gradient survives."""
        curve = self.norms[field][layer]
        return [v / curve[-1] if curve[-1] > 0 else 0.0 for v in curve]


def text_windows(ids: torch.Tensor, span: int, windows: int) -> torch.Tensor:
    """``[windows, span + 1]`` token windows spread evenly over ``ids``: each feeds ``span`` tokens
    and is scored on the next one."""
    if span < 1 or windows < 1:
        raise RecurError(f"span and windows must be positive, got {span} and {windows}")
    room = len(ids) - (span + 1)
    if room < 0:
        raise RecurError(f"the text has {len(ids)} tokens; a window of {span} steps needs {span + 1}")
    starts = torch.linspace(0, room, windows).round().long() if windows > 1 else torch.zeros(1, dtype=torch.long)
    return torch.stack([ids[s : s + span + 1] for s in starts.tolist()])


def gradient_flow(model: LanguageModel, windows: torch.Tensor, clip: float = 5.0) -> GradientFlow:
    """Step ``model`` over ``windows [N, T+1]`` one token at a time from a zero state, in evaluation
    mode (no dropout), and differentiate the mean last-step loss L_T with respect to every step's
    state: the very tensors the next step and the layer above read. The windows form one batch;
    rows never mix, so each row's gradient is its own. The work is done in float64 on a copy of
    the model, so that a gradient that vanishes is measured down to 1e-300, not flushed to 0."""
    model = copy.deepcopy(model).double().eval()
    states, top = step_states(model, windows[:, :-1])
    loss = F.cross_entropy(model.head(top), windows[:, -1])
    state = states[-1]
    fields = [f for f, v in state_fields(state[0]).items() if v.is_floating_point()]
    # (step, layer, field) of every state tensor L_T can depend on (a zero start or a clockwork
    # module at rest holds a constant, which no gradient reaches)
    where = [(t, layer, f) for t, step in enumerate(states) for layer, s in enumerate(step) for f in fields
             if getattr(s, f).requires_grad]
    tensors = [getattr(states[t][layer], f) for t, layer, f in where]
    parameters = [p for p in model.parameters() if p.requires_grad]
    grads = torch.autograd.grad(loss, tensors + parameters, allow_unused=True)
    norms = {f: [[0.0] * len(states) for _ in state] for f in fields if any(w[2] == f for w in where)}
    for (t, layer, f), grad in zip(where, grads):
        if grad is not None:  # None: this tensor does not reach L_T (the top memory cell at T)
            # the loss is the mean over N windows, so N·grad is each window's own ∂L_T/∂s_k
            norms[f][layer][t] = float((grad * len(windows)).norm(dim=-1).mean())
    total = float(global_norm([g for g in grads[len(where):] if g is not None]))  # ‖g‖, as the trainer clips it
    factor = min(1.0, clip / total) if clip > 0 and total > 0 else 1.0
    return GradientFlow(cell=model.config.cell, span=len(states), windows=len(windows), norms=norms,
                        loss=float(loss.detach()), gradient_norm=total, clip_factor=factor)


def spectral_radius(matrix: torch.Tensor) -> float:
    """ρ(W) = max |λ_i(W)|."""
    return float(torch.linalg.eigvals(matrix.detach().double()).abs().max())


def with_spectral_radius(model: LanguageModel, radius: float) -> LanguageModel:
    """A copy of a single-matrix model (Elman, IRNN, ESN) whose every recurrent W is rescaled to
    spectral radius ``radius``: W ← W · radius / ρ(W)."""
    if radius <= 0:
        raise RecurError(f"a spectral radius must be positive, got {radius}")
    cells = list(model.rnn.cells)
    if any(cell.gates != 1 or cell.weight_hh.shape[0] != cell.weight_hh.shape[1] for cell in cells):
        raise RecurError(f"rescaling the spectral radius needs one square recurrent matrix per layer (elman, "
                         f"elman-relu, irnn, esn); {model.config.cell!r} has gated blocks")
    scaled = copy.deepcopy(model)
    with torch.no_grad():
        for cell in scaled.rnn.cells:
            cell.weight_hh.mul_(radius / spectral_radius(cell.weight_hh))
    return scaled
