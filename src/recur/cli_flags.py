"""Command-line flags made from config dataclasses: one flag per field, the field's type, default,
choices and help, so that a setting is declared once (in its config) and ``--help`` never disagrees
with the code.

    field ``seq_len: int = 64``                     ->  --seq-len N        (default: 64)
    field ``tie_weights: bool = False``             ->  --tie-weights / --no-tie-weights
    field ``cell_options: dict``                    ->  --cell-option NAME=VALUE, repeatable
    ``field(metadata={"flag": False})``             ->  no flag (the data decides it: vocab size, ...)
    ``field(metadata={"flag_name": "source"})``     ->  --source, for a field named otherwise
    ``field(metadata={"choices": ..., "help": ...})`` -> argparse choices and help text

Every flag defaults to None, so ``given`` tells the flags a user typed from those left to the config.
"""

from __future__ import annotations

import argparse
import json
import types
import typing
from dataclasses import MISSING, fields

from recur.checks import field_metadata, number_flag, range_of, range_text
from recur.errors import RecurError


def flag_fields(config_type: type) -> list:
    """The fields of ``config_type`` that are command-line flags."""
    return [f for f in fields(config_type) if f.metadata.get("flag", True)]


def flag_name(field_name: str, metadata: typing.Mapping | None = None) -> str:
    if metadata and "flag_name" in metadata:
        return "--" + metadata["flag_name"]
    return "--" + ("cell-option" if field_name == "cell_options" else field_name.replace("_", "-"))


def _value_type(annotation) -> type:
    """``int`` for ``int`` and ``int | None``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    return annotation


def _default_text(field) -> str | None:
    if "default_text" in field.metadata:
        return field.metadata["default_text"]
    if field.default is not MISSING:
        return str(field.default)
    return None


def add_config_flags(group, config_type: type, defaults: dict | None = None) -> None:
    """Add a flag for every flag field of ``config_type`` to ``group`` (a parser or argument group);
    ``defaults`` replaces fields' defaults in the help (a task's own training defaults)."""
    hints = typing.get_type_hints(config_type)
    for field in flag_fields(config_type):
        kind = _value_type(hints[field.name])
        metadata = field_metadata(config_type, field)
        default = str((defaults or {})[field.name]) if field.name in (defaults or {}) else _default_text(field)
        described = metadata.get("help")
        limits = range_of(metadata)
        help_text = "; ".join(t for t in (described, limits and range_text(limits), default and f"default: {default}")
                              if t)
        if kind is dict:
            group.add_argument(flag_name(field.name, metadata), dest=field.name, action="append", metavar="NAME=VALUE",
                               default=None, help=described)
        elif kind is bool:
            group.add_argument(flag_name(field.name, metadata), dest=field.name, action=argparse.BooleanOptionalAction,
                               default=None, help=help_text)
        else:
            parse = number_flag(kind, **limits) if kind in (int, float) else kind
            group.add_argument(flag_name(field.name, metadata), dest=field.name, type=parse, default=None,
                               choices=metadata.get("choices"), help=help_text or None)


def given(args: argparse.Namespace, config_type: type) -> dict:
    """The fields of ``config_type`` the user gave as flags, with their values (``NAME=VALUE`` lists
    read into a dict)."""
    options = {}
    for field in flag_fields(config_type):
        value = getattr(args, field.name, None)
        if value is not None:
            options[field.name] = parse_assignments(value, flag_name(field.name, field.metadata)) \
                if isinstance(value, list) else value
    return options


def parse_assignments(items: list[str], flag: str, json_values: bool = True) -> dict:
    """``["periods=[1,2]", "leak=0.5"]`` as ``{"periods": [1, 2], "leak": 0.5}``: a value is read as
    JSON when it parses (``json_values``), else kept as text; each name at most once."""
    options = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise RecurError(f"{flag} wants NAME=VALUE, got {item!r}")
        if name in options:
            raise RecurError(f"{flag} {name} given twice")
        if json_values:
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                pass
        options[name] = value
    return options
