"""Sampling: temperature, top-k, top-p, priming, greedy, seeded."""

from recur.generate.sampling import filter_logits, sample_next
from recur.generate.text import generate_ids

__all__ = ["filter_logits", "generate_ids", "sample_next"]
