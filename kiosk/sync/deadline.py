"""A requests adapter whose every request ends at a deadline, however slowly answers drip.

requests' ``timeout`` bounds each socket read, not the answer: a server (or a broken proxy)
that sends one byte a second holds a request for as long as it likes. The adapter keeps the
connections it opened; a watchdog timer shuts their sockets down at the deadline, so the
blocked read returns at once and the request fails like any dropped connection.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import weakref
from collections.abc import Iterator
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class DeadlineAdapter(HTTPAdapter):
    """An HTTPAdapter whose :meth:`deadline` context aborts what is still open at its end."""

    def __init__(self, **kwargs: Any) -> None:
        self._connections: weakref.WeakSet[HTTPConnection] = weakref.WeakSet()
        self._lock = threading.Lock()
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self._track)

    def _track(self, connection: HTTPConnection) -> None:
        with self._lock:
            self._connections.add(connection)

    def abort(self) -> None:
        """Shut down every socket this adapter has open; blocked reads return at once."""
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            sock = getattr(connection, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    @contextlib.contextmanager
    def deadline(self, seconds: float) -> Iterator[threading.Event]:
        """Within the block, requests end after ``seconds``; the event tells if that happened."""
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            self.abort()

        timer = threading.Timer(seconds, expire)
        timer.daemon = True
        timer.start()
        try:
            yield expired
        finally:
            timer.cancel()


def _pool_classes(track: Any) -> dict[str, type[HTTPConnectionPool]]:
    """Pool classes whose connections report themselves to ``track`` once connected."""

    class TrackedHTTPConnection(HTTPConnection):
        def connect(self) -> None:
            track(self)
            super().connect()

    class TrackedHTTPSConnection(HTTPSConnection):
        def connect(self) -> None:
            track(self)
            super().connect()

    class TrackedHTTPPool(HTTPConnectionPool):
        ConnectionCls = TrackedHTTPConnection

    class TrackedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = TrackedHTTPSConnection

    return {"http": TrackedHTTPPool, "https": TrackedHTTPSPool}
