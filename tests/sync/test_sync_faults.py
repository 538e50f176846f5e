"""Sync through a misbehaving network: every scenario of issue 5's Proof section.

The real collector runs in a subprocess on 127.0.0.1; the tests' own fault proxy
sits between it and the sync client. After every scenario the invariants hold:
the collector has every record exactly once with identical content, and every
kiosk record is marked synced (or flagged with the reason).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from helpers.collector import (
    TOKEN,
    CollectorProcess,
    DatabaseHold,
    assert_invariants,
    fast_client,
    fill,
    free_port,
)
from helpers.faultproxy import (
    FaultProxy,
    answer,
    call_then_reset,
    captive_portal,
    drop_response,
    passthrough,
    reset_mid_body,
    slow_response,
    truncated_response,
)
from kiosk.store import RecordStore
from kiosk.sync.client import RetryPolicy
from kiosk.sync.runner import sync_store

pytestmark = pytest.mark.timeout(120)


def run_sync(data_dir: Path, endpoint: str, batch_size: int = 50, **client_kwargs):
    with RecordStore(data_dir) as store, fast_client(endpoint, **client_kwargs) as client:
        return sync_store(store, client, batch_size=batch_size)


@pytest.fixture
def proxy(shared_collector: CollectorProcess):
    with FaultProxy(shared_collector.port) as running:
        yield running


def test_connection_refused_leaves_everything_pending_then_syncs(
    tmp_path: Path, shared_collector: CollectorProcess
) -> None:
    ids = fill(tmp_path, "refused", 30)
    closed = f"http://127.0.0.1:{free_port()}"
    summary = run_sync(tmp_path, closed)
    assert summary.error_kind == "network"
    assert summary.remaining == len(ids)
    assert summary.exit_code == 2
    with RecordStore(tmp_path) as store:
        assert store.pending_count() == len(ids)
    summary = run_sync(tmp_path, shared_collector.url)
    assert (summary.synced, summary.remaining, summary.exit_code) == (30, 0, 0)
    assert_invariants(shared_collector, tmp_path)


def test_response_dropped_after_commit_is_a_duplicate_not_a_copy(
    tmp_path: Path, shared_collector: CollectorProcess, proxy: FaultProxy
) -> None:
    fill(tmp_path, "dropped", 120)
    proxy.queue(drop_response(), drop_response())
    summary = run_sync(tmp_path, proxy.url)
    assert summary.error is None
    # the first batch was stored twice over without an answer: it comes back as duplicates
    assert summary.already_there == 50
    assert summary.synced == 70
    assert_invariants(shared_collector, tmp_path)


def test_connection_reset_mid_body(
    tmp_path: Path, shared_collector: CollectorProcess, proxy: FaultProxy
) -> None:
    fill(tmp_path, "reset", 80)
    proxy.queue(reset_mid_body(), reset_mid_body())
    summary = run_sync(tmp_path, proxy.url)
    assert (summary.synced, summary.already_there, summary.remaining) == (80, 0, 0)
    assert [s.fault for s in proxy.submissions()][:3] == ["reset_mid_body"] * 2 + ["pass"]
    assert_invariants(shared_collector, tmp_path)


def test_slow_response_past_read_timeout(
    tmp_path: Path, shared_collector: CollectorProcess, proxy: FaultProxy
) -> None:
    fill(tmp_path, "slow", 60)
    proxy.queue(slow_response(2.0))
    summary = run_sync(tmp_path, proxy.url, read_timeout=0.5)
    assert summary.error is None
    assert summary.already_there == 50  # stored before the answer was late
    assert summary.synced == 10
    assert_invariants(shared_collector, tmp_path)


def test_server_errors_are_retried(
    tmp_path: Path, shared_collector: CollectorProcess, proxy: FaultProxy
) -> None:
    fill(tmp_path, "fivehundred", 40)
    proxy.queue(answer(500, b"Internal Server Error"), answer(502), answer(500))
    summary = run_sync(tmp_path, proxy.url)
    assert (summary.synced, summary.remaining, summary.error) == (40, 0, None)
    assert_invariants(shared_collector, tmp_path)


@pytest.mark.parametrize("status", [429, 503])
def test_busy_honours_retry_after(
    tmp_path: Path, shared_collector: CollectorProcess, proxy: FaultProxy, status: int
) -> None:
    fill(tmp_path, f"busy{status}", 20)
    proxy.queue(answer(status, b"busy", **{"Retry-After": "1"}))
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    summary = run_sync(tmp_path, proxy.url, sleep=sleep)
    assert summary.synced == 20
    assert waits == [1.0]  # Retry-After, not the tiny backoff
    assert_invariants(shared_collector, tmp_path)


def test_413_halves_the_batch(
    tmp_path: Path, shared_collector: CollectorProcess, proxy: FaultProxy
) -> None:
    fill(tmp_path, "toolarge", 100)
    proxy.queue(answer(413, b"too large"), answer(413, b"too large"))
    summary = run_sync(tmp_path, proxy.url, batch_size=100)
    assert (summary.synced, summary.remaining) == (100, 0)
    sizes = [s.body_bytes for s in proxy.submissions()]
    assert sizes[1] < sizes[0] * 0.6 and sizes[2] < sizes[1] * 0.6
    assert len(proxy.submissions()) == 2 + 4  # then four batches of 25
    assert_invariants(shared_collector, tmp_path)


def test_captive_portal_page_is_not_a_receipt(
    tmp_path: Path, shared_collector: CollectorProcess, proxy: FaultProxy
) -> None:
    ids = fill(tmp_path, "captive", 25)
    proxy.queue(*[captive_portal() for _ in range(6)])
    summary = run_sync(tmp_path, proxy.url)
    assert summary.synced == 0 and summary.remaining == len(ids)
    assert "captive portal" in (summary.error or "")
    with RecordStore(tmp_path) as store:
        assert store.pending_count() == len(ids)
    summary = run_sync(tmp_path, proxy.url)
    assert (summary.synced, summary.remaining) == (25, 0)
    assert_invariants(shared_collector, tmp_path)


def test_truncated_answer_counts_as_not_sent(
    tmp_path: Path, shared_collector: CollectorProcess, proxy: FaultProxy
) -> None:
    fill(tmp_path, "truncated", 30)
    proxy.queue(truncated_response())
    summary = run_sync(tmp_path, proxy.url)
    assert (summary.already_there, summary.synced, summary.remaining) == (30, 0, 0)
    assert_invariants(shared_collector, tmp_path)


def test_wrong_token_stops_at_once_and_marks_nothing(
    tmp_path: Path, shared_collector: CollectorProcess, proxy: FaultProxy
) -> None:
    ids = fill(tmp_path, "wrongtoken", 10)
    summary = run_sync(tmp_path, proxy.url, token="not-the-" + TOKEN)
    assert summary.error_kind == "auth" and summary.exit_code == 3
    assert "token" in (summary.error or "") and TOKEN not in (summary.error or "")
    assert len(proxy.submissions()) == 1  # no retries with a token that will not work
    with RecordStore(tmp_path) as store:
        assert store.pending_count() == len(ids)
    assert run_sync(tmp_path, proxy.url).synced == len(ids)
    assert_invariants(shared_collector, tmp_path)


def test_collector_killed_mid_batch_and_restarted(tmp_path: Path, token_file: Path) -> None:
    collector = CollectorProcess(tmp_path / "killed.db", token_file).start()
    data = tmp_path / "kiosk"
    fill(data, "killed", 300)
    restarted = threading.Event()

    def kill_and_restart() -> None:
        collector.kill9()

        def later() -> None:
            collector.start()  # same database, same port
            restarted.set()

        threading.Thread(target=later, daemon=True).start()

    try:
        with FaultProxy(collector.port) as proxy:
            # let two batches through, kill the collector during the third
            proxy.queue(passthrough(), passthrough(), call_then_reset(kill_and_restart))
            retry = RetryPolicy(max_attempts=200, base_delay=0.02, max_delay=0.1)
            summary = run_sync(data, proxy.url, batch_size=50, retry=retry)
            assert restarted.is_set()
            assert summary.error is None, summary.error
            assert summary.remaining == 0
            assert summary.synced + summary.already_there == 300
        assert_invariants(collector, data)
    finally:
        collector.stop()


def test_two_kiosks_at_once(tmp_path: Path, shared_collector: CollectorProcess) -> None:
    dirs = [tmp_path / "k1", tmp_path / "k2"]
    for n, data in enumerate(dirs):
        fill(data, f"pair-{n}", 400)
    results = {}

    def go(data: Path) -> None:
        results[data] = run_sync(data, shared_collector.url, batch_size=40)

    threads = [threading.Thread(target=go, args=(d,)) for d in dirs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(results[d].synced == 400 and results[d].error is None for d in dirs)
    assert_invariants(shared_collector, *dirs)


def test_same_kiosk_racing_itself(tmp_path: Path, shared_collector: CollectorProcess) -> None:
    fill(tmp_path, "race", 500)
    results = []

    def go() -> None:
        results.append(run_sync(tmp_path, shared_collector.url, batch_size=25))

    threads = [threading.Thread(target=go) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 2 and all(r.error is None for r in results)
    # every record was accepted exactly once; the rest of what the twins sent was a duplicate
    assert sum(r.synced for r in results) == 500
    assert all(r.remaining == 0 for r in results)
    assert_invariants(shared_collector, tmp_path)


def test_database_locked_past_busy_timeout_is_503_then_synced(
    tmp_path: Path, shared_collector: CollectorProcess
) -> None:
    """Someone holds the collector's database (a backup, a report): 503 + Retry-After, no loss."""
    fill(tmp_path, "locked", 20)
    holder = DatabaseHold(shared_collector)
    statuses: list[str] = []

    def sleep(seconds: float) -> None:
        statuses.append("waited")
        holder.release()  # give the lock back after the first refusal
        time.sleep(min(seconds, 1.0))

    try:
        summary = run_sync(tmp_path, shared_collector.url, sleep=sleep)
    finally:
        holder.release()
    assert statuses, "the collector should have answered busy at least once"
    assert (summary.synced, summary.remaining, summary.error) == (20, 0, None)
    assert "busy" in shared_collector.log.read_text()
    assert_invariants(shared_collector, tmp_path)


