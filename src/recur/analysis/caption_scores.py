"""How well captions match their references, and whether the attention looked at the right place.

    exact               % of captions equal to the reference, word for word
    bleu                sacreBLEU's corpus BLEU-4 (13a tokenisation; its signature says so)
    token_accuracy      % of word positions right: Σ matches at the same position / Σ max(reference
                        length, caption length), so a missing or an extra word both count as wrong
    attention_accuracy  % of digit words whose attention arg-max is a grid cell lying wholly inside the
                        columns of the digit that word names (``spell`` captions, teacher-forced on the
                        reference: each word's look, not a decoding's)
"""

from __future__ import annotations

import torch

from recur.analysis.translation_scores import _sacrebleu
from recur.errors import RecurError


def caption_scores(captions: list[str], references: list[str]) -> tuple[dict[str, float], str]:
    """``({"exact", "bleu", "token_accuracy"}, BLEU's signature)``."""
    if len(captions) != len(references) or not references:
        raise RecurError(f"{len(captions)} captions for {len(references)} references")
    matched = total = 0
    for caption, reference in zip(captions, references):
        c, r = caption.split(), reference.split()
        matched += sum(a == b for a, b in zip(c, r))
        total += max(len(c), len(r))
    bleu = _sacrebleu().BLEU()
    score = float(bleu.corpus_score(captions, [references]).score)
    return ({"exact": round(100 * sum(c == r for c, r in zip(captions, references)) / len(references), 4),
             "bleu": round(score, 4), "token_accuracy": round(100 * matched / max(total, 1), 4)},
            str(bleu.get_signature()))


def attention_hits(weights: torch.Tensor, columns: list[tuple[int, int]], grid_columns: int, cell: int) -> list[bool]:
    """For the first ``len(columns)`` rows of ``weights [words, cells]`` (cells row by row, ``grid_columns``
    a row, each ``cell`` pixels wide): whether row k's arg-max cell lies inside ``columns[k]``."""
    hits = []
    for k, (start, end) in enumerate(columns):
        column = int(weights[k].argmax()) % grid_columns
        hits.append(start <= column * cell and (column + 1) * cell <= end)
    return hits
