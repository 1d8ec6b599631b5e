"""Writing a benchmark's results: the one helper every script in bench/ shares."""

from __future__ import annotations

import json
from pathlib import Path

from recur.atomic import write_json_atomically


def write_results(report: dict, out: Path) -> None:
    """JSON written atomically (``recur.atomic``): a reader never sees half a file."""
    write_json_atomically(out, report)


def add_markdown_option(parser) -> None:
    """``--markdown RESULTS_JSON``: print a saved run's table instead of measuring."""
    parser.add_argument("--markdown", type=Path, metavar="RESULTS_JSON",
                        help="print a saved run's table as Markdown and exit (measures nothing)")


def saved_rows(path: Path) -> list[dict]:
    """The ``rows`` of a results file written by ``write_results``."""
    return json.loads(Path(path).read_text(encoding="utf-8"))["rows"]
