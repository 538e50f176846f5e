"""The kiosk app with background sync to the real collector on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helpers.collector import TOKEN, CollectorProcess
from helpers.pilot import click, keys, running, screen_text, wait_for
from kiosk.app.screens.organiser import OrganiserScreen
from kiosk.app.screens.thanks import ThanksScreen
from kiosk.config import SyncConfig

pytestmark = pytest.mark.anyio

TO_THANKS = ["1", "enter", "1", "enter", "enter", "enter", "enter", "enter"]


async def test_saved_record_reaches_the_collector_and_the_organiser_sees_sync(
    tmp_path: Path, shared_collector: CollectorProcess
) -> None:
    sync = SyncConfig(endpoint=shared_collector.url, token=TOKEN, interval=3600)
    settings: dict[str, Any] = {"kiosk_id": "kiosk-sync-1", "sync": sync}
    async with running(tmp_path, **settings) as (app, pilot, store):
        await wait_for(pilot, lambda: app.sync.available)
        await keys(pilot, *TO_THANKS)
        assert isinstance(app.screen, ThanksScreen)
        (record,) = store.records()
        # the nudge after the save sends it soon, though the interval is an hour
        await wait_for(pilot, lambda: record["id"] in shared_collector.rows("kiosk-sync-1"), 20)
        await keys(pilot, "space", "ctrl+o")
        assert isinstance(app.screen, OrganiserScreen)
        await click(pilot, "#sync-now")
        synced = "Synkronisering: 0 venter"
        await wait_for(pilot, lambda: synced in screen_text(app, "#sync-status"))
        assert "Fejl: ingen" in screen_text(app, "#sync-status")


async def test_sync_without_a_token_file_says_why_on_the_organiser_screen(
    tmp_path: Path,
) -> None:
    sync = SyncConfig(endpoint="http://127.0.0.1:9", token_file=tmp_path / "missing-token")
    async with running(tmp_path, sync=sync) as (app, pilot, _store):
        await keys(pilot, "ctrl+o")
        text = screen_text(app, "#sync-status")
        assert "Synkroniseringen kunne ikke starte" in text and "missing-token" in text
