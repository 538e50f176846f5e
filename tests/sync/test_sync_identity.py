"""Kiosk identity: two data directories under one kiosk id are named as the cause, and a data
directory moved to a new collector is not told all is there (issue 11, "Kiosk identity").

The real collector runs on 127.0.0.1; data directories are real stores on disk.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.collector import TOKEN, CollectorProcess, assert_invariants, fast_client, fill
from kiosk.store import RecordStore, read_store_id
from kiosk.sync.runner import sync_store
from kiosk.sync.synced_to import read_synced_to

pytestmark = pytest.mark.timeout(180)


def kiosk_sync(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KIOSK_TOKEN", "KIOSK_ENDPOINT")}
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "sync", "--retry-delay", "0.01", *args],
        capture_output=True, text=True, timeout=120, env={**env, "COLUMNS": "200"},
    )  # fmt: skip


def test_every_data_directory_has_its_own_store_id(tmp_path: Path) -> None:
    fill(tmp_path / "a", "same-id", 1)
    fill(tmp_path / "b", "same-id", 1)
    ids = {read_store_id(tmp_path / "a"), read_store_id(tmp_path / "b")}
    assert len(ids) == 2 and None not in ids


def test_two_data_directories_under_one_kiosk_id_are_named_as_the_cause(
    tmp_path: Path, shared_collector: CollectorProcess, token_file: Path
) -> None:
    first, second = tmp_path / "stand-a", tmp_path / "stand-b"
    fill(first, "twice", 5)
    fill(second, "twice", 3)
    alone = kiosk_sync("--data", str(first), "--endpoint", shared_collector.url,
                       "--token-file", str(token_file), "--verify")  # fmt: skip
    assert alone.returncode == 0, alone.stdout + alone.stderr
    assert "warning from the collector" not in alone.stdout
    summary = tmp_path / "summary.json"
    clash = kiosk_sync("--data", str(second), "--endpoint", shared_collector.url,
                       "--token-file", str(token_file), "--verify",
                       "--summary-json", str(summary))  # fmt: skip
    text = " ".join(clash.stdout.split())
    assert clash.returncode == 5, clash.stdout + clash.stderr
    assert "warning from the collector: 2 different data directories send records as kiosk " \
        "'twice'" in text  # fmt: skip
    assert "give each kiosk its own id" in text
    assert "run kiosk sync again" not in text  # the old advice pointed the wrong way
    written = json.loads(summary.read_text(encoding="utf-8"))
    assert written["verify"][0]["stores"] == 2
    assert written["warnings"] and "'twice'" in written["warnings"][0]
    # nothing is lost: the collector holds the records of both
    assert len(shared_collector.rows("twice")) == 8


def test_a_kiosk_without_a_store_id_still_syncs(
    tmp_path: Path, shared_collector: CollectorProcess
) -> None:
    """An older kiosk sends no store_id: accepted as before, no warning."""
    fill(tmp_path, "no-store-id", 4)
    with RecordStore(tmp_path) as store, fast_client(shared_collector.url) as client:
        records = [r for r in store.records()]
        results = client.submit("no-store-id", records)
        assert [r.status for r in results] == ["accepted"] * 4
        assert client.warnings == []


def test_a_data_directory_moved_to_a_new_collector_is_not_told_all_is_there(
    tmp_path: Path, shared_collector: CollectorProcess, token_file: Path
) -> None:
    """Synced state belongs to a collector: pointed at another one, a plain kiosk sync sends
    everything again (its last collector's address is kept beside the store), so "Everything
    is at the collector" is true when it is said."""
    data = tmp_path / "kiosk"
    fill(data, "moved", 12)
    with RecordStore(data) as store, fast_client(shared_collector.url) as client:
        assert sync_store(store, client).synced == 12  # the rehearsal collector
    assert read_synced_to(data) == shared_collector.url
    base = tmp_path / "real"
    base.mkdir()
    (base / "token").write_text(TOKEN)
    real = CollectorProcess(base / "collector.db", base / "token").start()
    try:
        moved = kiosk_sync("--data", str(data), "--endpoint", real.url,
                           "--token-file", str(token_file))  # fmt: skip
        text = " ".join(moved.stdout.split())
        assert moved.returncode == 0, moved.stdout + moved.stderr
        before = shared_collector.url
        assert f"sent again: 12 (synced before to another collector, {before})" in text
        assert len(real.rows("moved")) == 12  # before anything says all is there
        assert "Everything is at the collector" in text
        assert read_synced_to(data) == real.url
        verified = kiosk_sync("--data", str(data), "--endpoint", real.url,
                              "--token-file", str(token_file), "--verify")  # fmt: skip
        text = " ".join(verified.stdout.split())
        assert verified.returncode == 0 and "sent again" not in text  # once is enough
        assert "MATCH" in text
        assert_invariants(real, data)
    finally:
        real.stop()


def test_an_older_data_directory_moved_is_told_to_resend(
    tmp_path: Path, shared_collector: CollectorProcess, token_file: Path
) -> None:
    """Synced before the collector's address was kept: --verify names the move and
    --resend sends everything again, as often as asked (the collector keeps one copy)."""
    data = tmp_path / "kiosk"
    fill(data, "moved-old", 12)
    with RecordStore(data) as store, fast_client(shared_collector.url) as client:
        assert sync_store(store, client).synced == 12  # the rehearsal collector
    (data / "synced-to").unlink()  # as a kiosk from before left it
    base = tmp_path / "real"
    base.mkdir()
    (base / "token").write_text(TOKEN)
    real = CollectorProcess(base / "collector.db", base / "token").start()
    try:
        told = kiosk_sync("--data", str(data), "--endpoint", real.url,
                          "--token-file", str(token_file), "--verify")  # fmt: skip
        text = " ".join(told.stdout.split())
        assert told.returncode == 5, told.stdout + told.stderr
        assert "Everything is at the collector" not in text
        assert "run kiosk sync --resend" in text
        resent = kiosk_sync("--data", str(data), "--endpoint", real.url,
                            "--token-file", str(token_file), "--verify", "--resend")  # fmt: skip
        text = " ".join(resent.stdout.split())
        assert resent.returncode == 0, resent.stdout + resent.stderr
        assert "sent again: 12 (--resend)" in text
        assert "Everything is at the collector" in text
        assert_invariants(real, data)
        again = kiosk_sync("--data", str(data), "--endpoint", real.url,
                           "--token-file", str(token_file), "--resend")  # fmt: skip
        assert again.returncode == 0  # resending twice is harmless: duplicates, no copies
        assert len(real.rows("moved-old")) == 12
    finally:
        real.stop()
