"""BackgroundSync: the kiosk's own sync thread, which must never block or end the app."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers.collector import TOKEN, CollectorProcess, assert_invariants, free_port, kiosk_record
from helpers.faultproxy import FaultProxy, answer
from kiosk.store import RecordStore
from kiosk.sync.background import BackgroundSync
from kiosk.sync.client import RetryPolicy

pytestmark = pytest.mark.timeout(60)
TINY = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02)


def wait_for(condition: Callable[[], bool], limit: float = 20.0) -> bool:
    """Poll until ``condition`` holds (bounded); the test asserts on the result, not the time."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_saves_are_synced_soon_after_a_nudge(
    tmp_path: Path, shared_collector: CollectorProcess
) -> None:
    with RecordStore(tmp_path) as store:
        sync = BackgroundSync(store, shared_collector.url, TOKEN, interval=3600, retry=TINY)
        sync.start()
        try:
            assert wait_for(lambda: sync.status().last_success is not None)  # the first round
            for n in range(5):
                store.save(kiosk_record("bg-nudge", n))
                sync.nudge()
            assert wait_for(lambda: store.pending_count() == 0)
            assert wait_for(lambda: sync.status().pending == 0)
            status = sync.status()
            assert status.running and status.last_error is None
        finally:
            sync.stop()
        assert not sync.status().running
    assert_invariants(shared_collector, tmp_path)


def test_errors_are_recorded_and_never_end_the_thread(
    tmp_path: Path, shared_collector: CollectorProcess, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "hemmelig idé om cykelstier"
    with RecordStore(tmp_path) as store:
        store.save(kiosk_record("bg-errors", 1, answers={"idé": secret}))
        down = f"http://127.0.0.1:{free_port()}"
        sync = BackgroundSync(store, down, TOKEN, interval=3600, retry=TINY)
        sync.start()
        try:
            status = sync.sync_now(wait=20)
            assert status.running
            assert status.last_error and "could not reach the collector" in status.last_error
            assert status.last_success is None and status.pending == 1
            # the kiosk keeps working: a save while sync fails is stored at once
            store.save(kiosk_record("bg-errors", 2))
            sync.nudge()
            assert sync.sync_now(wait=20).pending == 2
        finally:
            sync.stop()
    text = caplog.text
    assert secret not in text and TOKEN not in text


def test_wrong_token_and_busy_collector_show_in_status(
    tmp_path: Path, shared_collector: CollectorProcess
) -> None:
    with RecordStore(tmp_path) as store:
        store.save(kiosk_record("bg-status", 1))
        sync = BackgroundSync(store, shared_collector.url, "wrong", interval=3600, retry=TINY)
        sync.start()
        try:
            status = sync.sync_now(wait=20)
            assert status.last_error and "token" in status.last_error and status.pending == 1
        finally:
            sync.stop()
        with FaultProxy(shared_collector.port) as proxy:
            proxy.queue(answer(503, b"", **{"Retry-After": "0"}))
            sync = BackgroundSync(store, proxy.url, TOKEN, interval=3600, retry=TINY)
            sync.start()
            try:
                status = sync.sync_now(wait=20)
                assert status.last_error is None and status.last_success and status.pending == 0
            finally:
                sync.stop()
    assert_invariants(shared_collector, tmp_path)


def test_saves_are_never_held_up_by_a_hanging_collector(tmp_path: Path) -> None:
    """A collector that accepts connections and never answers: saves still complete."""
    import socket

    hanging = socket.socket()
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(16)
    url = f"http://127.0.0.1:{hanging.getsockname()[1]}"
    try:
        with RecordStore(tmp_path) as store:
            sync = BackgroundSync(
                store, url, TOKEN, interval=3600, retry=TINY, read_timeout=30, connect_timeout=1
            )
            sync.start()
            try:
                sync.sync_now()  # a round is now stuck waiting for an answer
                saved = threading.Event()

                def save() -> None:
                    for n in range(3):
                        store.save(kiosk_record("bg-hang", n))
                        sync.nudge()
                    saved.set()

                threading.Thread(target=save, daemon=True).start()
                assert saved.wait(20)
                assert len(store) == 3
                assert sync.status().running
            finally:
                sync.stop(timeout=0.5)  # bounded even though the round is still waiting
    finally:
        hanging.close()


def test_with_nothing_to_send_the_link_is_still_checked(
    tmp_path: Path, shared_collector: CollectorProcess
) -> None:
    with RecordStore(tmp_path) as store:
        down = BackgroundSync(store, f"http://127.0.0.1:{free_port()}", TOKEN, retry=TINY)
        up = BackgroundSync(store, shared_collector.url, TOKEN, retry=TINY)
        for sync in (down, up):
            sync.start()
        try:
            bad, good = down.sync_now(wait=20), up.sync_now(wait=20)
        finally:
            down.stop()
            up.stop()
    assert bad.last_success is None and "cannot be reached" in (bad.last_error or "")
    assert good.last_success is not None and good.last_error is None
    assert bad.pending == good.pending == 0


def test_a_token_http_cannot_carry_shows_in_status_without_the_token(
    tmp_path: Path, shared_collector: CollectorProcess, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with RecordStore(tmp_path) as store:
        store.save(kiosk_record("bg-badtoken", 1))
        sync = BackgroundSync(store, shared_collector.url, "line\nSECRET-PART", retry=TINY)
        sync.start()
        try:
            status = sync.sync_now(wait=20)
        finally:
            sync.stop()
    assert status.last_error and "cannot use the token" in status.last_error
    assert status.pending == 1
    assert "SECRET" not in status.last_error and "SECRET" not in caplog.text


def test_stop_ends_a_retry_wait_at_once(tmp_path: Path, shared_collector: CollectorProcess) -> None:
    """A busy collector asks for a minute's pause: closing the kiosk does not wait for it."""
    with RecordStore(tmp_path) as store:
        store.save(kiosk_record("bg-stop", 1))
        with FaultProxy(shared_collector.port) as proxy:
            proxy.queue(answer(503, b"", **{"Retry-After": "60"}))
            retry = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02)
            sync = BackgroundSync(store, proxy.url, TOKEN, interval=3600, retry=retry)
            sync.start()
            assert wait_for(lambda: len(proxy.submissions()) == 1)  # now in the long wait
            sync.stop(timeout=10)
            assert sync._thread is not None and not sync._thread.is_alive()
            assert len(proxy.submissions()) == 1  # no second try after the stop
        assert store.pending_count() == 1
