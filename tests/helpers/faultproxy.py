"""A small fault-injecting HTTP/TCP proxy of the tests' own, between sync client and collector.

It reads each request off the client's connection (head and Content-Length
body) and then does what the next queued :class:`Fault` says: pass it on,
drop the collector's answer after it committed, reset the connection halfway
through the body, answer slowly, cut the answer short, or answer itself (500,
429/503 with Retry-After, 413, a captive portal's HTML page). With the queue
empty it passes requests on unchanged.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_HEAD = 64 * 1024
IO_TIMEOUT = 30.0

CAPTIVE_PAGE = (
    b"<!doctype html><html><head><title>Velkommen til Gentofte Hovedbibliotek Wi-Fi</title>"
    b"</head><body><form>Accepter vilkaarene for at fortsaette</form></body></html>"
)


@dataclass
class Fault:
    """What to do with one request. ``kind`` is one of the methods ``_do_<kind>`` below."""

    kind: str = "pass"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    hook: Callable[[], None] | None = None


def passthrough() -> Fault:
    return Fault("pass")


def answer(status: int, body: bytes = b"", **headers: str) -> Fault:
    """The proxy answers by itself; the collector never sees the request."""
    return Fault("answer", status=status, body=body, headers=headers)


def captive_portal() -> Fault:
    return answer(200, CAPTIVE_PAGE, **{"Content-Type": "text/html; charset=utf-8"})


def drop_response() -> Fault:
    """The collector gets and commits the request; its answer never reaches the client."""
    return Fault("drop_response")


def reset_mid_body() -> Fault:
    """Half the body reaches the collector, then both connections are reset."""
    return Fault("reset_mid_body")


def slow_response(delay: float) -> Fault:
    """The collector answers at once; the proxy holds the answer ``delay`` seconds."""
    return Fault("slow", delay=delay)


def truncated_response() -> Fault:
    """The collector's answer arrives cut off halfway through its body."""
    return Fault("truncate")


def call_then_reset(hook: Callable[[], None]) -> Fault:
    """Forward half the body, run ``hook`` (e.g. kill -9 the collector), reset the client."""
    return Fault("hook", hook=hook)


@dataclass
class Seen:
    method: str
    path: str
    body_bytes: int
    fault: str


class FaultProxy:
    """Listens on 127.0.0.1 on a free port and forwards to ``upstream_port``."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.faults: deque[Fault] = deque()
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self._server.settimeout(0.2)
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accept = threading.Thread(target=self._accept_loop, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FaultProxy:
        self._accept.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._accept.join(5)
        self._server.close()
        for thread in self._threads:
            thread.join(5)

    def queue(self, *faults: Fault) -> None:
        with self._lock:
            self.faults.extend(faults)

    def submissions(self) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.path.startswith("/v1/submissions")]

    # --- plumbing -----------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(IO_TIMEOUT)
        buffer = b""
        try:
            while not self._stop.is_set():
                request, buffer = _read_message(conn, buffer, is_request=True)
                if request is None:
                    return
                head, body = request
                first = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
                with self._lock:
                    fault = self.faults.popleft() if self.faults else Fault()
                    self.seen.append(Seen(first[0], first[1], len(body), fault.kind))
                keep = getattr(self, f"_do_{fault.kind}")(conn, head, body, fault)
                if not keep:
                    return
        except OSError:
            return
        finally:
            conn.close()

    def _upstream(self, head: bytes, body: bytes) -> bytes:
        """Send the request to the collector on a fresh connection; its whole answer."""
        with socket.create_connection(("127.0.0.1", self.upstream_port), IO_TIMEOUT) as up:
            up.sendall(_with_connection_close(head) + body)
            chunks = []
            while True:
                chunk = up.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        return b"".join(chunks)

    def _do_pass(self, conn: socket.socket, head: bytes, body: bytes, fault: Fault) -> bool:
        try:
            response = self._upstream(head, body)
        except OSError:
            _reset(conn)  # collector down: the client sees a reset connection
            return False
        conn.sendall(response)
        return False  # the answer says Connection: close

    def _do_answer(self, conn: socket.socket, head: bytes, body: bytes, fault: Fault) -> bool:
        headers = {"Content-Length": str(len(fault.body)), **fault.headers}
        lines = [f"HTTP/1.1 {fault.status} Fault", *(f"{k}: {v}" for k, v in headers.items())]
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + fault.body)
        return True

    def _do_drop_response(
        self, conn: socket.socket, head: bytes, body: bytes, fault: Fault
    ) -> bool:
        self._upstream(head, body)
        _reset(conn)
        return False

    def _do_reset_mid_body(
        self, conn: socket.socket, head: bytes, body: bytes, fault: Fault
    ) -> bool:
        up = socket.create_connection(("127.0.0.1", self.upstream_port), IO_TIMEOUT)
        up.sendall(head + body[: len(body) // 2])
        time.sleep(0.05)
        _reset(up)
        _reset(conn)
        return False

    def _do_slow(self, conn: socket.socket, head: bytes, body: bytes, fault: Fault) -> bool:
        response = self._upstream(head, body)
        if self._stop.wait(fault.delay):
            return False
        with contextlib.suppress(OSError):  # the client gave up waiting, as intended
            conn.sendall(response)
        return False

    def _do_truncate(self, conn: socket.socket, head: bytes, body: bytes, fault: Fault) -> bool:
        response = self._upstream(head, body)
        split = response.find(b"\r\n\r\n") + 4
        conn.sendall(response[: split + (len(response) - split) // 2])
        return False

    def _do_hook(self, conn: socket.socket, head: bytes, body: bytes, fault: Fault) -> bool:
        try:
            up = socket.create_connection(("127.0.0.1", self.upstream_port), IO_TIMEOUT)
            up.sendall(head + body[: len(body) // 2])
        except OSError:
            up = None
        assert fault.hook is not None
        fault.hook()
        if up is not None:
            up.close()
        _reset(conn)
        return False


def _read_message(
    conn: socket.socket, buffer: bytes, *, is_request: bool
) -> tuple[tuple[bytes, bytes] | None, bytes]:
    """One HTTP message (head, Content-Length body) off ``conn``; (None, b"") at EOF."""
    while b"\r\n\r\n" not in buffer:
        chunk = conn.recv(65536)
        if not chunk:
            return None, b""
        buffer += chunk
        if len(buffer) > MAX_HEAD and b"\r\n\r\n" not in buffer:
            raise OSError("request head too large")
    head, rest = buffer.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None, b""
        rest += chunk
    return (head + b"\r\n\r\n", rest[:length]), rest[length:]


def _with_connection_close(head: bytes) -> bytes:
    lines = [
        line
        for line in head.rstrip(b"\r\n").split(b"\r\n")
        if not line.lower().startswith(b"connection:")
    ]
    return b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n"


def _reset(sock: socket.socket) -> None:
    """Close with RST instead of FIN, as a dropped mobile link or a crashing box does."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
