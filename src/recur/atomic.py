"""Writing a file so that a reader never sees it half-written: write a temporary sibling, flush it
to disk, then rename. The one mechanism for every file recur writes (checkpoint folders use the
same idea for a folder: ``recur.train.checkpoint``, with ``durable`` and ``as_umask_allows``).

The temporary file is made with the permissions a plain ``open`` would give (the user's umask),
not the private 0600 of a temp file, and is ``fsync``ed before the rename, the folder after it, so
that a power cut leaves the old file or the new one, never an empty one.
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Callable
from pathlib import Path


def current_umask() -> int:
    """The process's umask (read by setting and restoring it: there is no getter)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def as_umask_allows(path: Path) -> None:
    """Give ``path`` (and, for a folder, everything in it) the mode a plain ``open`` / ``mkdir``
    would: 0666 / 0777 less the umask."""
    mask = current_umask()
    path = Path(path)
    for item in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.chmod(item, (0o777 if item.is_dir() else 0o666) & ~mask)


def durable(path: Path) -> None:
    """``fsync`` the file ``path``, or a folder's files and the folder itself (a folder recur wrote)."""
    path = Path(path)
    for item in [*path.rglob("*"), path] if path.is_dir() else [path]:
        _fsync(item)


def durable_entries(folder: Path) -> None:
    """``fsync`` the folder itself, so that a rename in it is on disk; nothing in it is opened (it may be
    the user's /tmp or home, holding sockets and millions of files)."""
    _fsync(Path(folder))


def _fsync(item: Path) -> None:
    fd = os.open(item, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_TEMPORARY_PREFIX = ".{name}.tmp"  # then the writer's PID and the file's suffix


def leftovers_of(path: str | Path) -> list[Path]:
    """The temporary files that ``write_atomically(path)`` calls killed mid-write left beside ``path``
    (a kill skips the clean-up). Remove them only where no process can be writing ``path``."""
    path = Path(path)
    return sorted(path.parent.glob(glob.escape(_TEMPORARY_PREFIX.format(name=path.name)) + "*"))


def write_atomically(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary_path)``, then rename the result onto ``path`` (the old file, if any,
    stays whole until that moment; on failure the temporary file is removed)."""
    path = Path(path)
    tmp = path.with_name(f"{_TEMPORARY_PREFIX.format(name=path.name)}{os.getpid()}{path.suffix}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        as_umask_allows(tmp)
        durable(tmp)
        os.replace(tmp, path)
        durable_entries(path.parent)
    except OSError as err:  # name the file the user asked for, never the temporary one
        raise OSError(err.errno, err.strerror or str(err), str(path)) from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_json_atomically(path: str | Path, data) -> Path:
    """``data`` as indented UTF-8 JSON, written atomically."""
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
