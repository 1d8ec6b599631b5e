"""Vocabularies: characters (one id per distinct code point, sorted) and words (most frequent first)."""

from __future__ import annotations

from collections import Counter

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

    def tokens(self) -> list[str]:
        """Every token, in id order."""
        return list(self.chars)

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


EOS, UNK = "<eos>", "<unk>"


def words_of(text: str) -> list[str]:
    """Whitespace-separated words, with ``<eos>`` closing every line (Mikolov's PTB convention)."""
    return [word for line in text.splitlines() for word in (*line.split(), EOS)]


class WordVocab:
    """Word ids: ``encode`` maps text to ids ``[N]`` (``<eos>`` per line; unknown words to ``<unk>``
    when the vocabulary has it, else refused), ``decode`` maps ids back to text."""

    def __init__(self, words: list[str]):
        if not words:
            raise RecurError("a vocabulary needs at least one word")
        if len(set(words)) != len(words):
            raise RecurError("vocabulary entries must be distinct")
        self.words = list(words)
        self.index = {w: i for i, w in enumerate(self.words)}

    @classmethod
    def from_text(cls, text: str) -> WordVocab:
        """Every word of ``text`` (``<eos>`` per line), most frequent first (ties alphabetical)."""
        return cls.from_words(words_of(text))

    @classmethod
    def from_words(cls, words, specials: tuple[str, ...] = (), min_count: int = 1) -> WordVocab:
        """``specials`` first, then the words seen ``min_count`` times or more, most frequent first
        (ties alphabetical)."""
        counts = Counter(words)
        kept = [w for w in counts if counts[w] >= min_count and w not in specials]
        return cls([*specials, *sorted(kept, key=lambda w: (-counts[w], w))])

    def tokens(self) -> list[str]:
        """Every token, in id order."""
        return list(self.words)

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, text: str, what: str = "text") -> torch.Tensor:
        return self.encode_words(words_of(text), what)

    def encode_words(self, words: list[str], what: str = "text") -> torch.Tensor:
        """Ids of ``words`` as they are (``encode`` adds the ``<eos>`` of each line first)."""
        unk = self.index.get(UNK)
        missing = [] if unk is not None else list(dict.fromkeys(w for w in words if w not in self.index))
        if missing:
            shown = ", ".join(repr(w) for w in missing[:10]) + (" ..." if len(missing) > 10 else "")
            raise RecurError(f"{what} has {len(missing)} words the vocabulary does not know: {shown}")
        return torch.tensor([self.index.get(w, unk) for w in words], dtype=torch.long)

    def decode(self, ids) -> str:
        """Words joined by spaces; ``<eos>`` ends a line."""
        return "".join("\n" if self.words[i] == EOS else " " + self.words[i] for i in ids)
