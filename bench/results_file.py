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


def add_markdown_option(parser) -> None:
    """``--markdown RESULTS_JSON``: print a saved run's table instead of measuring."""
    parser.add_argument("--markdown", type=Path, metavar="RESULTS_JSON",
                        help="print a saved run's table as Markdown and exit (measures nothing)")


def saved_rows(path: Path) -> list[dict]:
    """The ``rows`` of a results file written by ``write_results``."""
    return json.loads(Path(path).read_text(encoding="utf-8"))["rows"]
