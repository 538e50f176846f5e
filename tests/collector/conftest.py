"""Fixtures of the collector's own tests: the session's real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from helpers.pg_server import PostgresServer, postgres_server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """Debian's PostgreSQL in a temporary folder on a free loopback port, for the session."""
    yield postgres_server()
