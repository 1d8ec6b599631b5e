"""Subword vocabularies from SentencePiece (Kudo & Richardson 2018): a unigram language model over
pieces (Kudo 2018), trained on the training sentences only, stored as its serialised model so that a
checkpoint carries it (``config.json`` holds it in base64; loading parses a protobuf, never code).

Ids 0..3 are fixed for every vocabulary: ``<pad>`` 0, ``<unk>`` 1, ``<s>`` 2 (a decoder's first
input), ``</s>`` 3 (end of sentence). ``decode`` undoes the segmentation exactly: SentencePiece keeps
spaces as the piece ``▁``, so detokenised output needs no language-specific rules.
"""

from __future__ import annotations

import base64
import io

from recur.errors import RecurError

PAD, UNK, BOS, EOS = 0, 1, 2, 3
MIN_PIECES = 8  # the four specials and a few more: below that SentencePiece cannot train


def _processor():
    try:
        import sentencepiece
    except ModuleNotFoundError:
        raise RecurError("subword vocabularies need sentencepiece, which is not installed: "
                         "pip install sentencepiece") from None
    return sentencepiece


class Subwords:
    """A trained SentencePiece model: ``encode(text) -> ids``, ``decode(ids) -> text``."""

    def __init__(self, model: bytes):
        spm = _processor()
        self.model = bytes(model)
        self.processor = spm.SentencePieceProcessor()
        try:
            self.processor.LoadFromSerializedProto(self.model)
        except (RuntimeError, OSError) as err:
            raise RecurError(f"not a SentencePiece model ({str(err)[:120]})") from None
        if self.processor.pad_id() != PAD or self.processor.eos_id() != EOS or self.processor.bos_id() != BOS:
            raise RecurError("a SentencePiece model with other special ids than recur's (pad 0, unk 1, <s> 2, </s> 3)")

    @classmethod
    def train(cls, sentences: list[str], size: int, seed_sentences: int = 0) -> Subwords:
        """A unigram model of ``size`` pieces (specials included) on ``sentences``. SentencePiece
        stops short of ``size`` only where the text has fewer distinct pieces; it then refuses,
        and the message says the largest size it could reach."""
        spm = _processor()
        if size < MIN_PIECES:
            raise RecurError(f"a subword vocabulary needs at least {MIN_PIECES} pieces, got {size}")
        written = io.BytesIO()
        try:
            spm.SentencePieceTrainer.train(
                sentence_iterator=iter(sentences), model_writer=written, vocab_size=size, model_type="unigram",
                character_coverage=1.0, pad_id=PAD, unk_id=UNK, bos_id=BOS, eos_id=EOS, num_threads=1,
                hard_vocab_limit=False, minloglevel=2, input_sentence_size=seed_sentences,
                shuffle_input_sentence=False)
        except RuntimeError as err:
            raise RecurError(f"SentencePiece could not train a vocabulary of {size}: {str(err)[:200]}") from None
        return cls(written.getvalue())

    @classmethod
    def from_text(cls, encoded: str) -> Subwords:
        """The model saved by ``to_text`` (base64)."""
        try:
            return cls(base64.b64decode(encoded.encode("ascii"), validate=True))
        except (ValueError, UnicodeEncodeError):
            raise RecurError("a subword model that is not base64 text") from None

    def to_text(self) -> str:
        return base64.b64encode(self.model).decode("ascii")

    def __len__(self) -> int:
        return self.processor.get_piece_size()

    def encode(self, text: str) -> list[int]:
        return self.processor.encode(text)

    def encode_all(self, texts: list[str]) -> list[list[int]]:
        return self.processor.encode(texts)

    def pieces(self, text: str) -> list[str]:
        return self.processor.encode(text, out_type=str)

    def piece(self, index: int) -> str:
        return self.processor.id_to_piece(index)

    def decode(self, ids: list[int]) -> str:
        return self.processor.decode([i for i in ids if i > EOS])
