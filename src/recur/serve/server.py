"""Listening: bind the socket first (so ``--port 0`` has a real port to print), then hand it to uvicorn."""

from __future__ import annotations

import socket

import uvicorn

from recur.errors import RecurError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port`` (port 0: a free one the system picks)."""
    if not 0 <= port <= 65535:
        raise RecurError(f"--port must be from 0 to 65535, got {port}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as err:
        raise RecurError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def allowed_hosts(host: str) -> list[str] | None:
    """On a loopback address only the loopback names may ask (no DNS rebinding); elsewhere, any."""
    return ["127.0.0.1", "localhost", "[::1]", "::1"] if host in LOOPBACK else None


def server_for(app, log_level: str = "warning") -> uvicorn.Server:
    return uvicorn.Server(uvicorn.Config(app, log_level=log_level, access_log=False))
