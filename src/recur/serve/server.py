"""Listening: bind the socket first (so ``--port 0`` has a real port to print), then hand it to uvicorn."""

from __future__ import annotations

import errno
import ipaddress
import re
import socket

import uvicorn

from recur.errors import RecurError

LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")  # one part of a host name (RFC 1123)


def family_of(host: str) -> socket.AddressFamily:
    """The address family to listen on ``host`` (an IPv4 or IPv6 address, or a host name), or a
    ``RecurError`` for anything else, refused before any name is looked up."""
    try:
        return socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    except ValueError:
        pass
    labels = host.removesuffix(".").split(".")
    # a last part of digits only is a mistyped address (300.1.2.3), not a name
    if len(host) <= 253 and all(LABEL.fullmatch(label) for label in labels) and not labels[-1].isdigit():
        return socket.AF_INET
    raise RecurError(f"--host must be an IP address or a host name, got {host!r}")


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port`` (port 0: a free one the system picks)."""
    if not 0 <= port <= 65535:
        raise RecurError(f"--port must be from 0 to 65535, got {port}")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host  # [::1], as in a URL
    family = family_of(host)
    try:
        return socket.create_server((host, port), family=family)
    except OSError as err:
        hint = "; another program is listening there (--port 0 picks a free port)" \
            if err.errno == errno.EADDRINUSE else ""
        raise RecurError(f"cannot listen on {host}:{port}: {err.strerror or err}{hint}") from None


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def server_for(app, log_level: str = "warning") -> uvicorn.Server:
    return uvicorn.Server(uvicorn.Config(app, log_level=log_level, access_log=False))
