"""The recurrent encoder every model is built around, and its one config.

``EncoderConfig`` holds what the language model, the classifier and the forecaster share: the cell
(``recur.cells.CELLS``), its size and depth, dropout between layers, variational recurrent dropout
and the cell's own options. Each model's config extends it (adding its vocabulary, read-out,
horizon, ...) and may change a default; ``build_encoder`` makes the ``Recurrent`` layer from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from recur.cells import CELLS
from recur.errors import RecurError, require_positive
from recur.recurrent import Recurrent


@dataclass(frozen=True, kw_only=True)
class EncoderConfig:
    cell: str = field(default="lstm", metadata={"choices": tuple(CELLS), "help": "the recurrent cell"})
    hidden: int = field(default=256, metadata={"help": "units per layer (H)"})
    layers: int = field(default=2, metadata={"help": "stacked recurrent layers"})
    dropout: float = field(default=0.0, metadata={"help": "dropout between layers and on the read-out's input"})
    recurrent_dropout: float = field(default=0.0, metadata={
        "help": "variational dropout on each cell's input and state, one mask per sequence (Gal & Ghahramani)"})
    cell_options: dict = field(default_factory=dict, metadata={
        "help": "a cell's own setting, NAME=VALUE, repeatable; VALUE is read as JSON when it parses, e.g. "
                "periods=[1,2,4,8] (clockwork), spectral_radius=0.95 (esn)"})

    def __post_init__(self):
        if self.cell not in CELLS:
            raise RecurError(f"unknown cell {self.cell!r}; choose one of: {', '.join(CELLS)}")
        require_positive("hidden", self.hidden)
        require_positive("layers", self.layers)
        for name in ("dropout", "recurrent_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise RecurError(f"{name.replace('_', ' ')} must be in [0, 1), got {getattr(self, name)}")

    def build_encoder(self, input_size: int, bidirectional: bool = False) -> Recurrent:
        """``Recurrent(cell, input_size, hidden, layers, dropout, ...)`` as this config says."""
        return Recurrent(self.cell, input_size, self.hidden, self.layers, self.dropout, bidirectional=bidirectional,
                         recurrent_dropout=self.recurrent_dropout, **self.cell_options)
