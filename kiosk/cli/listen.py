"""Why a server cannot listen on ``--host``/``--port``, in words that say what to do.

``kiosk collector serve`` and ``kiosk serve`` both listen on an address the organiser
types. A port in use and an address this machine does not have (a laptop moved to another
network, a typo) fail alike in the socket layer, and the fix differs: another ``--port``,
or another ``--host``. Both commands ask here, so they say it the same way.
"""

from __future__ import annotations

import errno
import socket


def listen_problem(host: str, port: int) -> str | None:
    """Why this machine cannot listen on ``host:port`` now (with what to do), or None.

    Binds and closes a socket as the servers do (SO_REUSEADDR, as socket.create_server
    and uvicorn set it), so a port held by a listening program is in use and one in
    TIME_WAIT is not.
    """
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        with socket.create_server((host, port), family=family[0][0]):
            pass
    except OSError as exc:
        return listen_reason(host, exc)
    return None


def listen_reason(host: str, exc: OSError) -> str:
    """Why a bind on ``host`` failed and what to do (the caller names host and port)."""
    addresses = (
        "one of this machine's own addresses (`ip -brief address` lists them), 0.0.0.0 for "
        "all of them, or 127.0.0.1 for this machine only"
    )
    if isinstance(exc, socket.gaierror):
        return f"no address is known by the name {host}; give --host {addresses}"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"this machine has no address {host}; give --host {addresses}"
    if exc.errno == errno.EADDRINUSE:
        return (
            "the port is in use: another program (perhaps another Borgerkiosk server) listens "
            "on it; stop that one, or give another --port"
        )
    if exc.errno == errno.EACCES:
        return "ports below 1024 need administrator rights; give --port 1024 or above"
    return exc.strerror or str(exc)
