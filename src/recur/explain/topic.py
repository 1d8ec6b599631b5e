"""What a topic is, what it returns, and how its ``NAME=VALUE`` options are read.

A topic is a registered function ``run(options, out_dir) -> Explanation``; its options are declared
next to it with a parser and a default written as the user would type it, so the defaults go
through the same parser as the user's values and an unknown or malformed option is refused in
one line that names it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recur.errors import RecurError


@dataclass(frozen=True)
class Explanation:
    """``text``: what the CLI prints; ``numbers``: the key numbers (JSON-serialisable), which the
    tests assert on; ``figures``: the PNGs written (only when an output folder was given)."""

    text: str
    numbers: dict
    figures: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Option:
    parse: Callable[[str], Any]  # raises ValueError with a message that reads after "option NAME "
    default: str
    help: str


@dataclass(frozen=True)
class Topic:
    name: str
    summary: str
    run: Callable[[dict[str, Any], Path | None], Explanation]
    options: Mapping[str, Option] = field(default_factory=dict)

    def read_options(self, given: Mapping[str, object]) -> dict[str, Any]:
        """Every option's value: the user's where given, else the default, each through its parser."""
        unknown = sorted(set(given) - set(self.options))
        if unknown:
            valid = ", ".join(self.options) or "none"
            raise RecurError(f"topic {self.name!r} has no option {', '.join(unknown)}; its options: {valid}")
        values = {}
        for name, option in self.options.items():
            raw = str(given.get(name, option.default))
            try:
                values[name] = option.parse(raw)
            except ValueError as err:
                raise RecurError(f"option {name} {err}") from None
        return values


def whole(minimum: int = 1, maximum: int | None = None) -> Callable[[str], int]:
    """A parser for whole numbers from ``minimum`` to ``maximum`` (None: no upper limit)."""
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"wants a whole number, got {raw!r}") from None
        if value < minimum:
            raise ValueError(f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise ValueError(f"must be at most {maximum}, got {value}")
        return value
    return parse


def positive_real(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"wants a number, got {raw!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"must be a positive number, got {raw!r}")
    return value


BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def boolean(raw: str) -> bool:
    try:
        return BOOLEANS[raw.strip().lower()]
    except KeyError:
        raise ValueError(f"wants true or false, got {raw!r}") from None


def choice(*names: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw not in names:
            raise ValueError(f"must be one of {', '.join(names)}, got {raw!r}")
        return raw
    return parse


def text(raw: str) -> str:
    return raw
