"""Generation: sampling (temperature, top-k, top-p, seeded), the step engine, beam search, export."""

from recur.generate.engine import StepEngine
from recur.generate.kernels import set_threads
from recur.generate.sampling import filter_logits, sample_next
from recur.generate.text import generate_ids, stream_ids

__all__ = ["StepEngine", "filter_logits", "generate_ids", "sample_next", "set_threads", "stream_ids"]
