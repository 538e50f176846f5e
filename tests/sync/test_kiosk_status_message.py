"""The kiosk's status message (POST /v1/status): sent by ``kiosk sync`` and background sync,
kept by the collector per kiosk, ignored quietly by an older collector, refused when hostile."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from helpers.collector import TOKEN, CollectorProcess, fill, kiosk_record
from helpers.faultproxy import FaultProxy, answer, passthrough
from kiosk import __version__
from kiosk.collector.kiosk_status import latest_statuses
from kiosk.collector.storage import CollectorStorage
from kiosk.store import RecordStore
from kiosk.sync.background import BackgroundSync
from kiosk.sync.client import RetryPolicy

pytestmark = pytest.mark.timeout(120)
TINY = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.05)
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def kiosk_sync(data_dir: Path, endpoint: str, token_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk",
            "sync",
            "--retry-delay",
            "0.01",
            "--data",
            str(data_dir),
            "--endpoint",
            endpoint,
            "--token-file",
            str(token_path),
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )


def statuses(collector: CollectorProcess) -> dict:
    storage = CollectorStorage(collector.db)
    try:
        return latest_statuses(storage)
    finally:
        storage.close()


def wait_for(condition, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_kiosk_sync_sends_the_status_the_collector_keeps(
    tmp_path: Path, shared_collector: CollectorProcess, token_file: Path
) -> None:
    fill(tmp_path, "status-cli", 7)
    with RecordStore(tmp_path) as store:
        store_id = store.store_id
    before = datetime.now(UTC)
    run = kiosk_sync(tmp_path, shared_collector.url, token_file)
    assert run.returncode == 0, run.stdout + run.stderr
    status = statuses(shared_collector)["status-cli"]
    assert status.pending == 0 and status.records == 7
    assert status.store_id == store_id and status.store_ok and status.store_problems == 0
    assert status.app_version == __version__
    assert status.disk_free_bytes is not None and status.disk_free_bytes > 0
    assert status.last_error is None and status.last_success_at is not None
    clock = datetime.fromisoformat(status.kiosk_clock.replace("Z", "+00:00"))
    assert before <= clock <= datetime.now(UTC)


def test_background_sync_reports_pending_under_the_configured_kiosk_id(
    tmp_path: Path, shared_collector: CollectorProcess
) -> None:
    with RecordStore(tmp_path) as store:
        sync = BackgroundSync(
            store, shared_collector.url, TOKEN, interval=3600, retry=TINY, kiosk_id="status-bg"
        )
        sync.start()
        try:
            # an empty kiosk is heard from too: its status comes under the id it was given
            sync.sync_now(wait=20)
            assert wait_for(lambda: "status-bg" in statuses(shared_collector))
            assert statuses(shared_collector)["status-bg"].records == 0
            for n in range(3):
                store.save(kiosk_record("status-bg", n))
            sync.sync_now(wait=20)
            assert wait_for(lambda: statuses(shared_collector)["status-bg"].records == 3)
            assert statuses(shared_collector)["status-bg"].pending == 0
        finally:
            sync.stop()


def test_the_last_error_travels_without_the_token_and_stays_after_a_success(
    tmp_path: Path, shared_collector: CollectorProcess
) -> None:
    with RecordStore(tmp_path) as store:
        store.save(kiosk_record("status-err", 1))
        with FaultProxy(shared_collector.port) as proxy:
            # a submission refused outright (400 from the collector): an error, link alive
            marker = {"X-Borgerkiosk-Sync": "1", "Content-Type": "application/json"}
            proxy.queue(answer(400, b'{"detail":"bad"}', **marker))
            sync = BackgroundSync(
                store, proxy.url, TOKEN, interval=3600, retry=TINY, kiosk_id="status-err"
            )
            sync.start()  # its first round runs at once and meets the 400
            try:
                assert wait_for(lambda: "status-err" in statuses(shared_collector))
                first = statuses(shared_collector)["status-err"]
                assert first.pending == 1 and first.last_error
                assert "HTTP 400" in first.last_error and TOKEN not in first.last_error
                assert first.last_error_at is not None
                sync.sync_now(wait=20)
                assert wait_for(lambda: statuses(shared_collector)["status-err"].pending == 0)
                second = statuses(shared_collector)["status-err"]
                assert second.last_error == first.last_error  # when it last went wrong
                assert second.last_success_at and second.last_success_at > first.last_error_at
            finally:
                sync.stop()


@pytest.mark.parametrize("code", [404, 405])
def test_an_older_collector_without_the_route_is_no_error(
    tmp_path: Path, shared_collector: CollectorProcess, token_file: Path, code: int
) -> None:
    fill(tmp_path, f"status-old-{code}", 3)
    with FaultProxy(shared_collector.port) as proxy:
        # the submission passes; the status after it meets an older collector's answer
        old = answer(code, b'{"detail":"Not Found"}', **{"X-Borgerkiosk-Sync": "1"})
        proxy.queue(passthrough(), old)
        run = kiosk_sync(tmp_path, proxy.url, token_file)
        paths = [(s.method, s.path, s.fault) for s in proxy.seen]
    assert ("POST", "/v1/status", "answer") in paths
    assert run.returncode == 0, run.stdout + run.stderr
    assert "status" not in run.stderr.lower() and "warning" not in run.stderr.lower()
    assert f"status-old-{code}" not in statuses(shared_collector)


# -- hostile bodies -------------------------------------------------------------------------


def good_status(**changes: object) -> dict:
    body: dict = {
        "kiosk_id": "status-hostile",
        "store_id": "0123456789abcdef0123456789abcdef",
        "pending": 2,
        "records": 10,
        "store_ok": True,
        "store_problems": 0,
        "disk_free_bytes": 10**9,
        "last_error": None,
        "last_error_at": None,
        "last_success_at": "2026-09-05T10:00:00.000Z",
        "app_version": "0.1.0",
        "clock": "2026-09-05T10:00:01.000Z",
    }
    body.update(changes)
    return body


def post(collector: CollectorProcess, data: bytes, headers: dict | None = None):  # type: ignore[no-untyped-def]
    return requests.post(
        collector.url + "/v1/status",
        data=data,
        headers={"Content-Type": "application/json", **(AUTH if headers is None else headers)},
        timeout=10,
    )


def test_a_good_status_is_taken(shared_collector: CollectorProcess) -> None:
    reply = post(shared_collector, json.dumps(good_status()).encode())
    assert reply.status_code == 200 and reply.json() == {"status": "ok"}
    assert reply.headers["X-Borgerkiosk-Sync"] == "1"
    assert statuses(shared_collector)["status-hostile"].pending == 2


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (good_status(pending="2"), "pending"),
        (good_status(pending=-1), "pending"),
        (good_status(pending=2**60), "pending"),
        (good_status(store_ok=1), "store_ok"),
        (good_status(kiosk_id="<script>alert(1)</script>"), "kiosk_id"),
        (good_status(last_error="a\x1b[2Jcleared"), "last_error"),
        (good_status(last_error="x" * 301), "last_error"),
        (good_status(clock="yesterday"), "clock"),
        (good_status(app_version="1.0<img src=x onerror=alert(1)>"), "app_version"),
        (good_status(store_id="../../etc"), "store_id"),
        (good_status(name="Jens Hansen"), "name"),
        ({"kiosk_id": "x"}, "pending"),
        ([1, 2, 3], "body"),
    ],
)
def test_hostile_bodies_get_a_clear_json_error_naming_the_field(
    shared_collector: CollectorProcess, body: object, where: str
) -> None:
    reply = post(shared_collector, json.dumps(body).encode())
    assert reply.status_code == 422
    problems = reply.json()["detail"]
    assert any(where in ".".join(map(str, p["loc"])) for p in problems), problems
    text = reply.text
    for echoed in ("<script>", "onerror", "Jens Hansen", "\x1b", "etc"):
        assert echoed not in text  # the sender's values never come back


def test_not_json_too_deep_too_large_and_no_token(shared_collector: CollectorProcess) -> None:
    assert post(shared_collector, b"\xff\xfe not json").status_code == 422
    assert post(shared_collector, b"[" * 100_000 + b"]" * 100_000).status_code == 413
    deep = b"[" * 5000 + b"]" * 5000
    deep_reply = post(shared_collector, deep)
    assert deep_reply.status_code == 422 and deep_reply.json()["detail"][0]["loc"] == ["body"]
    big = json.dumps(good_status(padding="x" * 20_000)).encode()
    too_large = post(shared_collector, big)
    assert too_large.status_code == 413 and "bytes" in too_large.json()["detail"]
    refused = post(shared_collector, json.dumps(good_status()).encode(), headers={})
    assert refused.status_code == 401
    wrong = post(shared_collector, b"{}", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
