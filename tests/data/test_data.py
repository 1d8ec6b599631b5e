"""Text reading, the validation split, the character vocabulary and the TBPTT stream."""

import gzip

import pytest
import torch

from recur.assets import tiny_shakespeare
from recur.data import CharVocab, TextStream, read_text, split_validation
from recur.errors import RecurError


def test_vocab_handles_any_unicode_and_round_trips():
    text = "naïve café — 東京 🙂\n"
    vocab = CharVocab.from_text(text)
    assert len(vocab) == len(set(text))
    assert vocab.decode(vocab.encode(text).tolist()) == text


def test_vocab_names_unseen_characters():
    vocab = CharVocab.from_text("hello")
    with pytest.raises(RecurError, match=r"the prime has 2 character\(s\) the model never saw: 'x', 'y'"):
        vocab.encode("hexy", "the prime")


def test_read_text_plain_and_gzip(tmp_path):
    (tmp_path / "a.txt").write_text("héllo\n", encoding="utf-8")
    (tmp_path / "a.txt.gz").write_bytes(gzip.compress("héllo\n".encode()))
    assert read_text(tmp_path / "a.txt") == read_text(tmp_path / "a.txt.gz") == "héllo\n"


@pytest.mark.parametrize("content, message", [
    (b"", "file is empty"),
    (b"abc\x00def", "looks like binary data"),
    (b"abc\xff\xfe", r"not UTF-8 text \(byte 0xff at offset 3\)"),
    (b"\x1f\x8bnot really gzip", "not a valid gzip file"),
])
def test_read_text_refuses_bad_files(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(RecurError, match=message):
        read_text(path)


def test_read_text_refuses_missing_and_directories(tmp_path):
    with pytest.raises(RecurError, match="no such file"):
        read_text(tmp_path / "nope.txt")
    with pytest.raises(RecurError, match="is a directory"):
        read_text(tmp_path)


def test_tiny_shakespeare_split_is_nanogpt_convention():
    text = read_text(tiny_shakespeare())
    train, val = split_validation(text, 0.1)
    assert (len(text), len(train), len(val)) == (1_115_394, 1_003_854, 111_540)
    assert train + val == text
    assert len(CharVocab.from_text(text)) == 65


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_split_refuses_bad_fraction(fraction):
    with pytest.raises(RecurError, match="validation fraction"):
        split_validation("abcdef", fraction)


def test_stream_rows_are_contiguous_and_targets_are_next_chars():
    ids = torch.arange(101)
    stream = TextStream(ids, batch_size=4, seq_len=5)
    assert len(stream) == 5  # rows of 25 ids, 5 full chunks
    x0, y0 = stream.chunk(0)
    x1, _ = stream.chunk(1)
    assert x0.shape == (4, 5)
    torch.testing.assert_close(y0, x0 + 1)
    torch.testing.assert_close(x1[:, 0], x0[:, -1] + 1)  # chunk k+1 continues chunk k in every row
    seen = torch.cat([x for x, _ in stream.all_chunks()], dim=1)
    torch.testing.assert_close(seen.flatten(), ids[:100])


def test_stream_refuses_text_too_short():
    with pytest.raises(RecurError, match="too short"):
        TextStream(torch.arange(10), batch_size=4, seq_len=5)
