"""The parallel-text reader and the SentencePiece vocabularies: plain and gzipped files, line ends,
exact detokenisation, deterministic training, and the checkpoint's base64 round trip."""

import gzip

import pytest

from recur.data.parallel import read_pairs, read_split
from recur.data.subwords import BOS, EOS, PAD, UNK, Subwords
from recur.errors import RecurError

SENTENCES = ["Ein Mann fährt Fahrrad.", "Zwei Hunde spielen im Schnee.", "Eine Frau liest ein Buch."] * 40


def test_plain_and_gzipped_files_read_alike(tmp_path):
    (tmp_path / "val.de").write_text("Ein Hund.\r\nZwei Katzen.\n", encoding="utf-8")
    (tmp_path / "val.en.gz").write_bytes(gzip.compress("A dog.\nTwo cats.".encode()))  # no final line end
    pairs = read_split(tmp_path, "val", "de", "en")
    assert pairs.source == ["Ein Hund.", "Zwei Katzen."] and pairs.target == ["A dog.", "Two cats."]


def test_multi30k_test_names(tmp_path):
    for language in ("de", "en"):
        (tmp_path / f"test_2016_flickr.{language}").write_text("x\n")
    assert len(read_split(tmp_path, "test2016", "de", "en")) == 1


def test_misaligned_files_name_both_counts(tmp_path):
    (tmp_path / "a.de").write_text("1\n2\n3\n")
    (tmp_path / "a.en").write_text("1\n2\n")
    with pytest.raises(RecurError, match=r"a.de has 3 lines but .*a.en has 2"):
        read_pairs(tmp_path / "a.de", tmp_path / "a.en")


def test_subwords_detokenise_exactly_and_train_deterministically():
    first, second = Subwords.train(SENTENCES, 40), Subwords.train(SENTENCES, 40)
    assert first.model == second.model and len(first) <= 40
    for sentence in SENTENCES[:3]:
        assert first.decode(first.encode(sentence)) == sentence
    assert [first.piece(i) for i in (PAD, UNK, BOS, EOS)] == ["<pad>", "<unk>", "<s>", "</s>"]
    assert first.decode([BOS, *first.encode("Ein Buch."), EOS, PAD]) == "Ein Buch."  # specials are dropped


def test_subwords_survive_their_base64_text():
    model = Subwords.train(SENTENCES, 30)
    again = Subwords.from_text(model.to_text())
    assert again.model == model.model and again.encode("Ein Hund.") == model.encode("Ein Hund.")


def test_too_few_pieces_are_refused():
    with pytest.raises(RecurError, match="at least 8 pieces"):
        Subwords.train(SENTENCES, 4)
