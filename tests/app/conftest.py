"""Fixtures of the app's tests: the all-types survey at the fixed path the snapshots show."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.snapshots import survey_at_fixed_path
from helpers.surveys import ALL_TYPES


@pytest.fixture
def survey_path() -> Iterator[Path]:
    """The all-types survey and an empty data directory at fixed paths (snapshots)."""
    yield from survey_at_fixed_path(ALL_TYPES, "survey")
