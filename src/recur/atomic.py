"""Writing a file so that a reader never sees it half-written: write a temporary sibling, then rename.
The one mechanism for every file recur writes (checkpoint folders use the same idea for a folder:
``recur.train.checkpoint``)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary_path)``, then rename the result onto ``path`` (the old file, if any,
    stays whole until that moment; on failure the temporary file is removed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_json_atomically(path: str | Path, data) -> Path:
    """``data`` as indented UTF-8 JSON, written atomically."""
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
