"""A survey's follow-up without a url leads to the collector's own page, {public_url}/f/{ref}:
the kiosk knows the collector's public address from its config ([sync] public_url, else the
sync endpoint unless it is this machine), so the QR code is right even offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.pilot import keys, question_screen, running, type_text, wait_for
from helpers.surveys import IDEAS
from kiosk.app.idea_flow import CONSENT
from kiosk.app.screens.thanks import ThanksScreen
from kiosk.config import ConfigError, SyncConfig, load_config
from kiosk.refs import followup_template, followup_url

pytestmark = pytest.mark.anyio

WITHOUT_URL = IDEAS.replace("  url: https://example.dk/ide/{ref}\n", "")


def test_the_template_falls_back_to_the_collectors_page() -> None:
    assert followup_template("https://x.dk/i/{ref}", "https://c.dk") == "https://x.dk/i/{ref}"
    assert followup_template(None, "https://c.dk/") == "https://c.dk/f/{ref}"
    assert followup_template(None, None) is None


def test_the_public_base_is_the_public_url_else_a_reachable_endpoint() -> None:
    assert SyncConfig(public_url="https://c.dk").followup_base() == "https://c.dk"
    assert SyncConfig(endpoint="https://c.dk:8443").followup_base() == "https://c.dk:8443"
    assert SyncConfig(endpoint="http://127.0.0.1:8080").followup_base() is None  # not a phone's
    assert SyncConfig().followup_base() is None


def test_config_reads_and_checks_public_url(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text('kiosk_id = "kiosk-1"\n[sync]\npublic_url = "https://c.dk"\n')
    assert load_config(path).sync.public_url == "https://c.dk"
    path.write_text('kiosk_id = "kiosk-1"\n[sync]\npublic_url = "c.dk/f"\n')
    with pytest.raises(ConfigError, match=r"sync\.public_url must be a web address"):
        load_config(path)


async def test_the_qr_code_leads_to_the_collectors_follow_up_page(tmp_path: Path) -> None:
    from helpers.qr_decode import decode_screen

    sync = SyncConfig(public_url="https://kiosk.example.dk")
    async with running(
        tmp_path, survey_text=WITHOUT_URL, size=(120, 40), thanks_timeout=600, sync=sync
    ) as (app, pilot, store):
        assert app.surveys[0].followup.url is None
        await keys(pilot, "2", "1")
        await type_text(pilot, "Bænke")
        await keys(pilot, "enter", "tab", "enter")
        for _ in range(10):  # past the optional about-you questions
            if question_screen(app).flow.current.id == CONSENT:
                break
            await keys(pilot, "enter")
        await keys(pilot, "2")  # no contact
        await wait_for(pilot, lambda: isinstance(app.screen, ThanksScreen))
        (record,) = store.records()
        url = followup_url("https://kiosk.example.dk/f/{ref}", record["ref"])
        await wait_for(pilot, lambda: decode_screen(app) == [url])
