"""What a request to ``recur serve`` may ask, checked before the model sees it.

Each request is parsed into a frozen dataclass by a pure function that refuses a bad field with a
``FieldError`` naming it; the app answers those with 400 and ``{"error": ..., "field": ...}``. The
caps keep one request from holding the single model for long: a prime or pasted text of at most
``text_chars`` characters, at most ``length`` tokens generated, bodies of at most ``body_bytes``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from recur.errors import RecurError

MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class Limits:
    body_bytes: int = 64 * 1024  # a request body; 5,000 characters of JSON-escaped text fit
    length: int = 2_000  # tokens generated per request
    text_chars: int = 5_000  # a prime or a pasted text
    top: int = 20  # units listed per feature


class FieldError(RecurError):
    """One field of a request is wrong; ``field`` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class GenerateRequest:
    prime: str = ""
    length: int = 500
    temperature: float = 1.0
    top_k: int | None = None
    seed: int | None = None


@dataclass(frozen=True)
class CellsRequest:
    text: str
    top: int = 5


def shown(value) -> str:
    """A value as the JSON the client sent (null, not None), cut short."""
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def only(body: dict, request: type) -> None:
    """Refuse fields the request type does not have (a typo would otherwise be ignored silently)."""
    unknown = [name for name in body if name not in request.__dataclass_fields__]
    if unknown:
        raise FieldError(unknown[0], f"unknown field(s) {', '.join(map(repr, unknown))}; "
                                     f"known: {', '.join(request.__dataclass_fields__)}")


def whole(body: dict, name: str, default, low: int, high: int | None, optional: bool = False):
    """``body[name]`` as an int in ``[low, high]``; JSON null (or absence) gives ``default`` when ``optional``."""
    value = body.get(name, default)
    if value is None and optional:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a page's number input may send 200.0
    if not isinstance(value, int) or isinstance(value, bool):
        raise FieldError(name, f"{name} must be a whole number, got {shown(value)}")
    if value < low or (high is not None and value > high):
        bound = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise FieldError(name, f"{name} must be {bound}, got {value}")
    return value


def text(body: dict, name: str, limit: int, default: str | None = None) -> str:
    value = body.get(name, default)
    if not isinstance(value, str):
        raise FieldError(name, f"{name} must be a string" + ("" if name in body else ", and is missing"))
    if len(value) > limit:
        raise FieldError(name, f"{name} has {len(value):,} characters; at most {limit:,} are accepted")
    return value


def parse_generate(body: dict, limits: Limits) -> GenerateRequest:
    """A generation request from its JSON object: ``prime``, ``length``, ``temperature``, ``top_k``, ``seed``."""
    only(body, GenerateRequest)
    temperature = body.get("temperature", GenerateRequest.temperature)
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not math.isfinite(temperature) \
            or temperature < 0:
        raise FieldError("temperature", f"temperature must be a number, 0 (greedy) or more, got {shown(temperature)}")
    return GenerateRequest(prime=text(body, "prime", limits.text_chars, ""),
                           length=whole(body, "length", GenerateRequest.length, 1, limits.length),
                           temperature=float(temperature),
                           top_k=whole(body, "top_k", None, 1, None, optional=True),
                           seed=whole(body, "seed", None, 0, MAX_SEED, optional=True))


def parse_cells(body: dict, limits: Limits) -> CellsRequest:
    """A cell-viewer request: ``text`` (at least 2 characters, so units can be correlated) and ``top``."""
    only(body, CellsRequest)
    pasted = text(body, "text", limits.text_chars)
    if len(pasted) < 2:
        raise FieldError("text", "text must have at least 2 characters")
    return CellsRequest(pasted, whole(body, "top", CellsRequest.top, 1, limits.top))
