"""What a request to ``recur serve`` may ask, checked before the model sees it.

Each request body is read by ``read_object`` (UTF-8 JSON, one object, each name once) and parsed
into a frozen dataclass by a pure function that refuses a bad field with a ``FieldError`` naming
it; the app answers those with 400 and ``{"error": ..., "field": ...}``. Numbers go through
``recur.checks.check_value`` (type, finite, range). The caps keep one request from holding the
single model for long: a prime or pasted text of at most ``text_chars`` characters, at most
``length`` tokens generated, bodies of at most ``body_bytes``; ``Slots`` keeps at most ``streams``
requests at the model at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from recur.checks import check_value, range_text
from recur.errors import RecurError

MAX_SEED = 2**32 - 1
# Temperature: 0 is greedy. Below 0.01 the logits divided by T overflow for tiny T (1e-320 drew
# "zzzz"), and sampling is greedy in all but name; above 100 every token is about equally likely.
TEMPERATURES = (0.01, 100.0)
LONG_DIGITS = 40  # an integer literal longer than this is read as a float (no field needs one)


@dataclass(frozen=True)
class Limits:
    body_bytes: int = 64 * 1024  # a request body; 5,000 characters of JSON-escaped text fit
    length: int = 2_000  # tokens generated per request
    text_chars: int = 5_000  # a prime or a pasted text
    top: int = 20  # units listed per feature
    # Requests at the model at once, waiting their turn included (``Slots``). Not from the cores: the model
    # has one worker thread whatever their number, so the last request waits for every one before it, and
    # this cap is what bounds that wait (bench/serve_load.py measures it); 64 leaves room for many pages.
    streams: int = 64


class FieldError(RecurError):
    """One field of a request is wrong; ``field`` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class Slots:
    """At most ``size`` requests at the model at once: a generation holds a slot from the moment it is
    accepted until its stream ends, fails or loses its client, waiting for its turn included.
    ``take`` answers at once, so a request past the limit is refused (429), never queued into a wait
    without end. Used only on the event loop's thread, so a plain counter is enough."""

    def __init__(self, size: int):
        self.size, self.taken = size, 0

    def take(self) -> bool:
        if self.taken >= self.size:
            return False
        self.taken += 1
        return True

    def give(self) -> None:
        self.taken -= 1


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
    """A value as the JSON the client sent (null, not None), cut short; lists and objects by kind
    only (writing one out again could recurse as deep as it is nested)."""
    if isinstance(value, (list, dict)):
        return "a JSON list" if isinstance(value, list) else "a JSON object"
    text = json.dumps(value)  # ASCII: a lone surrogate is written as \ud800
    return text if len(text) <= 40 else text[:37] + "..."


def _unique(pairs: list) -> dict:
    """An object's names and values, refusing a name given twice (JSON allows it, and Python would
    keep the last one silently)."""
    seen = set()
    for name, _ in pairs:
        if name in seen:
            raise FieldError(shown(name).strip('"'), f"the request gives {shown(name)} more than once")
        seen.add(name)
    return dict(pairs)


def _integer(text: str):
    # Python's int() refuses literals over 4,300 digits with a ValueError ("not valid JSON");
    # as a float a long literal is a plain out-of-range number that the field's check names.
    return int(text) if len(text) <= LONG_DIGITS else float(text)


