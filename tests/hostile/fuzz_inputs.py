"""Hostile inputs as hypothesis strategies, shared by the fuzz tests (``test_fuzz_*.py``) and
``bench/fuzz.py``: random bytes, and valid files damaged the ways real files get damaged.

    hostile_text(seeds)      a text format (lines of fields) from valid ``seeds`` (str): a line made
                             huge, a field or line deleted, a number made NaN/inf/huge, other line
                             ends, spans re-encoded (Latin-1, UTF-16, ...) or invalid UTF-8 put in
    hostile_json(seeds)      a JSON format from parsed valid documents: a value replaced (NaN,
                             Infinity, 1e400, a 5,000-digit integer, deep nesting, a wrong type) or
                             deleted, then maybe the text damaged too
    hostile_npz(seeds)       an npz archive from dicts of valid arrays: an array deleted, of the wrong
                             shape or dtype (NaN, uint64, bool, complex, strings, pickled objects) or
                             with a bad value; saved plain or compressed, then maybe its bytes damaged
    hostile_safetensors(s)   a safetensors file from valid ones: its JSON header's dtypes, shapes and
                             offsets replaced or deleted, or its bytes damaged
    hostile_bytes(seeds)     any file (a WAV, a safetensors file) damaged byte by byte: truncated,
                             bits flipped, spans deleted, duplicated or inserted, fields overwritten
                             with boundary integers
    gzipped(strategy)        the same bytes gzipped, sometimes damaged after
    maybe_gzipped(strategy)  as they are, or gzipped
    flag_value()             a value for a command-line flag

Each strategy also draws plain random bytes now and then. Everything is drawn through hypothesis, so
a failure shrinks and a derandomized run is the same on every machine.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import warnings
import zipfile

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# the suite's profile: reproducible in CI, no timing flakes, no database left in the working tree
settings.register_profile("recur-fuzz", derandomize=True, deadline=None, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                 HealthCheck.large_base_example, HealthCheck.filter_too_much])
FUZZ = settings.get_profile("recur-fuzz")

BOUNDARY_INTS = (0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
                 2**63 - 1, 2**64 - 1)
HOSTILE_NUMBERS = ("nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e999", "-1e999", "1e-400", "9" * 5000,
                   "-0", "0x1F", "1_000", "\u0663", "\u00b2", "+5", " 7 ", "", "1,5", "3.4028236e38", "1e308")
INVALID_UTF8 = (b"\xff", b"\xc3", b"\xc0\xaf", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\x00", b"\xf8\x88\x80\x80\x80",
                b"\xe2\x80\xa8", b"\xc2\x85", b"\x1c", b"\r")  # the last four are valid: line breaks to some
ENCODINGS = ("latin-1", "cp1252", "utf-16", "utf-16-le", "utf-32", "shift_jis", "utf-8-sig")
LINE_ENDS = ("\r\n", "\r", "\u2028", "\x85", "\x0c", "\x1e", "\n\n")
HUGE_CHARACTERS = ("a", "9", ",", "\t", " ", "\u00e9", '"', "[", "(")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
SENTINEL = "\u0000hostile-{}\u0000"  # a JSON string later swapped for raw JSON text
RAW_JSON = ("NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1" * 5000, "-0", "1.5", "true", "null", '""',
            '"\\ud800"', "[]", "{}", "[[]]", "[" * 3000 + "]" * 3000, "[" * 100000, '{"a": ' * 2000 + "1" + "}" * 2000,
            "[" + ",".join(["[60]"] * 50000) + "]", "60", "108", "20", "109", "-1", "2147483648")


# ---- bytes -----------------------------------------------------------------------------------

@st.composite
def damaged(draw, data: bytes) -> bytes:
    """``data`` with one to three injuries, each where hypothesis chooses (often in the first 64
    bytes, where headers are)."""
    for _ in range(draw(st.integers(1, 3))):
        n = len(data)
        at = draw(st.one_of(st.integers(0, min(n, 64)), st.integers(0, n)))
        injury = draw(st.sampled_from(("truncate", "flip", "delete", "insert", "overwrite", "duplicate")))
        if injury == "truncate":
            data = data[:at]
        elif injury == "flip" and at < n:
            data = data[:at] + bytes([data[at] ^ (1 << draw(st.integers(0, 7)))]) + data[at + 1:]
        elif injury == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 64)):]
        elif injury == "insert":
            data = data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]
        elif injury == "overwrite":
            width = draw(st.sampled_from((1, 2, 4, 8)))
            value = draw(st.sampled_from(BOUNDARY_INTS)) % 2 ** (8 * width)
            data = data[:at] + value.to_bytes(width, "little") + data[at + width:]
        elif injury == "duplicate":
            data = data[:at] + data[at:at + draw(st.integers(1, 256))] * draw(st.integers(2, 50)) + data[at:]
    return data


def hostile_bytes(seeds: list[bytes]) -> st.SearchStrategy[bytes]:
    """Random bytes, or one of ``seeds`` damaged byte by byte."""
    return st.one_of(st.binary(max_size=2048), st.sampled_from(seeds).flatmap(damaged))


def gzipped(inner: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    """``inner``'s bytes gzipped, and sometimes damaged after (a bad CRC, a cut stream)."""
    zipped = inner.map(lambda data: gzip.compress(data, mtime=0))
    return st.one_of(zipped, zipped.flatmap(damaged))


