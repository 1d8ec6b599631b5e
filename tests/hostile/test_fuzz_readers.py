"""Every reader fuzzed (hypothesis): whatever the bytes, the file is read to a well-formed result or
refused in one line naming it; never a traceback. Inputs come from ``fuzz_inputs``, the readers and
their well-formed results from ``fuzz_readers``. The suite runs a few dozen cases a reader;
``bench/fuzz.py`` runs the same properties at thousands. Below them, the inputs that once failed."""

import gzip
import io
import json
import struct
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.hostile.fuzz_inputs import FUZZ
from tests.hostile.fuzz_readers import READERS, fuzz_data_root, inputs, judge

CASES = 30  # per reader, about a second
ROOT = fuzz_data_root()
pytestmark = pytest.mark.skipif(not ROOT.is_dir(), reason=f"data root {ROOT} not found: the seeds are cut from it")


@pytest.mark.parametrize("name", READERS)
@settings(FUZZ, max_examples=CASES)
@given(data=st.data())
def test_a_reader_reads_or_refuses_in_one_line(name, data):
    verdict = judge(READERS[name], data.draw(inputs(name, ROOT)))
    assert not verdict.failed, verdict.detail


def npz(compressed: bool = False, **arrays) -> bytes:
    """A stroke-3 npz of one two-point drawing per split, with ``arrays`` in place of its own."""
    own = {}
    for split in ("train", "valid", "test"):
        own[f"{split}_points"] = np.array([[0, 0, 0], [1, 1, 1]], np.int16)
        own[f"{split}_offsets"] = np.array([0, 2])
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **{**own, **arrays})
    return buffer.getvalue()


def broken_deflate(archive: bytes) -> bytes:
    """``archive`` (a compressed npz) with its first member's deflate stream made invalid (a block of
    the reserved type 3): a zlib error when read, before any CRC is checked."""
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        offset = z.infolist()[0].header_offset
    name_length, extra_length = struct.unpack("<HH", archive[offset + 26:offset + 30])  # the local header's own
    start = offset + 30 + name_length + extra_length
    return archive[:start] + b"\x07" + archive[start + 1:]


def bare_npy() -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((2, 3), np.int16))
    return buffer.getvalue()


PIECES = {"train": [[[60]]], "valid": [[[60]]], "test": [[[60]]]}

ONCE_FAILED = [  # (reader, contents, what went wrong before the fix)
    ("CSV table", b"date,OT\nt0," + b"9" * 200_000 + b"\n", "csv's field size limit: a traceback"),
    ("CSV table", b"date,OT\nt0,1\rx,2\n", "a carriage return inside a line: a traceback"),
    ("CSV table", b'date,"a\nb"\nt0,1\n', "a quoted line break in a column's name: a refusal of two lines"),
    ("CSV table", b"a" * 100_000 + b"\n", "a one-column header of 100,000 characters echoed whole"),
    ("piano-roll JSON", json.dumps(PIECES).replace("60", "1" * 5000).encode(), "a 5,000-digit pitch: a traceback"),
    ("piano-roll JSON", gzip.compress(json.dumps({**PIECES, "train": [[[[[60]] * 50_000]]]}).encode()),
     "a pitch that is a list of 50,000 lists, echoed whole"),
    ("strokes", bare_npy(), "an .npy where an .npz was expected: a traceback"),
    ("strokes", broken_deflate(npz(compressed=True)), "a damaged compressed member: a zlib traceback"),
    ("strokes", npz(train_offsets=np.array([0, 5, 2], np.uint64)), "unsigned offsets: an empty drawing read"),
    ("strokes", npz(train_points=np.array([[0, 0, 0], [40_000, 1, 1]], np.int32)),
     "a point beyond int16: silently wrapped to -25,536"),
]


@pytest.mark.parametrize("name, contents, before", ONCE_FAILED, ids=[f"{n}: {b}" for n, _, b in ONCE_FAILED])
def test_inputs_that_once_failed(name, contents, before):
    reader = READERS[name]
    verdict = judge(reader, (contents,) * len(reader.files))
    assert verdict.outcome == "refused", verdict.detail
