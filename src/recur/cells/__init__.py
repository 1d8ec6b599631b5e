"""Recurrent cells, one small file each, and the registry that builds them by name."""

from __future__ import annotations

import inspect
from functools import partial

from recur.cells.base import Cell, HiddenProjection
from recur.cells.clockwork import ClockworkCell, ClockworkState
from recur.cells.depth_gated import DepthGatedLSTMCell
from recur.cells.elman import ElmanCell, ElmanState, IRNNCell
from recur.cells.esn import EchoStateCell
from recur.cells.gru import GRUCell
from recur.cells.gru_seed import SeedGRUCell
from recur.cells.layernorm_lstm import LayerNormLSTMCell
from recur.cells.lstm import LSTMCell, LSTMState
from recur.errors import RecurError

CELLS = {
    "elman": ElmanCell,
    "elman-relu": partial(ElmanCell, nonlinearity="relu"),
    "irnn": IRNNCell,
    "lstm": LSTMCell,
    "gru": GRUCell,
    "gru-seed": SeedGRUCell,
    "clockwork": ClockworkCell,
    "depth-gated": DepthGatedLSTMCell,
    "layernorm-lstm": LayerNormLSTMCell,
    "esn": EchoStateCell,
}


def build_cell(name: str, input_size: int, hidden_size: int, **options) -> Cell:
    """Build a registered cell; an unknown name or option is refused with the valid ones."""
    try:
        factory = CELLS[name]
    except KeyError:
        raise RecurError(f"unknown cell {name!r}; choose one of: {', '.join(CELLS)}") from None
    accepted = cell_options(name)
    unknown = sorted(set(options) - set(accepted) - {"lower_memory"})
    if unknown:
        raise RecurError(f"cell {name!r} has no option {', '.join(unknown)}; "
                         f"its options: {', '.join(accepted) or 'none'}")
    return factory(input_size, hidden_size, **options)


def cell_options(name: str) -> list[str]:
    """The keyword options a registered cell takes beyond its sizes (e.g. clockwork's ``periods``)."""
    factory = CELLS[name]
    fixed = factory.keywords if isinstance(factory, partial) else {}
    cls = factory.func if isinstance(factory, partial) else factory
    skip = {"self", "input_size", "hidden_size", "lower_memory", *fixed}
    return [p for p in inspect.signature(cls.__init__).parameters if p not in skip]


__all__ = [
    "CELLS", "Cell", "ClockworkCell", "ClockworkState", "DepthGatedLSTMCell", "EchoStateCell", "ElmanCell",
    "ElmanState", "GRUCell", "HiddenProjection", "IRNNCell", "LSTMCell", "LSTMState", "LayerNormLSTMCell",
    "SeedGRUCell", "build_cell", "cell_options",
]
