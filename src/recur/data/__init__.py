"""Text, vocabularies, batch streams, and where data sets are found."""

from recur.data.roots import data_root, find_data
from recur.data.stream import TextStream
from recur.data.text import read_text, split_validation
from recur.data.vocab import CharVocab, WordVocab, words_of

__all__ = ["CharVocab", "TextStream", "WordVocab", "data_root", "find_data", "read_text", "split_validation",
           "words_of"]
