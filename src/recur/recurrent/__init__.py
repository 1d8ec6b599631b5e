"""Sequence layer: any cell, any depth, both directions, padded batches, carried state."""

from recur.recurrent.layer import EXECUTORS, Recurrent

__all__ = ["EXECUTORS", "Recurrent"]
