"""Reading a user's text file (plain or gzip, UTF-8) and the held-out validation split."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

from recur.errors import RecurError

GZIP_MAGIC = b"\x1f\x8b"


def read_text(path: str | Path) -> str:
    """The whole file as a string; a ``.gz`` (recognised by its magic bytes) is decompressed.

    Refuses, with one line naming the file and the problem: a missing path, a directory, an empty
    file, binary data (a NUL byte) and bytes that are not UTF-8.
    """
    path = Path(path)
    if not path.exists():
        raise RecurError(f"{path}: no such file")
    if path.is_dir():
        raise RecurError(f"{path}: is a directory, expected a text file")
    raw = path.read_bytes()
    if raw[:2] == GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise RecurError(f"{path}: not a valid gzip file ({err})") from None
    if not raw:
        raise RecurError(f"{path}: file is empty")
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise RecurError(f"{path}: looks like binary data (NUL byte at offset {nul}), expected UTF-8 text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        bad = raw[err.start]
        raise RecurError(f"{path}: not UTF-8 text (byte 0x{bad:02x} at offset {err.start})") from None


def split_validation(text: str, val_fraction: float) -> tuple[str, str]:
    """(train, validation): the validation part is the last ``val_fraction`` of the text.

    The cut is ``int(len(text) * (1 - val_fraction))``, nanoGPT's ``shakespeare_char`` convention
    (Tiny Shakespeare at 0.1: 1,003,854 train / 111,540 validation characters).
    """
    if not 0.0 < val_fraction < 1.0:
        raise RecurError(f"validation fraction must be between 0 and 1, got {val_fraction}")
    cut = int(len(text) * (1 - val_fraction))
    return text[:cut], text[cut:]
