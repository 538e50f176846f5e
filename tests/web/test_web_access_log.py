"""The running collector's access log keeps paths only: no search text, no follow-up code."""

from __future__ import annotations

from pathlib import Path

import requests
from conftest_sync import TOKEN, CollectorProcess


def test_access_log_has_no_query_string_or_ref(tmp_path: Path) -> None:
    token_file = tmp_path / "collector.token"
    token_file.write_text(TOKEN)
    collector = CollectorProcess(tmp_path / "collector.db", token_file).start()
    try:
        search = requests.get(
            collector.url + "/ideas?q=Karen+Blixen", allow_redirects=False, timeout=10
        )
        assert search.status_code == 303
        assert requests.get(collector.url + "/f/GM-7K3Q", timeout=10).status_code == 200
    finally:
        collector.stop()
    log = collector.log.read_text(encoding="utf-8")
    assert '"GET /ideas HTTP/1.1" 303' in log and '"GET /f/{ref} HTTP/1.1" 200' in log
    assert "Karen" not in log and "7K3Q" not in log


def test_a_port_in_use_still_fails_the_start(tmp_path: Path) -> None:
    import socket

    token_file = tmp_path / "collector.token"
    token_file.write_text(TOKEN)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        collector = CollectorProcess(tmp_path / "collector.db", token_file, port=port)
        try:
            collector.start()
        except RuntimeError as exc:
            assert "could not start" in str(exc)
        else:
            raise AssertionError("the collector started on a port in use")
        finally:
            collector.stop()
