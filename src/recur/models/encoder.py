"""The recurrent encoder every model is built around, and its one config.

``EncoderConfig`` holds what the language model, the classifier and the forecaster share: the cell
(``recur.cells.CELLS``), its size and depth, dropout between layers, variational recurrent dropout
and the cell's own options. Each model's config extends it (adding its vocabulary, read-out,
horizon, ...) and may change a default; ``build_encoder`` makes the ``Recurrent`` layer from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from recur.cells import CELLS, checked_cell_options
from recur.checks import check_config
from recur.errors import RecurError
from recur.models.memory import build_within_memory
from recur.recurrent import Recurrent

# deeper than any stack trained anywhere; past it, building 10^18 layers one by one (even on the meta
# device, to measure them) would run for ever before the memory check could refuse them
MOST_LAYERS = 1000


@dataclass(frozen=True, kw_only=True)
class EncoderConfig:
    cell: str = field(default="lstm", metadata={"choices": tuple(CELLS), "help": "the recurrent cell"})
    hidden: int = field(default=256, metadata={"help": "units per layer (H)", "at_least": 1})
    layers: int = field(default=2, metadata={"help": "stacked recurrent layers", "at_least": 1})
    dropout: float = field(default=0.0, metadata={"help": "dropout between layers and on the read-out's input",
                                                  "at_least": 0, "below": 1})
    recurrent_dropout: float = field(default=0.0, metadata={
        "help": "variational dropout on each cell's input and state, one mask per sequence (Gal & Ghahramani)",
        "at_least": 0, "below": 1})
    cell_options: dict = field(default_factory=dict, metadata={
        "help": "a cell's own setting, NAME=VALUE, repeatable; VALUE is read as JSON when it parses, e.g. "
                "periods=[1,2,4,8] (clockwork), spectral_radius=0.95 (esn)"})

    def __post_init__(self):
        check_config(self)
        if self.layers > MOST_LAYERS:
            raise RecurError(f"layers must be at most {MOST_LAYERS:,}, got {self.layers}")
        object.__setattr__(self, "cell_options", checked_cell_options(self.cell, self.cell_options))

    def build_encoder(self, input_size: int, bidirectional: bool = False) -> Recurrent:
        """``Recurrent(cell, input_size, hidden, layers, dropout, ...)`` as this config says, refused
        in one line if training it would not fit in the machine's memory."""
        return build_within_memory(
            lambda: Recurrent(self.cell, input_size, self.hidden, self.layers, self.dropout,
                              bidirectional=bidirectional, recurrent_dropout=self.recurrent_dropout,
                              **self.cell_options),
            f"a {self.layers}-layer {self.cell} of hidden size {self.hidden}")
