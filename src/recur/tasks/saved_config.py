"""Reading a checkpoint's settings back into a typed config: unknown names are refused, not ignored."""

from __future__ import annotations

from dataclasses import fields

from recur.errors import RecurError


def model_config(config: dict, config_type: type):
    """``config_type(**config["model"])``, refusing settings the type does not have."""
    unknown = set(config["model"]) - {f.name for f in fields(config_type)}
    if unknown:
        raise RecurError(f"config.json names unknown model settings: {', '.join(sorted(unknown))}")
    return config_type(**config["model"])
