"""What a topic is, what it returns, how its ``NAME=VALUE`` options are read, and how big it may get.

A topic is a registered function ``run(options, out_dir) -> Explanation`` and a ``conclude(numbers)``
that says, in one to three sentences, what the numbers show; ``recur.explain.explain`` ends every
explanation with it, and docs/explain.md quotes it. Its options are declared next to it with a type,
a range and a default written as the user would type it, so the defaults go through the same reading
as the user's values. Every value is checked by ``recur.checks.check_value`` (the one place that
checks values against a type and a range), so an unknown, malformed or out-of-range option is
refused in one line that names it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from recur.checks import check_value
from recur.errors import RecurError
from recur.explain.lectures import Lecture

SEED_LIMITS = {"at_least": 0, "at_most": 2**32 - 1}  # what every random generator recur uses accepts
MAX_BYTES = 2**30  # the lectures' examples need kilobytes; a size past this is a slip (or an attack)
WIDTH = 100  # the conclusion's lines, printed below the numbers
BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


@dataclass(frozen=True)
class Explanation:
    """``text``: what the CLI prints, ending with ``conclusion``; ``numbers``: the key numbers
    (JSON-serialisable), which the tests assert on; ``figures``: the PNGs written (only when an
    output folder was given); ``conclusion``: the sentences that say what the numbers show."""

    text: str
    numbers: dict
    figures: tuple[Path, ...] = ()
    conclusion: str = ""


@dataclass(frozen=True)
class Option:
    """One ``NAME=VALUE`` setting: the text is read as ``kind`` (int, float, bool or str), then
    checked against ``limits`` (recur.checks' range keys: at_least, above, at_most, below) and
    ``choices``."""

    kind: type
    default: str
    help: str
    limits: Mapping[str, float] = field(default_factory=dict)
    choices: tuple[str, ...] | None = None

    def read(self, name: str, raw: str) -> Any:
        return check_value(f"option {name}", typed(self.kind, raw), self.kind, dict(self.limits), self.choices)


def typed(kind: type, raw: str) -> Any:
    """``raw`` read as ``kind``; text that does not read as one is returned as it is (shortened), for
    ``check_value`` to refuse with its usual wording ("must be an integer, got 'x'")."""
    try:
        if kind is bool:
            return BOOLEANS[raw.strip().lower()]
        if kind in (int, float):
            return kind(raw)
    except (KeyError, ValueError):
        return raw if len(raw) <= 40 else raw[:37] + "..."
    return raw


@dataclass(frozen=True)
class Topic:
    name: str
    summary: str
    run: Callable[[dict[str, Any], Path | None], Explanation]
    conclude: Callable[[dict], str]  # the numbers -> one to three sentences saying what they show
    options: Mapping[str, Option] = field(default_factory=dict)
    lecture: Lecture | None = None  # the lecture whose worked example this is

    def read_options(self, given: Mapping[str, object]) -> dict[str, Any]:
        """Every option's value: the user's where given, else the default, each read and checked."""
        unknown = sorted(set(given) - set(self.options))
        if unknown:
            valid = ", ".join(self.options) or "none"
            raise RecurError(f"topic {self.name!r} has no option {', '.join(unknown)}; its options: {valid}")
        return {name: option.read(name, str(given.get(name, option.default))) for name, option in self.options.items()}

    def explain(self, options: Mapping[str, object], out_dir: Path | None) -> Explanation:
        """Run the topic and end its text with its conclusion."""
        result = self.run(self.read_options(options), out_dir)
        conclusion = self.conclude(result.numbers)
        return replace(result, text=f"{result.text}\n\n{textwrap.fill(conclusion, WIDTH)}", conclusion=conclusion)


def whole(default: str, help: str, at_least: int = 1, at_most: int | None = None) -> Option:
    """A whole-number option from ``at_least`` to ``at_most`` (None: no upper limit)."""
    limits = {"at_least": at_least} | ({} if at_most is None else {"at_most": at_most})
    return Option(int, default, help, limits)


def seed_option(help: str = "seeds the random numbers") -> Option:
    return Option(int, "0", help, SEED_LIMITS)


def readable_bytes(size: float) -> str:
    """``1.5e9`` as ``"1.4 GiB"``."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if size < 1024 or unit == "PiB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def require_memory(what: str, values: int, bytes_per_value: int) -> None:
    """Refuse, before anything is allocated, a topic whose tensors would hold more than ``MAX_BYTES``:
    ``what`` names the settings that size it, ``values`` is counted arithmetically from them."""
    need = values * bytes_per_value
    if need > MAX_BYTES:
        raise RecurError(f"{what} would need {readable_bytes(need)} ({values:.3g} values of {bytes_per_value} "
                         f"bytes); recur explain stops at {readable_bytes(MAX_BYTES)}: choose smaller sizes")
