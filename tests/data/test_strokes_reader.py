"""The stroke-3 reader: the real sets as SOURCES.md counts them, strokes cut at lifted points, and
every bad file refused in one line naming it, a pickled one without ever being unpickled."""

import io
import zipfile

import numpy as np
import pytest

from recur.data.strokes import SETS, read_drawings, set_path, strokes_of
from recur.errors import RecurError
from tests.conftest import write_stroke_set

COUNTS = {"omniglot": (30_000, 1_000, 1_000), "kanji": (10_000, 600, 500), "sheep": (7_400, 300, 300)}


@pytest.mark.parametrize("name", SETS)
def test_the_real_sets_hold_what_sources_md_says(data_root, name, monkeypatch):
    monkeypatch.setenv("RECUR_DATA", str(data_root))
    path = set_path(name)
    drawings = read_drawings(path)
    assert tuple(len(drawings[s]) for s in ("train", "valid", "test")) == COUNTS[name]
    assert all(d.dtype == np.int16 and d.shape[1] == 3 and len(d) >= 2 for d in drawings["test"])
    assert all(d[-1, 2] == 1 for d in drawings["test"])  # every drawing ends with the pen lifted


def test_strokes_are_cut_after_each_lifted_point():
    drawing = np.array([[0, 0, 0], [5, 0, 1], [0, 5, 0], [5, 0, 0], [1, 1, 1]], dtype=np.int16)
    strokes = strokes_of(drawing)
    assert [s.tolist() for s in strokes] == [[[0, 0], [5, 0]], [[5, 5], [10, 5], [11, 6]]]


def rewritten(tmp_path, **changes) -> "Path":
    source = np.load(write_stroke_set(tmp_path / "good.npz"))
    arrays = {k: source[k] for k in source.files}
    for name, value in changes.items():
        if value is None:
            del arrays[name]
        else:
            arrays[name] = value
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize("changes, says", [
    ({"test_points": None}, "no 'test_points' array"),
    ({"test_points": np.zeros((10, 2), np.int16)}, "expected whole numbers [N, 3]"),
    ({"test_points": np.zeros((10, 3), np.float32)}, "expected whole numbers [N, 3]"),
    ({"test_points": np.full((10, 3), 2, np.int16)}, "pen column"),
    ({"test_offsets": np.array([0, 5, 5, 10])}, "does not cut"),
    ({"test_offsets": np.array([1, 10])}, "does not cut"),
])
def test_a_malformed_archive_is_refused_naming_the_file(tmp_path, changes, says):
    path = rewritten(tmp_path, **changes)
    with pytest.raises(RecurError) as caught:
        read_drawings(path)
    assert str(path) in str(caught.value) and says in str(caught.value)


def test_a_pickled_array_is_refused_and_never_unpickled(tmp_path):
    path = rewritten(tmp_path, test_points=np.array([np.zeros((3, 3))], dtype=object))
    with pytest.raises(RecurError, match="not a stroke-3 .npz archive"):
        read_drawings(path)


@pytest.mark.parametrize("content", [b"", b"not a zip at all", None])
def test_bytes_that_are_not_an_npz_are_refused(tmp_path, content):
    path = tmp_path / "bad.npz"
    if content is None:  # a real archive cut short
        good = write_stroke_set(tmp_path / "good.npz").read_bytes()
        content = good[: len(good) // 2]
    path.write_bytes(content)
    with pytest.raises(RecurError) as caught:
        read_drawings(path)
    assert str(path) in str(caught.value)


def test_an_archive_member_that_is_not_an_array_is_refused(tmp_path):
    path = tmp_path / "odd.npz"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("test_points.npy", b"\x93NUMPY garbage")
        archive.writestr("test_offsets.npy", b"nothing")
    path.write_bytes(buffer.getvalue())
    with pytest.raises(RecurError, match="not a stroke-3"):
        read_drawings(path, ("test",))


def test_a_missing_file_says_where_the_sets_are_published(tmp_path, monkeypatch):
    monkeypatch.setenv("RECUR_DATA", str(tmp_path))
    with pytest.raises(RecurError, match="sketch-rnn-datasets"):
        set_path("omniglot")
    with pytest.raises(RecurError, match="unknown stroke set 'iam'; known: omniglot, kanji, sheep"):
        set_path("iam")
