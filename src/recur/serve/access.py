"""Who may ask: the Host check on a loopback address, and the optional token anywhere.

On a loopback address only requests naming a loopback host are answered, so a page on another site
cannot reach the server through DNS rebinding. Elsewhere the names the machine answers to are not
known, so the check is off; ``exposure_warning`` says so, and a token (``--token`` or the
``RECUR_SERVE_TOKEN`` environment variable) is what keeps strangers out. With a token every request
must carry it, as ``Authorization: Bearer TOKEN`` or as ``?token=TOKEN`` in the URL (how a browser
opens the page; the page then sends it as the header); any other request gets 401.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from urllib.parse import parse_qsl

from recur.errors import RecurError

TOKEN_ENV = "RECUR_SERVE_TOKEN"
TOKEN_CHARS = 16  # at least; printable ASCII, no spaces (it travels in a header and a URL)
LOOPBACK_NAMES = ["localhost", "127.0.0.1", "::1", "[::1]"]


def is_loopback(address: str) -> bool:
    """Whether the bound ``address`` (an IP, as ``socket.getsockname`` gives it) is this machine only."""
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


def allowed_hosts(address: str) -> list[str] | None:
    """The Host names answered on the bound ``address``: loopback names on a loopback address; None
    (any) elsewhere."""
    return [*LOOPBACK_NAMES, address] if is_loopback(address) else None


def exposure_warning(address: str, port: int, token: str | None) -> str | None:
    """The warning line for a server other machines can reach (None on a loopback address)."""
    if is_loopback(address):
        return None
    where = f"recur serve: warning: listening on {address}:{port}, which other machines can reach"
    if token is None:
        return (f"{where}: anyone who reaches it can use the model, and the Host check is off; set a token "
                f"with --token or {TOKEN_ENV} (see docs/serve.md), or use --host 127.0.0.1")
    return f"{where}; requests need the token, which plain HTTP carries unencrypted"


def check_token(token: str | None, source: str = "--token") -> str | None:
    """``token`` if it is usable (None: no token), or a ``RecurError`` naming ``source``."""
    if token is None:
        return None
    if not token.isascii() or not token.isprintable() or " " in token:
        raise RecurError(f"{source} must be printable ASCII without spaces (it travels in a header and a URL)")
    if len(token) < TOKEN_CHARS:
        raise RecurError(f"{source} must have at least {TOKEN_CHARS} characters, got {len(token)}; "
                         "python -c 'import secrets; print(secrets.token_urlsafe())' makes one")
    return token


def carries(scope: dict, token: bytes) -> bool:
    """Whether the HTTP request ``scope`` carries ``token`` (compared in constant time)."""
    for name, value in scope["headers"]:
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return hmac.compare_digest(value[7:].strip(), token)
    given = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"))).get("token", "")
    return hmac.compare_digest(given.encode("utf-8", "replace"), token)


def host_of(scope: dict) -> str:
    """The host name of the request's ``Host`` header, without its port (``[::1]:8000`` -> ``[::1]``)."""
    host = next((value for name, value in scope["headers"] if name == b"host"), b"").decode("latin-1")
    return host[: host.index("]") + 1] if host.startswith("[") and "]" in host else host.split(":")[0]


async def refuse(send, status: int, message: str, headers: tuple = ()) -> None:
    """Answer an HTTP request with ``status`` and ``{"error": message}`` (the app's JSON refusal)."""
    body = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store"), *headers]})
    await send({"type": "http.response.body", "body": body})


class HostGate:
    """ASGI middleware: HTTP requests whose ``Host`` is not one of ``allowed`` get 400 and a JSON error."""

    def __init__(self, app, allowed: list[str]):
        self.app, self.allowed = app, set(allowed)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or host_of(scope) in self.allowed:
            return await self.app(scope, receive, send)
        await refuse(send, 400, f"this server answers only requests for {', '.join(sorted(self.allowed))} (the "
                                f"Host header said {host_of(scope)[:100] or 'nothing'}); open the page by one of those names")


class TokenGate:
    """ASGI middleware: HTTP requests without ``token`` get 401 and a JSON error."""

    def __init__(self, app, token: str):
        self.app, self.token = app, token.encode("ascii")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or carries(scope, self.token):
            return await self.app(scope, receive, send)
        await refuse(send, 401, "this server needs its token: open the page as /?token=TOKEN, or send the header "
                                "Authorization: Bearer TOKEN", ((b"www-authenticate", b"Bearer"),))
