"""Fixtures used in more than one area of the suite: real data directories and records, and
the real collector on 127.0.0.1. Each area's own fixtures are in its folder's conftest.py;
plain helpers (no fixtures) are in tests/helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.collector import BACKENDS, TOKEN, CollectorProcess
from kiosk.records import new_record
from kiosk.store import RecordStore


@pytest.fixture
def anyio_backend() -> str:
    """Pilot tests (``pytest.mark.anyio``) run on asyncio, as Textual does."""
    return "asyncio"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A fresh kiosk data directory on the real disk."""
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def store(data_dir: Path) -> Iterator[RecordStore]:
    with RecordStore(data_dir) as opened:
        yield opened


@pytest.fixture
def make_record() -> Callable[..., dict[str, Any]]:
    """A factory of valid records; keyword arguments override fields."""

    def make(**overrides: Any) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "kind": "response",
            "survey_id": "gentofte-moedes",
            "survey_version": 1,
            "survey_hash": "0" * 64,
            "kiosk_id": "kiosk-test",
            "lang": "da",
            "started_at": "2026-09-05T10:00:00.000Z",
            "completed": True,
            "answers": {"tilknytning": "bor", "emner": ["klima", "kultur"], "alder": 42},
        }
        fields.update(overrides)
        return new_record(**fields)

    return make


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    """The collector's token, as a file the collector and ``kiosk sync`` read."""
    path = tmp_path / "collector.token"
    path.write_text(TOKEN + "\n")
    return path


@pytest.fixture(scope="module", params=BACKENDS)
def shared_collector(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CollectorProcess]:
    """One collector for a module's tests, on each database in turn (SQLite, then a real
    PostgreSQL the tests start); each test uses its own kiosk id."""
    base = tmp_path_factory.mktemp("collector")
    token_path = base / "token"
    token_path.write_text(TOKEN)
    collector = CollectorProcess(base / "collector.db", token_path, backend=request.param).start()
    yield collector
    collector.stop()
