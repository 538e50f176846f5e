"""Ideas on the collector's web side: list and filters, status and answer with history, roles,
the public follow-up page /f/{ref}, its rate limit, and hostile idea text never running."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers.web import (
    ORGANISER,
    VIEWER,
    client_for,
    csrf_of,
    idea_record,
    make_app,
    page_token,
    submit,
)
from kiosk.collector.ideas import board_ideas, idea_history, load_statuses

HOSTILE_TITLE = "<script>alert('t')</script>"
HOSTILE_DESCRIPTION = '"><img src=x onerror=alert(1)> <a href="javascript:alert(2)">klik</a>'
HOSTILE_ANSWER = '<a href="javascript:alert(3)">svar</a><script>alert(4)</script>'


@pytest.fixture
def site(tmp_path: Path, collector_db: Path | str):  # type: ignore[no-untyped-def]
    app, storage = make_app(collector_db)
    records = [
        idea_record("kiosk-1", "GM-7K3Q", "Flere bænke ved stranden", "Til de ældre", "aeldre"),
        idea_record(
            "kiosk-1",
            "GM-9XYZ",
            "Cykelsti",
            "Langs vejen",
            "klima-groent",
            submitted_at="2026-09-06T09:00:00.000Z",
        ),
        idea_record("kiosk-2", "GM-HHHH", HOSTILE_TITLE, HOSTILE_DESCRIPTION, "kultur"),
    ]
    submit(client_for(app), "kiosk-1", records[:2])
    submit(client_for(app), "kiosk-2", records[2:])
    yield app, storage, {r["idea"]["title"]: r["id"] for r in records}
    storage.close()


def _save(client, record_id: str, **fields: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(f"/ideas/{record_id}").text)
    return client.post(f"/ideas/{record_id}", data={"csrf_token": token, **fields})


def test_list_filters_by_theme_status_date_and_search(site) -> None:  # type: ignore[no-untyped-def]
    app, _storage, ids = site
    client = client_for(app, VIEWER)
    page = client.get("/ideas").text
    assert "3 idéer" in page and "Flere bænke ved stranden" in page and "Cykelsti" in page
    assert "Cykelsti" not in client.get("/ideas?theme=aeldre").text
    assert "Flere bænke" in client.get("/ideas?theme=aeldre").text
    chosen = client.get("/ideas?theme=aeldre").text
    assert '<option value="aeldre" selected>Ældre</option>' in chosen
    only_sixth = client.get("/ideas?date=2026-09-06").text
    assert "Cykelsti" in only_sixth and "Flere bænke" not in only_sixth
    found = client.get("/ideas?q=langs").text  # in the description, any case
    assert "Cykelsti" in found and "1 idéer" in found
    assert "0 idéer" in client.get("/ideas?q=%25").text  # a LIKE wildcard is just a character
    assert client.get("/ideas?page=abc").status_code == 200  # a bad page number: the first
    organiser = client_for(app, ORGANISER)
    assert _save(organiser, ids["Cykelsti"], status="gennemfoert").status_code == 303
    done = client.get("/ideas?status=gennemfoert").text
    assert "Cykelsti" in done and "1 idéer" in done
    assert "2 idéer" in client.get("/ideas?status=modtaget").text


def test_organiser_sets_status_and_answer_and_history_keeps_it(site) -> None:  # type: ignore[no-untyped-def]
    app, storage, ids = site
    organiser = client_for(app, ORGANISER)
    record_id = ids["Flere bænke ved stranden"]
    reply = _save(
        organiser,
        record_id,
        status="sendt_videre",
        answer_da="Vi har sendt den videre.",
        answer_en="We passed it on.",
        on_board="1",
    )
    assert reply.status_code == 303 and reply.headers["location"].endswith("?saved=1")
    page = organiser.get(reply.headers["location"]).text
    assert "Gemt." in page and "Sendt videre til opgaveudvalget" in page
    changes = {c.field: c for c in idea_history(storage, record_id)}
    assert set(changes) == {"status", "answer_da", "answer_en", "on_board"}
    assert changes["status"].account == "olga"
    assert (changes["status"].old, changes["status"].new) == ("modtaget", "sendt_videre")
    assert "Historik" in page and "olga" in page
    assert [i.title for i in board_ideas(storage, "gentofte-moedes")] == [
        "Flere bænke ved stranden"
    ]
    _save(
        organiser,
        record_id,
        status="sendt_videre",
        answer_da="Vi har sendt den videre.",
        answer_en="We passed it on.",
        on_board="1",
    )
    assert len(idea_history(storage, record_id)) == 4  # nothing changed: no new history
    _save(organiser, record_id, status="sendt_videre", hidden="1", on_board="1")
    assert board_ideas(storage, "gentofte-moedes") == []  # hidden: off the board too


def test_viewer_sees_but_changes_nothing(site) -> None:  # type: ignore[no-untyped-def]
    app, storage, ids = site
    viewer = client_for(app, VIEWER)
    record_id = ids["Cykelsti"]
    page = viewer.get(f"/ideas/{record_id}")
    assert page.status_code == 200 and "Cykelsti" in page.text
    assert 'name="answer_da"' not in page.text  # no form for a viewer
    reply = viewer.post(
        f"/ideas/{record_id}",
        data={"csrf_token": csrf_of(page.text), "status": "ikke_muligt", "hidden": "1"},
    )
    assert reply.status_code == 403 and "Ikke tilladt" in reply.text
    assert idea_history(storage, record_id) == []


def test_an_unknown_status_is_refused(site) -> None:  # type: ignore[no-untyped-def]
    app, storage, ids = site
    reply = _save(client_for(app, ORGANISER), ids["Cykelsti"], status="<b>x</b>")
    assert reply.status_code == 400 and "<b>x</b>" not in reply.text
    assert idea_history(storage, ids["Cykelsti"]) == []


def test_follow_up_page_shows_status_and_answer_in_both_languages(site) -> None:  # type: ignore[no-untyped-def]
    app, _storage, ids = site
    _save(
        client_for(app, ORGANISER),
        ids["Flere bænke ved stranden"],
        status="under_behandling",
        answer_da="Vi ser på det i oktober.",
        answer_en="We look at it in October.",
    )
    visitor = client_for(app)
    danish = visitor.get("/f/GM-7K3Q")
    assert danish.status_code == 200
    for text in [
        "Flere bænke ved stranden",
        "Ældre",
        "2026-09-05",
        "Under behandling",
        "Vi ser på det i oktober.",
    ]:
        assert text in danish.text
    assert "Til de ældre" not in danish.text  # the description is not on the public page
    assert "kiosk-1" not in danish.text
    english = client_for(app).get("/f/gm 7k3q?lang=en")  # typed in lower case, a space
    assert "We look at it in October." in english.text and "Being considered" in english.text
    assert "Older people" in english.text


def _shape(html: str, ref: str) -> str:
    return html.replace(ref, "REF")


def test_unknown_and_hidden_refs_are_indistinguishable(site) -> None:  # type: ignore[no-untyped-def]
    app, _storage, ids = site
    _save(
        client_for(app, ORGANISER),
        ids["Cykelsti"],
        status="modtaget",
        hidden="1",
        answer_da="skjult svar",
    )
    hidden = client_for(app).get("/f/GM-9XYZ")
    unknown = client_for(app).get("/f/GM-2222")
    malformed = client_for(app).get("/f/GM-22")
    assert hidden.status_code == unknown.status_code == malformed.status_code == 200
    assert "Din idé er ikke nået frem endnu" in unknown.text
    assert _shape(hidden.text, "GM-9XYZ") == _shape(unknown.text, "GM-2222")
    assert _shape(malformed.text, "GM-22") == _shape(unknown.text, "GM-2222")
    assert "Cykelsti" not in hidden.text and "skjult svar" not in hidden.text
    assert dict(hidden.headers).keys() == dict(unknown.headers).keys()
    assert "set-cookie" not in hidden.headers  # a visitor's page sets no cookie


def test_a_survey_response_ref_gets_a_thank_you(tmp_path: Path, collector_db: Path | str) -> None:
    from helpers.collector import kiosk_record

    app, storage = make_app(collector_db)
    submit(client_for(app), "kiosk-3", [kiosk_record("kiosk-3", 1, ref="GM-RRRR")])
    page = client_for(app).get("/f/GM-RRRR")
    assert page.status_code == 200 and "Tak for dine svar" in page.text
    storage.close()


def test_follow_up_pages_are_rate_limited_per_client(
    tmp_path: Path, collector_db: Path | str
) -> None:
    app, storage = make_app(collector_db)
    app.state.followup_limiter.limit = 3
    visitor = client_for(app)
    assert [visitor.get(f"/f/GM-{c}AAA").status_code for c in "234"] == [200, 200, 200]
    refused = visitor.get("/f/GM-5AAA")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert "For mange opslag" in refused.text and "Vent 1 minut" in refused.text
    assert client_for(app).get("/signin").status_code == 200  # other pages are not limited
    storage.close()


def test_hostile_idea_text_never_runs_on_any_page(site) -> None:  # type: ignore[no-untyped-def]
    app, _storage, ids = site
    organiser = client_for(app, ORGANISER)
    record_id = ids[HOSTILE_TITLE]
    _save(
        organiser,
        record_id,
        status="modtaget",
        answer_da=HOSTILE_ANSWER,
        answer_en=HOSTILE_ANSWER,
        on_board="1",
    )
    pages = [
        organiser.get("/ideas").text,
        organiser.get("/ideas?q=script").text,
        organiser.get(f"/ideas/{record_id}").text,
        client_for(app, VIEWER).get(f"/ideas/{record_id}").text,
        client_for(app).get("/f/GM-HHHH").text,
        client_for(app).get("/f/GM-HHHH?lang=en").text,
    ]
    for html in pages:
        assert "<script" not in html
        assert "<img" not in html and not re.search(r"<a[^>]*javascript:", html)
    assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;" in pages[4]  # shown, as text
    assert "&lt;a href=&#34;javascript:alert(3)&#34;&gt;svar&lt;/a&gt;" in pages[4]


def test_organisers_own_statuses_from_a_toml_file(tmp_path: Path, collector_db: Path | str) -> None:
    path = tmp_path / "statuses.toml"
    path.write_text(
        '[[status]]\nid = "ny"\nda = "Ny idé"\nen = "New idea"\n'
        '[[status]]\nid = "valgt"\nda = "Valgt"\nen = "Chosen"\n',
        encoding="utf-8",
    )
    statuses = load_statuses(path)
    app, storage = make_app(collector_db, idea_statuses=statuses)
    submit(client_for(app), "kiosk-1", [idea_record("kiosk-1", "GM-NNNN", "Bålplads")])
    assert "Ny idé" in client_for(app).get("/f/GM-NNNN").text
    assert "New idea" in client_for(app).get("/f/GM-NNNN?lang=en").text
    page = client_for(app, ORGANISER).get("/ideas").text
    assert '<option value="valgt">Valgt</option>' in page and "Modtaget" not in page
    storage.close()
    broken = tmp_path / "broken.toml"
    broken.write_text('[[status]]\nid = "x"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="needs a Danish text"):
        load_statuses(broken)


def test_pages_and_sign_in_work_together(site) -> None:  # type: ignore[no-untyped-def]
    app, _storage, _ids = site
    client = client_for(app)
    first = client.get("/ideas")
    assert first.status_code == 303 and first.headers["location"] == "/signin?next=%2Fideas"
    reply = client.post(
        "/signin",
        data={
            "name": ORGANISER[0],
            "password": ORGANISER[1],
            "next": "/ideas?theme=aeldre",
            "csrf_token": page_token(client),
        },
    )
    assert reply.headers["location"] == "/ideas?theme=aeldre"
    assert "Flere bænke" in client.get(reply.headers["location"]).text


def test_a_long_list_is_paged(tmp_path: Path) -> None:
    from kiosk.collector.ideas import PAGE_SIZE

    app, storage = make_app(tmp_path / "c.db")
    records = [
        idea_record("kiosk-1", f"GM-{n:04d}".replace("0", "A").replace("1", "B"), f"Idé {n}")
        for n in range(PAGE_SIZE + 1)
    ]
    submit(client_for(app), "kiosk-1", records)
    client = client_for(app, VIEWER)
    first = client.get("/ideas?theme=kultur").text
    assert "Side 1 af 2" in first and first.count('<a href="/ideas/') == PAGE_SIZE
    assert 'href="?q=&amp;theme=kultur&amp;status=&amp;date=&amp;page=2"' in first
    second = client.get("/ideas?theme=kultur&page=2").text
    assert "Side 2 af 2" in second and second.count('<a href="/ideas/') == 1
    storage.close()
