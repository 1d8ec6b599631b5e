"""Finding a data set: an explicit path, else the data root.

Data whose license lets recur ship it lives inside the package (Tiny Shakespeare). Everything else
is looked up under the data root, the folder named by the ``RECUR_DATA`` environment variable and
laid out like the project's ``shared/data`` (``ptb/ptb.train.txt.gz``, ``sst/...``), so that
``RECUR_DATA=../shared/data`` works in a checkout. A data set that is not found is refused with one
line naming the path looked at, the file expected and where it is published.
"""

from __future__ import annotations

import os
from pathlib import Path

from recur.errors import RecurError

DATA_ENV = "RECUR_DATA"


def data_root() -> Path | None:
    """The folder named by ``RECUR_DATA``, or None when it is unset or empty."""
    value = os.environ.get(DATA_ENV, "").strip()
    return Path(value).expanduser() if value else None


def find_data(relative: str, published: str, explicit: str | Path | None = None) -> Path:
    """``explicit`` if given (a file or folder that must exist), else ``$RECUR_DATA/relative``.

    ``published`` says where the data set can be had, for the refusal message."""
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.exists():
            raise RecurError(f"{path}: no such file or folder (expected {relative}; published at {published})")
        return path
    root = data_root()
    if root is None:
        raise RecurError(f"no data given: pass --data, or set {DATA_ENV} to a data root holding {relative} "
                         f"(published at {published})")
    path = root / relative
    if not path.exists():
        raise RecurError(f"{path}: not found; {DATA_ENV}={root} should hold {relative} (published at {published})")
    return path