def maybe_gzipped(inner: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    """``inner``'s bytes as they are, or ``gzipped``."""
    return st.one_of(inner, gzipped(inner))


# ---- text ------------------------------------------------------------------------------------

@st.composite
def damaged_text(draw, text: str) -> str:
    """``text`` with one to three injuries at the level of lines, fields and numbers."""
    for _ in range(draw(st.integers(1, 3))):
        lines = text.split("\n")
        i = draw(st.integers(0, len(lines) - 1))
        injury = draw(st.sampled_from(("huge line", "number", "delete field", "delete line", "duplicate line",
                                       "line ends", "character", "insert text")))
        if injury == "huge line":
            lines.insert(i, draw(st.sampled_from(HUGE_CHARACTERS)) * draw(st.integers(100_000, 1_000_000)))
        elif injury == "number":
            numbers = list(NUMBER.finditer(text))
            if numbers:
                found = numbers[draw(st.integers(0, len(numbers) - 1))]
                text = text[:found.start()] + draw(st.sampled_from(HOSTILE_NUMBERS)) + text[found.end():]
                continue
        elif injury == "delete field":
            separator = next((s for s in ("\t", ",", " ") if s in lines[i]), None)
            if separator:
                fields = lines[i].split(separator)
                del fields[draw(st.integers(0, len(fields) - 1))]
                lines[i] = separator.join(fields)
        elif injury == "delete line":
            del lines[i]
        elif injury == "duplicate line":
            lines.insert(i, lines[i])
        elif injury == "line ends":
            end = draw(st.sampled_from(LINE_ENDS))
            text = end.join(lines) if draw(st.booleans()) else "\n".join(lines[:i]) + end + "\n".join(lines[i:])
            continue
        elif injury == "character" and lines[i]:
            j = draw(st.integers(0, len(lines[i]) - 1))
            lines[i] = lines[i][:j] + draw(st.characters()) + lines[i][j + 1:]
        elif injury == "insert text":
            lines.insert(i, draw(st.text(max_size=80)))
        text = "\n".join(lines)
    return text


@st.composite
def encoded(draw, text: str) -> bytes:
    """``text`` as UTF-8, or partly or wholly in another encoding, or with invalid UTF-8 put in."""
    how = draw(st.sampled_from(("utf-8", "utf-8", "re-encoded", "span re-encoded", "invalid bytes")))
    data = text.encode("utf-8", "surrogatepass")
    if how == "re-encoded":
        return text.encode(draw(st.sampled_from(ENCODINGS)), "replace")
    if how == "span re-encoded":
        start = draw(st.integers(0, len(text)))
        stop = draw(st.integers(start, len(text)))
        encoding = draw(st.sampled_from(ENCODINGS))
        return (text[:start].encode("utf-8", "surrogatepass") + text[start:stop].encode(encoding, "replace")
                + text[stop:].encode("utf-8", "surrogatepass"))
    if how == "invalid bytes":
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(data)))
            data = data[:at] + draw(st.sampled_from(INVALID_UTF8)) + data[at:]
    return data


