"""The unigram model, the trivial yardstick of every language model: each token drawn on its own
with its training frequency, with add-k smoothing over the tokens seen in either text,

    p(w) = (count_train(w) + k) / (N_train + k·|tokens of train ∪ held-out|)
    loss = −(1/N) Σ_t log p(w_t)     nats per token of the held-out text

k = 0 (no smoothing) needs every held-out token to occur in training (Penn Treebank's words do).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence

from recur.errors import RecurError


def unigram_loss(train: Sequence[Hashable], held_out: Sequence[Hashable], smoothing: float = 0.0) -> float:
    """Nats per token of ``held_out`` under the unigram model of ``train`` (characters, words or ids)."""
    counts = Counter(train)
    alphabet = set(counts) | set(held_out)
    total = len(train) + smoothing * len(alphabet)
    if smoothing == 0 and (unseen := [t for t in set(held_out) if t not in counts]):
        raise RecurError(f"{len(unseen)} held-out tokens never occur in training; give a smoothing k > 0")
    return -sum(math.log((counts[t] + smoothing) / total) for t in held_out) / len(held_out)
