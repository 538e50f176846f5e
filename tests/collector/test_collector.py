"""The collector over real HTTP: statuses, dedup and conflicts, limits, digest, export, logs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from helpers.collector import TOKEN, CollectorProcess, free_port, kiosk_record
from kiosk.sync.protocol import SYNC_HEADER, canonical_json, ids_digest

pytestmark = pytest.mark.timeout(120)
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def post(collector: CollectorProcess, body: object, headers: dict[str, str] | None = None):
    return requests.post(
        collector.url + "/v1/submissions",
        json=body,
        headers=AUTH if headers is None else headers,
        timeout=10,
    )


def test_health_needs_no_token_and_carries_the_header(shared_collector: CollectorProcess) -> None:
    response = requests.get(shared_collector.url + "/v1/health", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers[SYNC_HEADER] == "1"


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}]
)
def test_missing_or_wrong_token_is_401(
    shared_collector: CollectorProcess, headers: dict[str, str]
) -> None:
    record = kiosk_record("auth", 1)
    response = post(shared_collector, {"kiosk_id": "auth", "records": [record]}, headers)
    assert response.status_code == 401
    assert record["id"] not in shared_collector.rows()
    digest = requests.get(shared_collector.url + "/v1/kiosks/auth/digest", timeout=5)
    assert digest.status_code == 401


def test_accepted_duplicate_conflict_and_the_stored_one_is_kept(
    shared_collector: CollectorProcess,
) -> None:
    first = kiosk_record("dedup", 1)
    second = kiosk_record("dedup", 2)
    reply = post(shared_collector, {"kiosk_id": "dedup", "records": [first, second]})
    assert reply.status_code == 200 and reply.headers[SYNC_HEADER] == "1"
    assert [r["status"] for r in reply.json()["results"]] == ["accepted", "accepted"]

    changed = {**first, "answers": {"tilknytning": "arbejder"}}
    reply = post(shared_collector, {"kiosk_id": "dedup", "records": [second, changed]})
    results = reply.json()["results"]
    assert [(r["id"], r["status"]) for r in results] == [
        (second["id"], "duplicate"),
        (first["id"], "conflict"),
    ]
    assert "error" not in results[0] and results[1]["error"]
    assert shared_collector.rows("dedup")[first["id"]] == canonical_json(first)


def test_invalid_records_are_refused_one_by_one(shared_collector: CollectorProcess) -> None:
    good = kiosk_record("invalid", 1)
    bad_schema = {**kiosk_record("invalid", 2), "synced_at": "2026-09-05T10:00:00Z"}
    bad_answer = kiosk_record("invalid", 3, answers={"x": {"nested": "no"}})
    other_kiosk = kiosk_record("someone-else", 4)
    reply = post(
        shared_collector,
        {"kiosk_id": "invalid", "records": [good, bad_schema, bad_answer, other_kiosk]},
    )
    results = reply.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "invalid", "invalid", "invalid"]
    assert "synced_at" in results[1]["error"]
    assert "answers.x" in results[2]["error"]
    assert "kiosk_id" in results[3]["error"]
    assert "nested" not in json.dumps(results)  # values are not echoed, field names are
    assert set(shared_collector.rows("invalid")) == {good["id"]}
    assert other_kiosk["id"] not in shared_collector.rows()


@pytest.mark.parametrize(
    "body", [{"records": []}, {"kiosk_id": "x"}, [1, 2], {"kiosk_id": "x", "records": "no"}]
)
def test_not_a_submission_is_422(shared_collector: CollectorProcess, body: object) -> None:
    assert post(shared_collector, body).status_code == 422


def test_a_refused_body_is_not_echoed_back(shared_collector: CollectorProcess) -> None:
    """The 422 says where the body is wrong, not what it held (it may be personal)."""
    body = {"kiosk_id": "echo", "records": "Ane Hansen, ane@example.dk, 12 34 56 78"}
    reply = post(shared_collector, body)
    assert reply.status_code == 422
    assert reply.json()["detail"][0]["loc"] == ["body", "records"]
    assert "Ane" not in reply.text and "ane@example.dk" not in reply.text


def test_garbage_body_is_4xx(shared_collector: CollectorProcess) -> None:
    response = requests.post(
        shared_collector.url + "/v1/submissions",
        data=b"\xff\xfe not json",
        headers={**AUTH, "Content-Type": "application/json"},
        timeout=5,
    )
    assert response.status_code in (400, 422)


def test_digest_counts_and_hashes_sorted_ids(shared_collector: CollectorProcess) -> None:
    records = [kiosk_record("digest", n) for n in range(7)]
    post(shared_collector, {"kiosk_id": "digest", "records": records})
    reply = requests.get(shared_collector.url + "/v1/kiosks/digest/digest", headers=AUTH, timeout=5)
    assert reply.json() == {
        "kiosk_id": "digest",
        "count": 7,
        "sha256": ids_digest(r["id"] for r in records),
        "stores": 0,  # no store_id sent: an older kiosk
    }
    empty = requests.get(shared_collector.url + "/v1/kiosks/nobody/digest", headers=AUTH, timeout=5)
    assert empty.json()["count"] == 0


def test_openapi_describes_the_protocol(shared_collector: CollectorProcess) -> None:
    spec = requests.get(shared_collector.url + "/openapi.json", timeout=5).json()
    assert {"/v1/submissions", "/v1/health", "/v1/kiosks/{kiosk_id}/digest"} <= set(spec["paths"])


def test_body_over_the_limit_is_413(tmp_path: Path, token_file: Path) -> None:
    collector = CollectorProcess(tmp_path / "small.db", token_file, "--max-body", "4096").start()
    try:
        records = [kiosk_record("big", n) for n in range(30)]
        response = post(collector, {"kiosk_id": "big", "records": records})
        assert response.status_code == 413
        assert response.raw.headers.getlist(SYNC_HEADER) == ["1"]  # once, not "1, 1"
        assert collector.rows() == {}
        small = post(collector, {"kiosk_id": "big", "records": records[:2]})
        assert small.status_code == 200
    finally:
        collector.stop()
    log = collector.log.read_text()
    # the log says what happened without what visitors answered
    assert "2 accepted" in log
    assert "kultur" not in log and records[0]["id"] not in log


def test_export_merges_all_kiosks(tmp_path: Path, token_file: Path) -> None:
    collector = CollectorProcess(tmp_path / "merged.db", token_file).start()
    try:
        a = [kiosk_record("kiosk-a", n) for n in range(3)]
        b = [kiosk_record("kiosk-b", n) for n in range(2)]
        post(collector, {"kiosk_id": "kiosk-a", "records": a})
        post(collector, {"kiosk_id": "kiosk-b", "records": b})
    finally:
        collector.stop()
    out = tmp_path / "all.jsonl"
    run = subprocess.run(
        [sys.executable, "-m", "kiosk", "collector", "export", "--db", str(collector.db),
         "--out", str(out)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines == [*a, *b]
    csv_out = tmp_path / "all.csv"
    run = subprocess.run(
        [sys.executable, "-m", "kiosk", "collector", "export", "--db", str(collector.db),
         "--format", "csv", "--out", str(csv_out)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    rows = csv_out.read_text().splitlines()
    assert len(rows) == 1 + 5 and rows[0].startswith("id,kind,survey_id")


def test_export_of_something_that_is_not_a_collector_db(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_text("shopping list\n" * 100)
    run = subprocess.run(
        [sys.executable, "-m", "kiosk", "collector", "export", "--db", str(bogus)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 2
    assert "not a collector database" in run.stderr and "Traceback" not in run.stderr
    assert bogus.read_text().startswith("shopping list")


def test_serve_without_a_token_refuses_to_start(tmp_path: Path) -> None:
    env = {k: v for k, v in __import__("os").environ.items() if k != "KIOSK_TOKEN"}
    run = subprocess.run(
        [sys.executable, "-m", "kiosk", "collector", "serve", "--db", str(tmp_path / "c.db")],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert run.returncode == 4
    assert "token" in run.stderr and "Traceback" not in run.stderr


def test_digest_of_a_kiosk_id_with_a_slash(shared_collector: CollectorProcess) -> None:
    from kiosk.sync.client import SyncClient

    records = [kiosk_record("bus/linje 1", n) for n in range(3)]
    with SyncClient(shared_collector.url, TOKEN) as client:
        results = client.submit("bus/linje 1", records)
        assert [r.status for r in results] == ["accepted"] * 3
        assert client.digest("bus/linje 1") == {
            "kiosk_id": "bus/linje 1",
            "count": 3,
            "sha256": ids_digest(r["id"] for r in records),
            "stores": 0,
        }


def test_serve_on_a_port_in_use_says_so(
    tmp_path: Path, shared_collector: CollectorProcess, token_file: Path
) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "kiosk", "collector", "serve", "--db", str(tmp_path / "c.db"),
         "--port", str(shared_collector.port), "--token-file", str(token_file)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 2
    assert "could not start" in run.stderr and "Traceback" not in run.stderr
    port = shared_collector.port
    assert f"could not start on 127.0.0.1:{port}: the port is in use" in run.stderr
    assert "give another --port" in run.stderr


def test_serve_on_an_address_this_machine_lacks_says_so_not_port_in_use(
    tmp_path: Path, token_file: Path
) -> None:
    """192.0.2.1 is TEST-NET-1 (RFC 5737): no machine has it; only a bind is tried."""
    port = str(free_port())
    run = subprocess.run(
        [sys.executable, "-m", "kiosk", "collector", "serve", "--db", str(tmp_path / "c.db"),
         "--host", "192.0.2.1", "--port", port, "--token-file", str(token_file)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"could not start on 192.0.2.1:{port}: this machine has no address 192.0.2.1" in (
        run.stderr
    )
    assert "give --host one of this machine's own addresses" in run.stderr
    assert "in use" not in run.stderr


def test_too_many_concurrent_submissions_is_503_with_retry_after(
    tmp_path: Path, token_file: Path
) -> None:
    import sqlite3
    import threading

    collector = CollectorProcess(tmp_path / "busy.db", token_file, "--max-concurrent", "1")
    collector.start()
    # hold the database so the one allowed submission stays busy while the others arrive
    holder = sqlite3.connect(collector.db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    replies: list[requests.Response] = []
    records = [kiosk_record("crowd", n) for n in range(4)]

    def send(record: dict) -> None:
        replies.append(post(collector, {"kiosk_id": "crowd", "records": [record]}))

    try:
        threads = [threading.Thread(target=send, args=(r,)) for r in records]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    try:
        assert len(replies) == 4
        assert all(r.status_code == 503 and r.headers["Retry-After"] for r in replies)
        assert collector.rows() == {}
        assert "too many concurrent submissions" in collector.log.read_text()
        # once the crowd has gone, the same records are taken
        assert post(collector, {"kiosk_id": "crowd", "records": records}).status_code == 200
        assert len(collector.rows()) == 4
    finally:
        collector.stop()


def test_storage_is_durable_with_the_record_id_as_primary_key(
    shared_collector: CollectorProcess,
) -> None:
    import sqlite3

    record = kiosk_record("schema", 1)
    assert post(shared_collector, {"kiosk_id": "schema", "records": [record]}).status_code == 200
    if shared_collector.backend == "postgresql":
        import psycopg

        with psycopg.connect(str(shared_collector.db)) as pg:
            assert pg.execute("SHOW synchronous_commit").fetchone()[0] == "on"
            key = pg.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'records'::regclass "
                "AND i.indisprimary"
            ).fetchall()
            assert key == [("id",)]
            stored_hash = pg.execute(
                "SELECT content_hash FROM records WHERE id = %s", (record["id"],)
            ).fetchone()[0]
        from kiosk.sync.protocol import content_hash

        assert stored_hash == content_hash(record)
        return
    conn = sqlite3.connect(f"file:{shared_collector.db}?mode=ro", uri=True, timeout=10)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        columns = {row[1]: row for row in conn.execute("PRAGMA table_info(records)")}
        assert columns["id"][5] == 1  # the primary key, and the only one
        assert sum(1 for row in columns.values() if row[5]) == 1
        stored_hash = conn.execute(
            "SELECT content_hash FROM records WHERE id = ?", (record["id"],)
        ).fetchone()[0]
    finally:
        conn.close()
    from kiosk.sync.protocol import content_hash

    assert stored_hash == content_hash(record)


def test_the_bearer_scheme_is_case_insensitive(shared_collector: CollectorProcess) -> None:
    record = kiosk_record("scheme", 1)
    reply = post(
        shared_collector,
        {"kiosk_id": "scheme", "records": [record]},
        {"Authorization": f"bearer {TOKEN}"},
    )
    assert reply.status_code == 200
    assert reply.json()["results"] == [{"id": record["id"], "status": "accepted"}]
