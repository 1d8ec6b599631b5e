"""Reading a CTC output (Graves et al. 2006) as a label string, and scoring strings: pure functions
over a ``[T, C]`` table of per-frame log-probabilities (class ``blank`` is CTC's blank).

B, the collapse: merge runs of a label, then drop blanks (``a a - a b`` → ``a a b``).

Greedy (best path): ``B(argmax_k y_t,k for each t)``; the most likely path, not always the most
likely string, since a string's probability is a sum over its many paths.

Prefix beam search (Graves 2006 §3.2's prefix search, in the form of Hannun et al. 2014): keep the
``beam`` most probable prefixes ℓ, each with two probabilities at frame t,

    p_b(ℓ, t)    of the paths through t that collapse to ℓ and end in a blank
    p_nb(ℓ, t)   ... and end in ℓ's last label,        p(ℓ, t) = p_b + p_nb

and extend each by frame t + 1 (y_k = p(k | t + 1)):

    blank:                      p_b(ℓ)      += p(ℓ, t) · y_blank
    ℓ's last label c again:     p_nb(ℓ)     += p_nb(ℓ, t) · y_c        (merged into ℓ)
                                p_nb(ℓ + c) += p_b(ℓ, t) · y_c         (a blank came between)
    any other label k:          p_nb(ℓ + k) += p(ℓ, t) · y_k

then keep the ``beam`` prefixes of highest p(ℓ, t + 1); the answer is the best p(ℓ, T). All in log
space. With ``beam`` large enough it finds the most probable string exactly.

The digit (label) error rate: Σ edit distance(reference, hypothesis) / Σ |reference| over strings.
"""

from __future__ import annotations

import numpy as np

NEG_INF = -np.inf


def collapse(path, blank: int = 0) -> list[int]:
    """B: runs merged, blanks dropped."""
    out, previous = [], None
    for k in path:
        if k != previous and k != blank:
            out.append(int(k))
        previous = k
    return out


def greedy_decode(log_probs: np.ndarray, blank: int = 0) -> list[int]:
    """B of the best path of ``log_probs [T, C]``."""
    return collapse(np.asarray(log_probs).argmax(axis=-1).tolist(), blank)


def prefix_beam_search(log_probs: np.ndarray, beam: int = 8, blank: int = 0) -> list[int]:
    """The most probable label string of ``log_probs [T, C]`` that the beam finds (module docstring)."""
    log_probs = np.asarray(log_probs, dtype=np.float64)
    beams: dict[tuple, tuple[float, float]] = {(): (0.0, NEG_INF)}  # prefix -> (log p_b, log p_nb)
    for y in log_probs:
        grown: dict[tuple, list[float]] = {}

        def add(prefix, which, value):
            entry = grown.setdefault(prefix, [NEG_INF, NEG_INF])
            entry[which] = np.logaddexp(entry[which], value)

        for prefix, (p_b, p_nb) in beams.items():
            total = np.logaddexp(p_b, p_nb)
            add(prefix, 0, total + y[blank])
            for k in range(len(y)):
                if k == blank:
                    continue
                if prefix and prefix[-1] == k:
                    add(prefix, 1, p_nb + y[k])
                    add(prefix + (k,), 1, p_b + y[k])
                else:
                    add(prefix + (k,), 1, total + y[k])
        ranked = sorted(grown.items(), key=lambda item: -np.logaddexp(*item[1]))[:beam]
        beams = {prefix: (p_b, p_nb) for prefix, (p_b, p_nb) in ranked}
    return list(max(beams.items(), key=lambda item: np.logaddexp(*item[1]))[0])


def edit_distance(reference, hypothesis) -> int:
    """Levenshtein distance: the fewest substitutions, insertions and deletions."""
    row = list(range(len(hypothesis) + 1))
    for i, r in enumerate(reference, 1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hypothesis, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[-1]


def error_rate(references, hypotheses) -> float:
    """Σ edit distance / Σ reference length, over pairs of strings."""
    length = sum(len(r) for r in references)
    if length == 0:
        raise ValueError("the references hold no labels")
    return sum(edit_distance(r, h) for r, h in zip(references, hypotheses, strict=True)) / length
