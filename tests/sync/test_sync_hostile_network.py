"""The sync client against servers that drip, hang or speak the wrong protocol, and against
endpoints and token files that would leak or garble the token (issue 10, items 15, 18, 19).

Every server here is on 127.0.0.1; nothing leaves the machine.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.collector import TOKEN, CollectorProcess, fill
from kiosk.config import ConfigError, load_config
from kiosk.sync.client import RetryPolicy, SyncClient, TransientError, _short
from kiosk.sync.endpoint import endpoint_problem
from kiosk.sync.protocol import token_problem

pytestmark = pytest.mark.timeout(60)


class TrickleServer:
    """Accepts connections, reads the request, then sends ``prefix`` and one byte at a time.

    With ``prefix`` empty and ``drip`` False it never answers at all (a hung server).
    """

    def __init__(self, prefix: bytes = b"", drip: bool = True) -> None:
        self.prefix = prefix
        self.drip = drip
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> TrickleServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.recv(65536)
            conn.sendall(self.prefix)
            while not self._stop.wait(0.2):  # one byte every 0.2 s: every read is "in time"
                if self.drip:
                    conn.sendall(b"x-padding: 1\r\n"[:1])


@contextlib.contextmanager
def trickle(prefix: bytes = b"", drip: bool = True) -> Iterator[TrickleServer]:
    with TrickleServer(prefix, drip) as server:
        yield server


def one_try_client(url: str, timeout: float = 1.0) -> SyncClient:
    return SyncClient(
        url,
        TOKEN,
        connect_timeout=1.0,
        read_timeout=timeout,
        retry=RetryPolicy(max_attempts=1),
    )


# --- item 18: the whole answer is bounded ---------------------------------------------------


def test_a_server_dripping_its_headers_is_cut_off_at_the_deadline() -> None:
    with (
        trickle(b"HTTP/1.1 200 OK\r\n") as server,
        one_try_client(server.url) as client,
        pytest.raises(TransientError) as caught,
    ):
        client.digest("k1")
    assert "did not finish answering within 2 s" in str(caught.value)


def test_a_server_dripping_its_body_is_cut_off_at_the_deadline() -> None:
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Borgerkiosk-Sync: 1\r\n"
        b"Content-Length: 100000\r\n\r\n"
    )
    with (
        trickle(head) as server,
        one_try_client(server.url) as client,
        pytest.raises(TransientError) as caught,
    ):
        client.digest("k1")
    assert "did not finish answering within 2 s" in str(caught.value)


def test_a_hung_server_is_named_while_kiosk_sync_waits(tmp_path: Path, token_file: Path) -> None:
    fill(tmp_path, "hung", 3)
    with trickle(drip=False) as server:
        run = subprocess.run(
            [sys.executable, "-m", "kiosk", "sync", "--data", str(tmp_path),
             "--endpoint", server.url, "--token-file", str(token_file),
             "--timeout", "0.5", "--attempts", "2", "--retry-delay", "0.01"],
            capture_output=True, text=True, timeout=45,
        )  # fmt: skip
    assert run.returncode == 2, run.stderr
    # without --verbose the organiser still sees what is being waited for
    assert "waiting for the collector (POST /v1/submissions)" in run.stderr
    assert "attempt 2 of 2" in run.stderr
    assert "Traceback" not in run.stdout + run.stderr


# --- item 19: messages that say what is wrong -----------------------------------------------


def test_https_to_a_plain_http_collector_says_so(shared_collector: CollectorProcess) -> None:
    url = shared_collector.url.replace("http://", "https://")
    with one_try_client(url) as client, pytest.raises(Exception) as caught:
        client.digest("k1")
    message = str(caught.value)
    assert "does not speak TLS" in message
    assert "certificate could not be verified" not in message


def test_a_long_error_is_cut_at_a_word_not_mid_word() -> None:
    text = "word " * 100
    short = _short(RuntimeError(text))
    assert short.endswith(" …")
    assert short[:-2].endswith("word")
    assert len(short) <= 162


def test_a_byte_order_mark_in_the_token_file_is_dropped(
    tmp_path: Path, shared_collector: CollectorProcess
) -> None:
    fill(tmp_path, "bom", 4)
    bom_token = tmp_path / "token.txt"
    bom_token.write_text("\ufeff" + TOKEN + "\r\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "kiosk", "sync", "--data", str(tmp_path),
         "--endpoint", shared_collector.url, "--token-file", str(bom_token)],
        capture_output=True, text=True, timeout=45,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr


def test_a_byte_order_mark_elsewhere_is_named() -> None:
    problem = token_problem("\ufeff" + TOKEN)
    assert problem is not None and "byte-order mark" in problem


def test_credentials_in_the_endpoint_are_refused(tmp_path: Path, token_file: Path) -> None:
    fill(tmp_path, "creds", 1)
    run = subprocess.run(
        [sys.executable, "-m", "kiosk", "sync", "--data", str(tmp_path),
         "--endpoint", "http://user:secret@127.0.0.1:9/", "--token-file", str(token_file)],
        capture_output=True, text=True, timeout=45,
    )  # fmt: skip
    assert run.returncode == 4
    assert "user name or password" in run.stderr
    assert "secret" not in run.stdout + run.stderr


# --- item 15: the token never travels unencrypted beyond loopback unless asked --------------


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://127.8.9.1:8000", True),
        ("http://localhost:8000", True),
        ("http://[::1]:8000", True),
        ("https://collector.example.dk", True),
        ("http://collector.example.dk", False),
        ("http://192.168.1.20:8000", False),
        ("http://[2001:db8::1]:8000", False),
        ("http://localhost.example.dk", False),
    ],
)
def test_plain_http_only_to_loopback(url: str, allowed: bool) -> None:
    assert (endpoint_problem(url) is None) is allowed
    assert endpoint_problem(url, allow_plain_http=True) is None


def test_kiosk_sync_refuses_plain_http_beyond_loopback(tmp_path: Path, token_file: Path) -> None:
    fill(tmp_path, "plain", 1)
    run = subprocess.run(
        [sys.executable, "-m", "kiosk", "sync", "--data", str(tmp_path),
         "--endpoint", "http://collector.example.dk", "--token-file", str(token_file)],
        capture_output=True, text=True, timeout=45,
    )  # fmt: skip
    assert run.returncode == 4
    assert "unencrypted" in run.stderr and "--insecure-http" in run.stderr


def test_the_kiosk_config_refuses_plain_http_beyond_loopback_unless_asked(
    tmp_path: Path,
) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('[sync]\nendpoint = "http://10.0.0.5:8000"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"sync\.endpoint: the token would travel unencrypted"):
        load_config(config)
    config.write_text(
        '[sync]\nendpoint = "http://10.0.0.5:8000"\ninsecure_http = true\n', encoding="utf-8"
    )
    assert load_config(config).sync.insecure_http is True


def test_collector_serve_help_explains_tls() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "kiosk", "collector", "serve", "--help"],
        capture_output=True, text=True, timeout=45,
    )  # fmt: skip
    assert run.returncode == 0
    help_text = " ".join(run.stdout.split())
    assert "TLS certificate (PEM)" in help_text
    assert "--ssl-keyfile key.pem" in help_text
    assert "reverse proxy" in help_text


@pytest.mark.parametrize(
    ("host", "tls", "warns"),
    [("0.0.0.0", False, True), ("192.168.1.2", False, True), ("0.0.0.0", True, False),
     ("127.0.0.1", False, False), ("localhost", False, False)],
)  # fmt: skip
def test_collector_warns_when_serving_plain_http_beyond_loopback(
    host: str, tls: bool, warns: bool
) -> None:
    from kiosk.cli.collector_commands import plain_http_warning

    assert (plain_http_warning(host, tls=tls) is not None) is warns


def test_collector_serve_prints_the_warning(tmp_path: Path, token_file: Path) -> None:
    """The warning reaches the organiser: ``serve`` says it before it binds. 192.0.2.1 is a
    documentation address no machine has, so the bind fails and nothing listens."""
    run = subprocess.run(
        [sys.executable, "-m", "kiosk", "collector", "serve", "--db", str(tmp_path / "c.db"),
         "--host", "192.0.2.1", "--port", "0", "--token-file", str(token_file)],
        capture_output=True, text=True, timeout=45,
    )  # fmt: skip
    assert run.returncode != 0, "a collector listened on 192.0.2.1"
    assert "warning: serving plain HTTP on 192.0.2.1" in run.stderr, run.stderr
    assert "--ssl-certfile" in run.stderr and "Traceback" not in run.stderr
