"""Writing a benchmark's results: the one helper every script in bench/ shares."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def write_results(report: dict, out: Path) -> None:
    """JSON to a temp file beside ``out``, then renamed into place: a reader never sees half a file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=out.parent, suffix=".tmp", delete=False, encoding="utf-8") as f:
        f.write(json.dumps(report, indent=2) + "\n")
    os.replace(f.name, out)
