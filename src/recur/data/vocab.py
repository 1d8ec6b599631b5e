"""Character vocabulary over any Unicode text: one id per distinct code point, sorted."""

from __future__ import annotations

import torch

from recur.errors import RecurError


class CharVocab:
    """``encode`` maps text to ids ``[N]`` (int64), ``decode`` maps ids back to text."""

    def __init__(self, chars: list[str]):
        if not chars:
            raise RecurError("a vocabulary needs at least one character")
        if len(set(chars)) != len(chars) or any(len(c) != 1 for c in chars):
            raise RecurError("vocabulary entries must be distinct single characters")
        self.chars = list(chars)
        self.index = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def from_text(cls, text: str) -> CharVocab:
        return cls(sorted(set(text)))

    def __len__(self) -> int:
        return len(self.chars)

    def unseen(self, text: str) -> list[str]:
        """Characters of ``text`` that are not in the vocabulary, in order of first appearance."""
        return list(dict.fromkeys(c for c in text if c not in self.index))

    def encode(self, text: str, what: str = "text") -> torch.Tensor:
        missing = self.unseen(text)
        if missing:
            shown = ", ".join(repr(c) for c in missing[:10]) + (" ..." if len(missing) > 10 else "")
            raise RecurError(f"{what} has {len(missing)} character(s) the model never saw: {shown}")
        return torch.tensor([self.index[c] for c in text], dtype=torch.long)

    def decode(self, ids) -> str:
        return "".join(self.chars[i] for i in ids)