def read_object(body: bytes) -> dict:
    """The JSON object in ``body`` (UTF-8, as RFC 8259 requires), or a ``RecurError``: not UTF-8,
    not JSON, nested deeper than Python's parser recurses, not an object, a name given twice."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise RecurError(f"the request body is not UTF-8 (byte {err.start})") from None
    try:
        value = json.loads(text, object_pairs_hook=_unique, parse_int=_integer)
    except RecursionError:
        raise RecurError("the request body is nested too deeply; send one flat JSON object") from None
    except ValueError:
        raise RecurError("the request body is not valid JSON") from None
    if not isinstance(value, dict):
        raise RecurError("the request body must be a JSON object")
    return value


def only(body: dict, request: type) -> None:
    """Refuse fields the request type does not have (a typo would otherwise be ignored silently)."""
    unknown = [name for name in body if name not in request.__dataclass_fields__]
    if unknown:
        names = ", ".join(map(shown, unknown[:3])) + (f" and {len(unknown) - 3:,} more" if len(unknown) > 3 else "")
        raise FieldError(shown(unknown[0]).strip('"'),
                         f"unknown field(s) {names}; known: {', '.join(request.__dataclass_fields__)}")


def number(body: dict, name: str, kind: type, default, limits: dict, optional: bool = False):
    """``body[name]`` as ``kind`` (int or float) within ``limits``; JSON null (or absence) gives
    ``default`` when ``optional``."""
    value = body.get(name, default)
    if value is None and optional:
        return None
    if kind is int and isinstance(value, float) and value.is_integer():
        if abs(value) > 2**53:  # past the floats that hold every whole number; every int field has a top
            raise FieldError(name, f"{name} must be {range_text(limits)}, got {value:g}")
        value = int(value)  # a page's number input may send 200.0
    if isinstance(value, (bool, str, list, dict)) or value is None:
        raise FieldError(name, f"{name} must be {'an integer' if kind is int else 'a number'}, got {shown(value)}")
    try:
        return check_value(name, value, kind, limits)
    except RecurError as err:
        raise FieldError(name, str(err)) from None


def text(body: dict, name: str, limit: int, default: str | None = None) -> str:
    value = body.get(name, default)
    if not isinstance(value, str):
        raise FieldError(name, f"{name} must be a string" + (f", got {shown(value)}" if name in body else
                                                             ", and is missing"))
    if len(value) > limit:
        raise FieldError(name, f"{name} has {len(value):,} characters; at most {limit:,} are accepted")
    return value


def parse_generate(body: dict, limits: Limits, vocab_size: int) -> GenerateRequest:
    """A generation request from its JSON object: ``prime``, ``length``, ``temperature``, ``top_k``
    (at most ``vocab_size``, the model's number of tokens), ``seed``."""
    only(body, GenerateRequest)
    temperature = number(body, "temperature", float, GenerateRequest.temperature, {})
    low, high = TEMPERATURES
    if temperature != 0 and not low <= temperature <= high:
        raise FieldError("temperature",
                         f"temperature must be 0 (greedy) or in [{low:g}, {high:g}], got {temperature:g}")
    try:
        top_k = number(body, "top_k", int, None, {"at_least": 1, "at_most": vocab_size}, optional=True)
    except FieldError as err:
        raise FieldError("top_k", f"{err} ({vocab_size} is the model's number of tokens; null keeps them all)") \
            from None
    seed = number(body, "seed", int, None, {"at_least": 0, "at_most": MAX_SEED}, optional=True)
    return GenerateRequest(prime=text(body, "prime", limits.text_chars, ""),
                           length=number(body, "length", int, GenerateRequest.length,
                                         {"at_least": 1, "at_most": limits.length}),
                           temperature=temperature + 0.0,  # -0.0 is 0
                           top_k=top_k, seed=seed)


def parse_cells(body: dict, limits: Limits) -> CellsRequest:
    """A cell-viewer request: ``text`` (at least 2 characters, so units can be correlated) and ``top``."""
    only(body, CellsRequest)
    pasted = text(body, "text", limits.text_chars)
    if len(pasted) < 2:
        raise FieldError("text", "text must have at least 2 characters")
    return CellsRequest(pasted, number(body, "top", int, CellsRequest.top, {"at_least": 1, "at_most": limits.top}))


@dataclass(frozen=True)
class TranslateRequest:
    text: str
    beam: int = 5


SENTENCE_CHARS = 1_000  # one sentence to translate
MAX_BEAM = 10


def parse_translate(body: dict) -> TranslateRequest:
    """A translation request: ``text`` (one sentence, not blank) and ``beam`` (1 is greedy)."""
    only(body, TranslateRequest)
    sentence = text(body, "text", SENTENCE_CHARS)
    if not sentence.strip():
        raise FieldError("text", "text is empty: give a sentence to translate")
    if "\n" in sentence.strip():
        raise FieldError("text", "text must be one sentence (one line)")
    return TranslateRequest(sentence.strip(), number(body, "beam", int, TranslateRequest.beam,
                                                     {"at_least": 1, "at_most": MAX_BEAM}))


MUSIC_SECONDS = 64  # of music per request: its WAV (22.05 kHz, 16-bit mono) is about 2.8 MB


@dataclass(frozen=True)
class MusicRequest:
    steps: int = 64
    temperature: float = 1.0
    seed: int | None = None


def parse_music(body: dict, step_seconds: float) -> MusicRequest:
    """A music request: ``steps`` (at most ``MUSIC_SECONDS`` of music), ``temperature`` (0 greedy),
    ``seed``."""
    only(body, MusicRequest)
    most = int(MUSIC_SECONDS / step_seconds)
    temperature = number(body, "temperature", float, MusicRequest.temperature, {"at_least": 0, "at_most": 100})
    return MusicRequest(number(body, "steps", int, MusicRequest.steps, {"at_least": 1, "at_most": most}),
                        temperature + 0.0,
                        number(body, "seed", int, None, {"at_least": 0, "at_most": MAX_SEED}, optional=True))
