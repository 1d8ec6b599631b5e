"""Labelled sentences for classification: one example per line, in either of the two layouts of
SST-2's public copies,

    label sentence          (``stsa.binary.*``, Kim 2014)
    label<TAB>sentence      (the GLUE-style ``*.tsv``, header line optional)

with integer labels. Bad data is refused with one line naming the file, the line and the problem.
"""

from __future__ import annotations

import re
from pathlib import Path

from recur.data.text import read_text
from recur.errors import RecurError

INTEGER = re.compile(r"-?[0-9]{1,18}")  # ASCII digits; more than 18 is no label either


def parse_labelled(text: str, source: str = "text", labels: range | None = None) -> list[tuple[int, str]]:
    """``[(label, sentence)]`` from ``text``; ``labels`` (default 0..1) are the ones accepted."""
    labels = range(2) if labels is None else labels
    examples = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        label, _, sentence = line.partition("\t") if "\t" in line else line.strip().partition(" ")
        label = label.strip()
        if number == 1 and label.lower() in ("label", "sentence"):  # a TSV header
            continue
        if not INTEGER.fullmatch(label):  # not str.isdigit, which passes "²" and lets "--1" through lstrip
            raise RecurError(f"{source}, line {number}: expected 'label sentence' with an integer label, "
                             f"got {line[:60]!r}")
        if int(label) not in labels:
            raise RecurError(f"{source}, line {number}: label {label} is outside the known labels "
                             f"{labels.start}..{labels.stop - 1}")
        if not sentence.strip():
            raise RecurError(f"{source}, line {number}: label {label} has no sentence")
        examples.append((int(label), sentence.strip()))
    if not examples:
        raise RecurError(f"{source}: no labelled sentences in it")
    return examples


def read_labelled(path: str | Path, labels: range | None = None) -> list[tuple[int, str]]:
    """The labelled sentences of the file at ``path`` (plain or gzip)."""
    return parse_labelled(read_text(path), str(path), labels)
