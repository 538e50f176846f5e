"""Fixtures shared across the suite: real data directories and records."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.paths import PROJECT_ROOT
from kiosk.records import new_record
from kiosk.store import RecordStore

BUNDLED_SURVEY = PROJECT_ROOT / "surveys" / "gentofte-moedes.yaml"


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
