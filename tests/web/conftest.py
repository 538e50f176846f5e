"""Fixtures of the web tests: a fresh collector database on each backend in turn."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.collector import BACKENDS
from helpers.pg_server import postgres_server


@pytest.fixture(params=BACKENDS)
def collector_db(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """A SQLite file (not made yet) or a fresh database on the session's PostgreSQL server."""
    if request.param == "postgresql":
        return postgres_server().new_database("web")
    return tmp_path / "c.db"
