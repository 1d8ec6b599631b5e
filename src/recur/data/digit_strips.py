"""Strips of real handwritten digits and their captions, for the captioning task.

The digits: the 1,797 8×8 images that scikit-learn ships as ``sklearn.datasets.load_digits``: the
test set of UCI's "Optical Recognition of Handwritten Digits" (Alpaydin & Kaynak 1998; CC BY 4.0),
written by 13 of its 43 writers on NIST forms, each pixel the count of ink in a 4 × 4 block of the
32 × 32 bitmap (0..16, read here as 0..1). They are split **by image** first (a seeded shuffle:
70 % train, 15 % val, 15 % test), so no test image is ever seen in training; the set records no
writer, so one writer's digits fall on both sides of the split.

A strip is 12 × 64 pixels (ink 1, paper 0): 1 to 5 digits of one split drawn at random, left to
right with a gap of 1 to 3 blank columns between them, the run starting at a random column, each
digit at a random height (0 to 4 pixels down). Captions, by ``style``:

    spell    the digits left to right                 "three one four"
    count    how many of each, most first, then by
             value ("a"/"an" for one)                 "two sevens and a four"
    largest  the largest digit                        "the largest digit is seven"

A set is made from a seed, so the same seed gives the same strips; training draws a new batch for
each step from the step's own seed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from recur.errors import RecurError

HEIGHT, WIDTH, DIGIT = 12, 64, 8  # strip and digit size in pixels
MAX_DIGITS = 5
GAPS = (1, 3)  # blank columns between two digits, least and most
SPLIT_FRACTIONS = {"train": 0.70, "val": 0.15, "test": 0.15}
SPLIT_SEED = 0
STYLES = ("spell", "count", "largest")
NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
PLURALS = ("zeros", "ones", "twos", "threes", "fours", "fives", "sixes", "sevens", "eights", "nines")
COUNTS = {2: "two", 3: "three", 4: "four", 5: "five"}
# every word a caption of any style can hold: the decoder's vocabulary (after the specials)
WORDS = tuple(sorted({*NAMES, *PLURALS, *COUNTS.values(), "a", "an", "and", "the", "largest", "digit", "is"}))


def digit_images() -> tuple[np.ndarray, np.ndarray]:
    """``(images [1797, 8, 8] float32 in [0, 1], labels [1797])`` from scikit-learn's copy."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise RecurError("the digit images come with scikit-learn: pip install scikit-learn") from None
    digits = load_digits()
    return (digits.images / 16.0).astype(np.float32), digits.target.astype(np.int64)


def split_indices(count: int, seed: int = SPLIT_SEED) -> dict[str, np.ndarray]:
    """The image indices of each split: a seeded shuffle cut 70 / 15 / 15."""
    order = np.random.default_rng(seed).permutation(count)
    train_end = round(count * SPLIT_FRACTIONS["train"])
    val_end = train_end + round(count * SPLIT_FRACTIONS["val"])
    return {"train": np.sort(order[:train_end]), "val": np.sort(order[train_end:val_end]),
            "test": np.sort(order[val_end:])}


def caption(digits: list[int], style: str) -> str:
    """The caption of a strip holding ``digits`` (left to right) in ``style``."""
    if style == "spell":
        return " ".join(NAMES[d] for d in digits)
    if style == "count":
        groups = sorted(Counter(digits).items(), key=lambda item: (-item[1], item[0]))
        return " and ".join(f"{'an' if d == 8 else 'a'} {NAMES[d]}" if n == 1 else f"{COUNTS[n]} {PLURALS[d]}"
                            for d, n in groups)
    if style == "largest":
        return f"the largest digit is {NAMES[max(digits)]}"
    raise RecurError(f"unknown caption style {style!r}; known: {', '.join(STYLES)}")


@dataclass
class Strips:
    """Composed strips: ``images [N, 12, 64]``, the digits of each left to right, each digit's
    columns ``[start, end)``, its top row, and its image's index in the digit set."""
    images: np.ndarray
    digits: list[list[int]]
    columns: list[list[tuple[int, int]]]
    tops: list[list[int]]
    sources: list[list[int]]

    def __len__(self) -> int:
        return len(self.digits)

    def captions(self, style: str) -> list[str]:
        return [caption(d, style) for d in self.digits]

    def subset(self, rows) -> Strips:
        rows = list(rows)
        return Strips(self.images[rows], *([field[r] for r in rows]
                                           for field in (self.digits, self.columns, self.tops, self.sources)))


def compose(images: np.ndarray, labels: np.ndarray, pool: np.ndarray, count: int, seed: int | list[int],
            max_digits: int = MAX_DIGITS) -> Strips:
    """``count`` strips of 1 to ``max_digits`` digits drawn from the image indices ``pool``
    (``seed``: NumPy's, an int or a list of ints)."""
    if not 1 <= max_digits <= MAX_DIGITS:
        raise RecurError(f"a strip holds 1 to {MAX_DIGITS} digits, not {max_digits}")
    rng = np.random.default_rng(seed)
    canvas = np.zeros((count, HEIGHT, WIDTH), dtype=np.float32)
    digits, columns, tops, sources = [], [], [], []
    for i in range(count):
        n = int(rng.integers(1, max_digits + 1))
        chosen = rng.choice(pool, size=n).tolist()
        gaps = rng.integers(GAPS[0], GAPS[1] + 1, size=n - 1).tolist()
        width = n * DIGIT + sum(gaps)
        x = int(rng.integers(0, WIDTH - width + 1))
        spans, heights = [], []
        for k, index in enumerate(chosen):
            y = int(rng.integers(0, HEIGHT - DIGIT + 1))
            canvas[i, y:y + DIGIT, x:x + DIGIT] = images[index]
            spans.append((x, x + DIGIT))
            heights.append(y)
            x += DIGIT + (gaps[k] if k < n - 1 else 0)
        digits.append([int(labels[j]) for j in chosen])
        columns.append(spans)
        tops.append(heights)
        sources.append(chosen)
    return Strips(canvas, digits, columns, tops, sources)


__all__ = ["HEIGHT", "MAX_DIGITS", "STYLES", "WIDTH", "WORDS", "Strips", "caption", "compose", "digit_images",
           "split_indices"]