def test_every_5xx_is_retried_even_with_the_collector_header(
    tmp_path: Path, shared_collector: CollectorProcess, proxy: FaultProxy
) -> None:
    """Not only 500/502/503/504: a 501 or 507 (a proxy, a full disk) is worth another try."""
    fill(tmp_path, "any5xx", 15)
    marked = {"X-Borgerkiosk-Sync": "1"}
    proxy.queue(answer(507, b"Insufficient Storage", **marked), answer(501, b"", **marked))
    summary = run_sync(tmp_path, proxy.url)
    assert (summary.synced, summary.remaining, summary.error) == (15, 0, None)
    assert [s.fault for s in proxy.submissions()] == ["answer", "answer", "pass"]
    assert_invariants(shared_collector, tmp_path)


def test_a_redirect_is_not_followed_and_not_a_receipt(
    tmp_path: Path, shared_collector: CollectorProcess, proxy: FaultProxy
) -> None:
    """A captive portal's 302: following it would turn the POST into a GET of another page."""
    fill(tmp_path, "redirect", 12)
    proxy.queue(answer(302, b"", Location=proxy.url + "/v1/submissions"))
    summary = run_sync(tmp_path, proxy.url)
    assert (summary.synced, summary.remaining, summary.error) == (12, 0, None)
    assert [s.method for s in proxy.submissions()] == ["POST", "POST"]
    assert_invariants(shared_collector, tmp_path)