def hostile_text(seeds: list[str]) -> st.SearchStrategy[bytes]:
    """Random bytes or text, or a seed damaged as text, encoded, and sometimes damaged as bytes too."""
    mutated = st.sampled_from(seeds).flatmap(damaged_text).flatmap(encoded)
    return st.one_of(st.binary(max_size=2048), st.text(max_size=400).flatmap(encoded), mutated,
                     mutated.flatmap(damaged))


# ---- JSON ------------------------------------------------------------------------------------

def _paths(value, prefix=()) -> list[tuple]:
    """Every place in a JSON document, as the keys and indices that reach it."""
    places = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            places += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            places += _paths(item, (*prefix, index))
    return places


@st.composite
def damaged_json(draw, document, raw_values: tuple[str, ...] = RAW_JSON) -> str:
    """``document`` (parsed JSON) with one to three values replaced (by ``raw_values``, JSON text) or
    deleted, as JSON text."""
    document = json.loads(json.dumps(document))  # a private copy
    raw = []
    for _ in range(draw(st.integers(1, 3))):
        places = _paths(document)
        place = places[draw(st.integers(0, len(places) - 1))]
        if not place:
            document = draw(st.sampled_from((None, [], "text", 1, [document])))
            continue
        *parent_keys, key = place
        parent = document
        for k in parent_keys:
            parent = parent[k]
        if draw(st.booleans()):
            del parent[key]
        else:
            raw.append(draw(st.sampled_from(raw_values)))
            parent[key] = SENTINEL.format(len(raw) - 1)
    text = json.dumps(document)
    for number, value in enumerate(raw):
        text = text.replace(json.dumps(SENTINEL.format(number)), value)
    return text


def hostile_json(seeds: list) -> st.SearchStrategy[bytes]:
    """Random bytes, or a seed with values damaged, encoded, sometimes damaged as text or bytes too."""
    mutated = st.sampled_from(seeds).flatmap(damaged_json)
    return st.one_of(st.binary(max_size=1024), mutated.map(str.encode), mutated.flatmap(damaged_text).flatmap(encoded),
                     mutated.map(str.encode).flatmap(damaged))


# ---- safetensors ---------------------------------------------------------------------------------

SAFETENSORS_VALUES = ('"F16"', '"BF16"', '"F64"', '"I64"', '"I32"', '"U8"', '"BOOL"', '"F8_E4M3"', '"C64"', '"X9"',
                      '"f32"', "[0]", "[]", "[1099511627776, 2]", "[-1]", "[0, 0]", "[0, 18446744073709551615]",
                      "[64, 0]", "[4, 4]", "[1]", '{"format": "pt"}', '{"a": 1}')


@st.composite
def damaged_safetensors(draw, data: bytes) -> bytes:
    """A safetensors file (8-byte header length, JSON header, tensor bytes) with its header's values
    replaced or deleted (dtypes, shapes, offsets), the length field fixed to match."""
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + length])
    text = draw(damaged_json(header, (*SAFETENSORS_VALUES, *RAW_JSON[:12]))).encode()
    return len(text).to_bytes(8, "little") + text + data[8 + length:]


def hostile_safetensors(seeds: list[bytes]) -> st.SearchStrategy[bytes]:
    """Random bytes, a seed's header damaged, or its bytes damaged (the header length first of all)."""
    headers = st.sampled_from(seeds).flatmap(damaged_safetensors)
    return st.one_of(st.binary(max_size=256), headers, headers.flatmap(damaged),
                     st.sampled_from(seeds).flatmap(damaged))


# ---- npz -------------------------------------------------------------------------------------

