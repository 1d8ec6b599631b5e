"""Sampling: temperature, top-k, top-p, priming, greedy, seeded."""

from recur.generate.sampling import filter_logits, sample_next
from recur.generate.engine import StepEngine
from recur.generate.text import generate_ids, stream_ids

__all__ = ["StepEngine", "filter_logits", "generate_ids", "sample_next", "stream_ids"]