def test_403_stops_at_once_like_401(
    tmp_path: Path, shared_collector: CollectorProcess, proxy: FaultProxy
) -> None:
    ids = fill(tmp_path, "forbidden", 5)
    proxy.queue(answer(403, b"Forbidden"))
    summary = run_sync(tmp_path, proxy.url)
    assert summary.error_kind == "auth" and summary.exit_code == 3
    assert "token" in (summary.error or "")
    assert len(proxy.submissions()) == 1
    with RecordStore(tmp_path) as store:
        assert store.pending_count() == len(ids)


def test_retry_after_in_both_forms() -> None:
    """RFC 9110 allows seconds or an HTTP date; a past date or garbage means plain backoff."""
    from datetime import UTC, datetime

    from kiosk.sync.client import _retry_after

    now = datetime(2026, 9, 5, 10, 0, 0, tzinfo=UTC)
    assert _retry_after("7", now) == 7.0
    assert _retry_after("Sat, 05 Sep 2026 10:00:30 GMT", now) == 30.0
    assert _retry_after("Sat, 05 Sep 2026 09:59:00 GMT", now) == 0.0
    assert _retry_after("soon", now) is None
    assert _retry_after(None, now) is None
    policy = RetryPolicy(max_retry_after=60)
    assert policy.delay(1, _retry_after("Sat, 05 Sep 2026 12:00:00 GMT", now)) == 60.0


