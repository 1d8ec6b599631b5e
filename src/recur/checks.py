"""Values checked against their declared type and range, in one place: config dataclass fields
(``check_config``, called by each config's ``__post_init__``, so the Python API, the command line and
a hand-edited config.json all get the same refusal), keyword options (``check_options``: a cell's
``--cell-option``, typed by its constructor's annotations) and command-line numbers
(``number_flag``, an argparse ``type``) and the files a picture is written to (``output_file``).

A range is declared in a field's metadata, or as keywords:

    at_least=0      value >= 0          above=0     value > 0
    at_most=1       value <= 1          below=1     value < 1

Every float must be finite (no nan, no inf); an int must be a whole number (``True`` is not 1, and
``"32"`` is not 32); a bool must be true or false. A refusal is one ``RecurError`` line naming the
setting, the rule and the value.
"""

from __future__ import annotations

import argparse
import inspect
import math
import types
import typing
from dataclasses import fields, is_dataclass
from pathlib import Path

from recur.errors import RecurError

RANGE_KEYS = ("at_least", "above", "at_most", "below")
_TYPE_WORDS = {bool: "true or false", int: "an integer", float: "a number", str: "text", dict: "a JSON object",
               list: "a JSON list", tuple: "a JSON list"}


def range_of(metadata) -> dict:
    """The range keys (``at_least``, ``above``, ...) found in a field's metadata."""
    return {key: metadata[key] for key in RANGE_KEYS if key in metadata}


def range_text(limits: dict) -> str:
    """``{"above": 0, "at_most": 1}`` as ``"in (0, 1]"``; one bound as ``"> 0"``."""
    low = ("[", limits["at_least"]) if "at_least" in limits else ("(", limits["above"]) if "above" in limits else None
    high = ("]", limits["at_most"]) if "at_most" in limits else (")", limits["below"]) if "below" in limits else None
    if low and high:
        return f"in {low[0]}{_number(low[1])}, {_number(high[1])}{high[0]}"
    if low:
        return f"{'>=' if low[0] == '[' else '>'} {_number(low[1])}"
    if high:
        return f"{'<=' if high[0] == ']' else '<'} {_number(high[1])}"
    return ""


def _number(value) -> str:
    """An int in full (2**63 - 1 is not 9.22337e+18), a float as ``g`` writes it."""
    return str(value) if isinstance(value, int) else f"{value:g}"


def _inside(value, limits: dict) -> bool:
    return (value >= limits.get("at_least", -math.inf) and value > limits.get("above", -math.inf)
            and value <= limits.get("at_most", math.inf) and value < limits.get("below", math.inf))


def _optional(annotation) -> tuple[object, bool]:
    """``(int, True)`` for ``int | None``; ``(int, False)`` for ``int``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return (args[0] if len(args) == 1 else annotation), len(args) < len(typing.get_args(annotation))
    return annotation, False


def check_value(name: str, value, annotation, limits: dict | None = None, choices=None):
    """``value`` as ``annotation`` says (an int given for a float becomes a float), or a
    ``RecurError`` naming ``name``: the wrong type, not finite, outside ``limits`` or ``choices``."""
    kind, optional = _optional(annotation)
    if value is None:
        if optional:
            return None
        raise RecurError(f"{name} must be {_TYPE_WORDS.get(kind, 'given')}, got nothing")
    kind = typing.get_origin(kind) or kind
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if ok:
            value = float(value)
            if not math.isfinite(value):
                raise RecurError(f"{name} must be a finite number, got {value}")
    elif kind in (str, dict):
        ok = isinstance(value, kind)
    elif kind in (list, tuple):
        ok = isinstance(value, (list, tuple))
    else:
        ok = True  # a type this module does not check (a tensor, a callable)
    if not ok:
        raise RecurError(f"{name} must be {_TYPE_WORDS[kind]}, got {value!r}")
    if limits and kind in (int, float) and not _inside(value, limits):
        raise RecurError(f"{name} must be {range_text(limits)}, got {_number(value)}")
    if choices is not None and value not in choices:
        raise RecurError(f"unknown {name} {value!r}; choose one of: {', '.join(map(str, choices))}")
    return value


def setting_name(field_name: str) -> str:
    """How a refusal names a field: ``min_lr_ratio`` as ``min-lr-ratio``, as its flag spells it."""
    return field_name.replace("_", "-")


def field_metadata(config_type: type, field) -> dict:
    """``field``'s metadata merged over its base configs' for the same field: a subclass that only
    changes a default (``hidden: int = 64``) keeps the base's help, choices and range."""
    merged = {}
    for base in reversed(config_type.__mro__):
        for candidate in fields(base) if is_dataclass(base) else ():
            if candidate.name == field.name:
                merged.update(candidate.metadata)
    return merged


def check_config(config) -> None:
    """Check every field of the dataclass ``config`` against its annotation and its metadata's range
    and choices; an int given for a float field is stored as a float."""
    hints = typing.get_type_hints(type(config))
    for field in fields(config):
        value = getattr(config, field.name)
        metadata = field_metadata(type(config), field)
        checked = check_value(setting_name(field.name), value, hints[field.name], range_of(metadata),
                              metadata.get("choices"))
        if checked is not value:
            object.__setattr__(config, field.name, checked)  # frozen dataclasses too


def check_options(owner: str, options: dict, function, skip: set[str] = frozenset()) -> dict:
    """``options`` for the keyword parameters of ``function``, each checked against its annotation
    (a parameter without one must match its default's type); an unknown name is refused with the
    known ones. ``owner`` names what takes them, e.g. "cell 'esn'"."""
    parameters = {name: p for name, p in inspect.signature(function).parameters.items()
                  if name not in skip and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}
    unknown = sorted(set(options) - set(parameters))
    if unknown:
        raise RecurError(f"{owner} has no option {', '.join(unknown)}; its options: {', '.join(parameters) or 'none'}")
    hints = typing.get_type_hints(function)
    checked = {}
    for name, value in options.items():
        default = parameters[name].default
        annotation = hints.get(name, type(default) if default is not inspect.Parameter.empty else object)
        checked[name] = check_value(f"{owner} option {name}", value, annotation)
    return checked


def number_flag(kind: type, **limits):
    """An argparse ``type`` for a number flag: ``kind`` (int or float), finite, within ``limits``;
    argparse prints a refusal as ``argument --flag: must be > 0, got nan``."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {_TYPE_WORDS[kind]}, got {text!r:.60}") from None
        try:
            return check_value("", value, kind, limits)
        except RecurError as err:
            raise argparse.ArgumentTypeError(str(err).lstrip()) from None
    parse.__name__ = kind.__name__  # argparse names the type in its own messages
    return parse


def output_file(*suffixes: str):
    """An argparse ``type`` for a picture or page to write: a file name ending in one of ``suffixes``
    (the format written, so ``.jpg`` never silently gets PNG bytes), not an existing folder."""
    named = " or ".join(suffixes)

    def parse(text: str) -> str:
        if Path(text).is_dir():
            raise argparse.ArgumentTypeError(f"{text} is a folder; name a {named} file to write")
        if Path(text).suffix.lower() not in suffixes:
            raise argparse.ArgumentTypeError(f"expected a file name ending in {named} (the format written), "
                                             f"got {text!r}")
        return text
    return parse