WRONG_ARRAYS = (  # what an npz could hold in place of an array ``a``: other shapes, dtypes and values
    lambda a: np.where(np.arange(a.size).reshape(a.shape) == 0, np.nan, a.astype(np.float64)),
    lambda a: a.astype(np.float32), lambda a: a.astype(np.uint64), lambda a: a.astype(np.uint8),
    lambda a: a.astype(bool), lambda a: a.astype(np.complex64), lambda a: a.astype(str), lambda a: a.astype(np.int8),
    lambda a: np.array([a, None], dtype=object), lambda a: np.array(5), lambda a: a.reshape(-1),
    lambda a: a[..., None], lambda a: a[:, :2] if a.ndim == 2 else a[:1], lambda a: a[:0],
    lambda a: np.concatenate([a, a]), lambda a: a[::-1].copy(), lambda a: np.full(a.shape, -1, np.int64),
    lambda a: np.full(a.shape, 2**40, np.int64), lambda a: np.full(a.shape, 2, np.int16),
    lambda a: np.full(a.shape, 2**63 - 1, np.int64), lambda a: np.full(a.shape, 2**64 - 1, np.uint64))


def _wrong_arrays(a: np.ndarray) -> list[np.ndarray]:
    """``WRONG_ARRAYS`` made from ``a``, those that can be (an object array has no float copy)."""
    made = []
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for make in WRONG_ARRAYS:
            try:
                made.append(make(a))
            except (TypeError, ValueError, OverflowError, IndexError):
                pass
    return made or [np.array(5)]


@st.composite
def damaged_npz(draw, arrays: dict[str, np.ndarray]) -> bytes:
    """``arrays`` with one to three arrays deleted, replaced or with one value changed, saved."""
    arrays = dict(arrays)
    for _ in range(draw(st.integers(1, 3))):
        if not arrays:
            break
        name = draw(st.sampled_from(sorted(arrays)))
        injury = draw(st.sampled_from(("delete", "replace", "value")))
        if injury == "delete":
            del arrays[name]
        elif injury == "replace":
            arrays[name] = draw(st.sampled_from(_wrong_arrays(arrays[name])))
        elif arrays[name].size and arrays[name].dtype.kind in "iub":
            changed = arrays[name].astype(np.int64)
            changed.reshape(-1)[draw(st.integers(0, changed.size - 1))] = draw(st.sampled_from(
                (-1, 2, -(2**15) - 1, 2**15, 2**31, -(2**63), 2**63 - 1)))
            arrays[name] = changed
    buffer = io.BytesIO()
    (np.savez_compressed if draw(st.booleans()) else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def _not_an_npz(arrays: dict[str, np.ndarray]) -> list[bytes]:
    """Files an npz path could hold instead: a bare .npy, a zip of other files, a pickle."""
    npy, other = io.BytesIO(), io.BytesIO()
    np.save(npy, next(iter(arrays.values())))
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("notes.txt", "not arrays")
        archive.writestr("train_points.npy", b"\x93NUMPY garbage")
    return [npy.getvalue(), other.getvalue(), b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00K\x01."]


def hostile_npz(seeds: list[dict[str, np.ndarray]]) -> st.SearchStrategy[bytes]:
    """Random bytes, other kinds of file, or a seed's arrays damaged, sometimes its bytes too."""
    mutated = st.sampled_from(seeds).flatmap(damaged_npz)
    others = [data for arrays in seeds for data in _not_an_npz(arrays)]
    return st.one_of(st.binary(max_size=1024), st.sampled_from(others), mutated, mutated.flatmap(damaged))


# ---- command-line flags ------------------------------------------------------------------------

HOSTILE_FLAG_VALUES = (*HOSTILE_NUMBERS, "0", "-1", "0.0", "1e30", "-1e308", "1e-30", "2147483648",
                       "9223372036854775807", "9223372036854775808", "18446744073709551616", "1e3", "3.", ".5",
                       "7\n", "true", "false", "None", "null", "[]", "{}", "[1,2]", '{"a":1}', "a=b", "=", "x=",
                       "=1", "bias=maybe", "\x00", "\u2028", "\u00e9", "--hidden", "-", "--", "\U0001f642" * 10)


def flag_value() -> st.SearchStrategy[str]:
    """A value for any flag: a hostile literal, a small number, or short random text."""
    return st.one_of(st.sampled_from(HOSTILE_FLAG_VALUES), st.integers(-3, 70).map(str),
                     st.floats(allow_nan=True, allow_infinity=True).map(repr), st.text(max_size=20))


__all__ = ["FUZZ", "damaged", "flag_value", "gzipped", "hostile_bytes", "hostile_json", "hostile_npz",
           "hostile_safetensors", "hostile_text", "maybe_gzipped"]