def test_a_token_http_cannot_carry_is_a_config_error_that_never_quotes_it(
    tmp_path: Path, shared_collector: CollectorProcess
) -> None:
    ids = fill(tmp_path, "badtoken", 3)
    for token in ("abc\nSECRET-PART", "tøken€SECRET-PART", "two words SECRET-PART"):
        summary = run_sync(tmp_path, shared_collector.url, token=token)
        assert summary.error_kind == "config" and summary.exit_code == 4
        assert "token" in (summary.error or "") and "SECRET" not in (summary.error or "")
    with RecordStore(tmp_path) as store:
        assert store.pending_count() == len(ids)


def test_a_single_record_over_the_limit_is_skipped_kept_pending_and_reported(
    tmp_path: Path, shared_collector: CollectorProcess, proxy: FaultProxy
) -> None:
    ids = fill(tmp_path, "onetoolarge", 1)
    proxy.queue(answer(413, b"too large"))
    summary = run_sync(tmp_path, proxy.url)
    assert summary.skipped == ids and summary.remaining == 1 and summary.exit_code == 2
    assert "body limit" in (summary.error or "")
    assert len(proxy.submissions()) == 1  # skipped for this run, not retried forever
    with RecordStore(tmp_path) as store:
        assert store.pending_count() == 1
    assert run_sync(tmp_path, proxy.url).synced == 1
    assert_invariants(shared_collector, tmp_path)


def test_a_200_without_a_result_for_every_record_is_not_a_receipt(
    tmp_path: Path, shared_collector: CollectorProcess, proxy: FaultProxy
) -> None:
    """Marker header and JSON, but results missing, unknown or for other ids: nothing counts."""
    import json

    ids = fill(tmp_path, "malformed", 4)
    marked = {"X-Borgerkiosk-Sync": "1", "Content-Type": "application/json"}
    replies = [
        {"results": []},
        {"results": [{"id": i, "status": "accepted"} for i in ids[:3]]},
        {"results": [{"id": i, "status": "stored"} for i in ids]},
        {"results": [{"id": i + "x", "status": "accepted"} for i in ids]},
        {"results": [{"id": ids[0], "status": "accepted"}] * 4},
    ]
    proxy.queue(*[answer(200, json.dumps(r).encode(), **marked) for r in replies])
    summary = run_sync(tmp_path, proxy.url, retry=RetryPolicy(5, 0.01, 0.02))
    assert summary.synced == 0 and summary.remaining == 4
    assert "not well-formed" in (summary.error or "")
    with RecordStore(tmp_path) as store:
        assert store.pending_count() == 4
    assert run_sync(tmp_path, proxy.url).synced == 4
    assert_invariants(shared_collector, tmp_path)
