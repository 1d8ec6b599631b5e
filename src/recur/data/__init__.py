"""Text, vocabularies and batch streams."""

from recur.data.stream import TextStream
from recur.data.text import read_text, split_validation
from recur.data.vocab import CharVocab

__all__ = ["CharVocab", "TextStream", "read_text", "split_validation"]
