"""The Starlette app of ``recur serve``: one loaded language model behind three routes.

    GET  /              the page (``page.py``)
    POST /api/generate  {prime, length, temperature, top_k, seed} -> the generated text, streamed as drawn
    POST /api/cells     {text, top} -> ``recur.viz.cells_html.cells_data`` for the text (character models)

Every refusal is JSON, ``{"error": message}`` (plus ``"field"`` when one field is wrong): 400 for a
bad request or a ``RecurError`` from the library (an unseen character), 401 without the token
(when there is one, ``access.py``), 413 for a body over the limit, 415 for a body that is not JSON,
404/405 for a wrong route or method, 429 (with ``Retry-After``) when ``limits.streams`` requests are
at the model already, and 500 (never plain text) for a fault of the server's own.
The checkpoint is fixed when the app is built; nothing in a request names a file.

The model has one worker thread: generations and recordings take turns on it, off the event loop,
so the page and other requests are answered while it writes. Each holds one of ``limits.streams``
slots (``limits.Slots``) while it waits and runs; past them a request is refused at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, StreamingResponse
from starlette.routing import Route

from recur.analysis.activations import record_units, top_units
from recur.errors import RecurError
from recur.generate.sampling import check_sampling
from recur.serve.access import HostGate, TokenGate
from recur.serve.limits import (
    TEMPERATURES,
    FieldError,
    GenerateRequest,
    Limits,
    Slots,
    parse_cells,
    parse_generate,
    read_object,
)
from recur.serve.page import playground_page
from recur.serve.relay import relay
from recur.viz.cells_html import cells_data

# The page loads nothing from elsewhere, and may send requests only to this server.
PAGE_POLICY = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
               "connect-src 'self'; base-uri 'none'; form-action 'none'")
PLAIN = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
RETRY_AFTER = "1"  # seconds: a turn at the model is short (a few thousand tokens at most)


class Refusal(JSONResponse):
    """A JSON answer written in ASCII: a message quoting a lone surrogate the client sent cannot
    fail to encode (Starlette's own writes UTF-8, which has no form for one)."""

    def render(self, content) -> bytes:
        return json.dumps(content, allow_nan=False).encode("ascii")


def model_info(lm, name: str, limits: Limits) -> dict:
    """What the page shows about the model and needs to know of the limits."""
    config = lm.model.config
    return {"name": name, "unit": lm.unit, "cells": lm.unit == "character", "cell": config.cell,
            "layers": config.layers, "hidden": config.hidden, "vocab": len(lm.vocab),
            "limits": asdict(limits), "temperatures": TEMPERATURES, "defaults": asdict(GenerateRequest())}


async def read_json(request: Request, limit: int) -> dict:
    """The request's JSON object, refused past ``limit`` bytes before it is all read."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise HTTPException(415, "send the request body as JSON (Content-Type: application/json)")
    declared = request.headers.get("content-length", "")
    too_large = f"the request body is over the limit of {limit:,} bytes"
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, too_large)
    body = bytearray()
    async for chunk in request.stream():  # a body sent without a length is counted as it comes
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, too_large)
    return read_object(bytes(body))


def refused(field: str, err: RecurError) -> FieldError:
    return FieldError(field, str(err))


def take_slot(slots: Slots) -> None:
    """One of the model's slots, or a 429 at once (a request past the limit is never queued)."""
    if not slots.take():
        raise HTTPException(429, f"the server is busy: {slots.size} requests are at the model already, its limit "
                                 "(recur serve --max-streams); try again in a moment",
                            headers={"Retry-After": RETRY_AFTER})


async def on_the_model(slots: Slots, worker: ThreadPoolExecutor, work):
    """``work()`` on the model's worker thread, holding a slot while it waits and runs."""
    take_slot(slots)
    try:
        return await asyncio.get_running_loop().run_in_executor(worker, work)
    finally:
        slots.give()


class HeldStream(StreamingResponse):
    """A streamed answer that gives its slot back when it is over: written out, broken off by a
    failure, or cancelled because its client went away (Starlette then cancels ``__call__``).
    Given back here, not in the body's generator, whose ``finally`` never runs if it never started."""

    def __init__(self, content, give_back, **kwargs):
        super().__init__(content, **kwargs)
        self.give_back = give_back

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.give_back()


def create_app(lm, name: str = "model", limits: Limits = Limits(),
               allowed_hosts: list[str] | None = None, token: str | None = None) -> Starlette:
    """The app over ``lm`` (what ``recur.load`` returns for charlm or wordlm). ``allowed_hosts``, when
    given, refuses requests for any other Host (a page elsewhere cannot reach the server by DNS
    rebinding); None accepts any. ``token``, when given, must come with every request
    (``access.TokenGate``)."""
    worker, slots = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recur-model"), Slots(limits.streams)
    page = playground_page(model_info(lm, name, limits))

    async def index(request: Request) -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": PAGE_POLICY, **PLAIN})

    async def generate(request: Request) -> StreamingResponse:
        ask = parse_generate(await read_json(request, limits.body_bytes), limits, len(lm.vocab))
        try:  # refused now, while the answer can still be a 400; the stream itself checks again
            lm.context(ask.prime)
        except RecurError as err:
            raise refused("prime", err) from None
        check_sampling(ask.temperature, ask.top_k, None)

        def pieces():
            for step in lm.stream(ask.prime, ask.length, ask.temperature, ask.top_k, None, ask.seed):
                yield step[0]  # one sample

        take_slot(slots)  # last, so a bad request is still told what is wrong with it
        return HeldStream(relay(pieces, worker), slots.give, media_type="text/plain; charset=utf-8", headers=PLAIN)

    async def cells(request: Request) -> JSONResponse:
        if lm.unit != "character":
            raise RecurError(f"this is a {lm.unit} model; the cell viewer colours characters, so it needs "
                             "a character model (recur train charlm)")
        ask = parse_cells(await read_json(request, limits.body_bytes), limits)
        try:
            ids = lm.vocab.encode(ask.text, "the text")
        except RecurError as err:
            raise refused("text", err) from None

        def measure() -> dict:
            activations = record_units(lm.model, ids)
            return cells_data(ask.text, activations, top_units(activations, ask.text, ask.top))

        return JSONResponse(await on_the_model(slots, worker, measure), headers=PLAIN)

    return guarded_app([Route("/", index), Route("/api/generate", generate, methods=["POST"]),
                        Route("/api/cells", cells, methods=["POST"])], allowed_hosts, token, worker_lifespan(worker))


def guarded_app(routes: list[Route], allowed_hosts: list[str] | None, token: str | None, lifespan) -> Starlette:
    """The app of every ``recur serve`` page: its routes behind the Host check and the token gate,
    every refusal answered as JSON (the module docstring)."""
    middleware = [Middleware(HostGate, allowed=allowed_hosts)] if allowed_hosts else []
    middleware += [Middleware(TokenGate, token=token)] if token is not None else []
    return Starlette(routes=routes, exception_handlers={HTTPException: http_refusal, RecurError: recur_refusal,
                                                        Exception: fault},
                     middleware=middleware, lifespan=lifespan)


def worker_lifespan(worker: ThreadPoolExecutor):
    """A lifespan that stops the model's worker thread when the server stops."""
    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        worker.shutdown(wait=False, cancel_futures=True)
    return lifespan


async def http_refusal(request: Request, err: HTTPException) -> JSONResponse:
    message = err.detail if err.status_code != 404 else f"no such page: {request.url.path}"
    return Refusal({"error": message}, status_code=err.status_code, headers={**(err.headers or {}), **PLAIN})


async def recur_refusal(request: Request, err: RecurError) -> JSONResponse:
    field = {"field": err.field} if isinstance(err, FieldError) else {}
    return Refusal({"error": str(err), **field}, status_code=400, headers=PLAIN)


async def fault(request: Request, err: Exception) -> JSONResponse:
    """A fault of the server's own: JSON like every other answer (Starlette then re-raises it, so
    it is logged, and a test client sees it)."""
    return Refusal({"error": "the server failed on this request; its log says why"}, status_code=500, headers=PLAIN)
