"""The captioning data: scikit-learn's digits split by image, strips composed from one split only,
reproducibly, with every digit where its columns say; the three caption styles; pictures read and
written back."""

import numpy as np
import pytest

from recur.data.digit_strips import (DIGIT, HEIGHT, WIDTH, WORDS, caption, compose, digit_images,
                                     split_indices)
from recur.data.strip_image import read_strip, write_strip
from recur.errors import RecurError


@pytest.fixture(scope="module")
def digits():
    return digit_images()


def test_the_split_is_by_image_and_covers_every_image(digits):
    images, labels = digits
    splits = split_indices(len(labels))
    assert len(images) == 1797 and images.shape[1:] == (8, 8) and 0 <= images.min() and images.max() == 1
    assert [len(splits[s]) for s in ("train", "val", "test")] == [1258, 270, 269]
    every = np.concatenate(list(splits.values()))
    assert len(set(every.tolist())) == len(every) == 1797  # disjoint, and nothing left out
    assert (split_indices(len(labels))["test"] == splits["test"]).all()  # the same split each time


def test_strips_come_from_their_pool_with_each_digit_where_its_columns_say(digits):
    images, labels = digits
    pool = split_indices(len(labels))["test"]
    strips = compose(images, labels, pool, 200, seed=5)
    assert strips.images.shape == (200, HEIGHT, WIDTH)
    lengths = [len(d) for d in strips.digits]
    assert min(lengths) == 1 and max(lengths) == 5
    for strip, digits_, spans, tops, sources in zip(strips.images, strips.digits, strips.columns, strips.tops,
                                                     strips.sources):
        assert set(sources) <= set(pool.tolist())
        assert digits_ == [int(labels[s]) for s in sources]
        covered = np.zeros(WIDTH, dtype=bool)
        for (start, end), top, source in zip(spans, tops, sources):
            assert end - start == DIGIT and 0 <= top <= HEIGHT - DIGIT
            assert (strip[top:top + DIGIT, start:end] == images[source]).all()
            covered[start:end] = True
        assert strip[:, ~covered].max() == 0  # no ink outside the digits
        gaps = [b[0] - a[1] for a, b in zip(spans, spans[1:])]
        assert all(1 <= g <= 3 for g in gaps)


def test_the_same_seed_gives_the_same_strips(digits):
    images, labels = digits
    pool = split_indices(len(labels))["train"]
    a, b, c = (compose(images, labels, pool, 30, seed) for seed in ([0, 7], [0, 7], [0, 8]))
    assert (a.images == b.images).all() and a.digits == b.digits
    assert a.digits != c.digits


@pytest.mark.parametrize("digits_, style, expected", [
    ([3, 1, 4], "spell", "three one four"),
    ([7, 4, 7], "count", "two sevens and a four"),
    ([8], "count", "an eight"),
    ([5, 2, 2, 5, 9], "count", "two twos and two fives and a nine"),
    ([3, 1, 4], "largest", "the largest digit is four"),
])
def test_captions(digits_, style, expected):
    assert caption(digits_, style) == expected
    assert set(expected.split()) <= set(WORDS)


def test_an_unknown_style_is_refused():
    with pytest.raises(RecurError, match="unknown caption style 'poem'"):
        caption([1], "poem")


def test_a_strip_written_as_png_reads_back_as_itself_at_any_scale(digits, tmp_path):
    images, labels = digits
    strip = compose(images, labels, np.arange(100), 1, seed=1).images[0]
    for scale in (1, 3):
        assert np.abs(read_strip(write_strip(tmp_path / f"s{scale}.png", strip, scale)) - strip).max() < 0.01


def test_dark_ink_on_light_paper_is_inverted_and_a_large_picture_scaled_to_digit_height(tmp_path):
    from PIL import Image
    page = np.full((200, 300), 255, dtype=np.uint8)
    page[50:150, 100:160] = 0  # a dark block, 100 pixels high
    Image.fromarray(page).save(tmp_path / "page.png")
    strip = read_strip(tmp_path / "page.png")
    rows, cols = np.nonzero(strip > 0.5)
    assert strip.shape == (HEIGHT, WIDTH) and rows.max() - rows.min() + 1 == 8  # ink high, 8 pixels tall
    assert strip[0].max() == 0 and strip[:, 0].max() == 0  # the paper reads as blank


def test_bad_pictures_are_refused_in_one_line(tmp_path):
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(RecurError, match="not an image"):
        read_strip(tmp_path / "notes.png")
    from PIL import Image
    Image.fromarray(np.full((12, 64), 255, dtype=np.uint8)).save(tmp_path / "blank.png")
    with pytest.raises(RecurError, match="no ink"):
        read_strip(tmp_path / "blank.png")
    with pytest.raises(RecurError, match="no such image"):
        read_strip(tmp_path / "missing.png")
