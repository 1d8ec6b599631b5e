"""Raw text tokenised as the Penn Treebank writes it (and SST with it): punctuation split off, quotes
and brackets in the Treebank's spelling, clitics apart, abbreviations kept; SST's own sentences come
back unchanged."""

import pytest

from recur.data.labelled import read_labelled
from recur.data.ptb_tokens import plain_spelling, ptb_tokens


@pytest.mark.parametrize("text, words", [
    ("A gorgeous, witty movie!", "a gorgeous , witty movie !"),
    ('"Don\'t" (see it), said Mr. Smith.', "`` do n't '' -lrb- see it -rrb- , said mr. smith ."),
    ("It's the actors' best -- I can't, won't, cannot say no.",
     "it 's the actors ' best -- i ca n't , wo n't , can not say no ."),
    ("Great movie. Loved it... 10/10", "great movie . loved it ... 10\\/10"),
    ("\u201cWow,\u201d she said \u2014 twice!?", "`` wow , '' she said -- twice !?"),
    ("It cost $1,000 at 2:30; R&B & soul.", "it cost $ 1,000 at 2:30 ; r&b & soul ."),
    ("rock 'n' roll, good ol' boys in the '70s", "rock 'n' roll , good ol' boys in the '70s"),
    ("a 'quoted' word [sic] {x}", "a ` quoted ' word -lsb- sic -rsb- -lcb- x -rcb-"),
    ("Jason X.", "jason x."),
    ("made in the U.S. by E.T. fans", "made in the u.s. by e.t. fans"),
    ("\t  \n", ""),
])
def test_raw_text_is_split_as_the_treebank_splits_it(text, words):
    assert ptb_tokens(text) == words.split()


def test_case_is_kept_when_asked():
    assert ptb_tokens("Mr. Smith's DOG!", lower=False) == ["Mr.", "Smith", "'s", "DOG", "!"]


def test_plain_spelling_undoes_the_treebanks_escapes():
    assert [plain_spelling(t) for t in ["-lrb-", "-rsb-", "24\\/7", "\\*\\*", "movie", "``"]] == \
        ["(", "]", "24/7", "**", "movie", "``"]


def test_sst_sentences_come_back_unchanged(data_root):
    """The tokeniser agrees with how SST was tokenised: every dev and test sentence (the ones a
    model is scored on) is a fixed point."""
    folder = data_root / "sst" / "sst2_sentences"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found: the SST files are not in this data root")
    for split in ("dev", "test"):
        changed = [s for _, s in read_labelled(folder / f"stsa.binary.{split}") if ptb_tokens(s) != s.split()]
        assert len(changed) <= 1, changed  # test: "scotland , pa. is ..." (a state's abbreviation)
