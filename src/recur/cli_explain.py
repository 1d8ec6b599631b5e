"""``recur explain TOPIC``: the face of ``recur.explain``. Prints the explanation, then one last
line of JSON (topic, numbers, figures) for scripts."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from recur.cli_flags import parse_assignments
from recur.explain import TOPICS, explain


def add_explain_command(subparsers) -> None:
    """Add ``explain`` to the ``recur`` command's subparsers."""
    command = subparsers.add_parser(
        "explain", help="the lectures' worked examples, with their numbers and pictures",
        description="Reproduce one of the lectures' worked examples: print its numbers (then a last line of "
                    "JSON) and, with --out, write its picture.",
        epilog=topic_listing(),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    command.add_argument("topic", metavar="TOPIC", help=f"one of: {', '.join(TOPICS)}")
    command.add_argument("--out", default=None, metavar="DIR",
                         help="folder for the topic's PNG (default: none is written)")
    command.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                         help="a topic's setting, repeatable, e.g. --option cell=lstm --option bias=true")
    command.set_defaults(run=run_explain)


def topic_listing() -> str:
    """Every topic with its summary and lecture, then its options as ``NAME=DEFAULT  what it sets``."""
    lines = ["topics (options shown with their defaults):"]
    for name, topic in TOPICS.items():
        lines += ["", f"  {name:<11} {topic.summary}"]
        if topic.lecture is not None:
            lines.append(f"  {'':<11} from {topic.lecture}")
        for option_name, option in topic.options.items():
            default = option.default if option.default and " " not in option.default else repr(option.default)
            setting = f"{option_name}={default}"
            lines.append(f"    {setting:<18} {option.help}")
    return "\n".join(lines)


def run_explain(args) -> int:
    options = parse_assignments(args.option, "--option", json_values=False)
    result = explain(args.topic, Path(args.out) if args.out else None, options)
    print(result.text)
    print(json.dumps({"topic": args.topic, "numbers": result.numbers, "figures": [str(p) for p in result.figures]}))
    return 0
