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
from recur.checks import check_options
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


def build_cell(name: str, input_size: int, hidden_size: int, lower_memory: bool = False, **options) -> Cell:
    """Build a registered cell; an unknown name or option, or an option of the wrong type, is refused
    in one line. ``lower_memory`` is set by ``Recurrent`` for the upper layers of depth-gated stacks."""
    options = checked_cell_options(name, options)
    return CELLS[name](input_size, hidden_size, **options, **({"lower_memory": True} if lower_memory else {}))


def _constructor(name: str):
    """The class of a registered cell and the options its registry entry fixes (``elman-relu``'s
    nonlinearity)."""
    try:
        factory = CELLS[name]
    except KeyError:
        raise RecurError(f"unknown cell {name!r}; choose one of: {', '.join(CELLS)}") from None
    if isinstance(factory, partial):
        return factory.func, set(factory.keywords)
    return factory, set()


def cell_options(name: str) -> list[str]:
    """The keyword options a registered cell takes beyond its sizes (e.g. clockwork's ``periods``)."""
    cls, fixed = _constructor(name)
    skip = {"self", "input_size", "hidden_size", "lower_memory", *fixed}
    return [p for p in inspect.signature(cls.__init__).parameters if p not in skip]


def checked_cell_options(name: str, options: dict) -> dict:
    """``options`` (``--cell-option NAME=VALUE``) checked against the cell's constructor: known names,
    values of the annotated type (``bias`` true or false, ``density`` a finite number, ...). Ranges
    are the cell's own to check when it is built."""
    cls, fixed = _constructor(name)
    return check_options(f"cell {name!r}", dict(options), cls.__init__,
                         skip={"self", "input_size", "hidden_size", "lower_memory", *fixed})


__all__ = [
    "CELLS", "Cell", "ClockworkCell", "ClockworkState", "DepthGatedLSTMCell", "EchoStateCell", "ElmanCell",
    "ElmanState", "GRUCell", "HiddenProjection", "IRNNCell", "LSTMCell", "LSTMState", "LayerNormLSTMCell",
    "SeedGRUCell", "build_cell", "cell_options", "checked_cell_options",
]
