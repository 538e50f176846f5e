"""QR codes: the matrix, the half-block drawing, and the widget read back by a real decoder."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable

import numpy as np
import pytest
import zxingcpp
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from helpers.qr_decode import decode_screen, half_block_count, screen_cells
from kiosk.app.widgets.qr_code import FollowupCode, QRImage
from kiosk.paths import DEFAULT_SURVEY as BUNDLED_SURVEY
from kiosk.qr import (
    DARK,
    LIGHT,
    QR_STYLE,
    QRDataTooLong,
    drawn_size,
    fits,
    qr_matrix,
    render_half_blocks,
    render_segments,
)
from kiosk.refs import default_prefix, followup_url, new_ref
from kiosk.store import RecordStore
from kiosk.survey.loader import load_survey

LONG_TEMPLATE = (
    "https://www.gentofte.dk/da/borger/demokrati-og-indflydelse/gentofte-moedes/"
    "opgaveudvalg/foelg-din-ide?ref={ref}&kilde=borgerkiosk-festival-2026"
)


def _undraw(rows: list[str]) -> list[list[bool]]:
    """The module grid a drawing shows, the inverse of render_half_blocks."""
    grid: list[list[bool]] = []
    for row in rows:
        grid.append([c in "▀█" for c in row])
        grid.append([c in "▄█" for c in row])
    return grid


@pytest.mark.parametrize(
    "data", ["GM-7K3Q", "https://gentofte.dk/borgerkiosk/f/GM-7K3Q", "x" * 300]
)
def test_drawing_shows_exactly_the_matrix_with_a_light_quiet_zone(data: str) -> None:
    matrix = qr_matrix(data)
    size = len(matrix)
    assert size >= 21 and (size - 21) % 4 == 0
    assert all(len(row) == size for row in matrix)
    rows = render_half_blocks(matrix, quiet_zone=4)
    columns, height = drawn_size(matrix)
    assert len(rows) == height and all(len(row) == columns for row in rows)
    grid = _undraw(rows)
    for y, line in enumerate(grid):
        for x, dark in enumerate(line):
            inside = 4 <= y < 4 + size and 4 <= x < 4 + size
            assert dark == (inside and matrix[y - 4][x - 4]), (y, x)


def test_segments_have_fixed_colours() -> None:
    segments = render_segments(qr_matrix("GM-7K3Q"))
    assert {segment.style for segment in segments} == {QR_STYLE}
    assert QR_STYLE.color.get_truecolor() == (0, 0, 0)
    assert QR_STYLE.bgcolor.get_truecolor() == (255, 255, 255)
    assert (DARK, LIGHT) == ("#000000", "#FFFFFF")


def test_fits() -> None:
    matrix = qr_matrix("https://gentofte.dk/borgerkiosk/f/GM-7K3Q")
    columns, rows = drawn_size(matrix)
    assert (columns, rows) == (len(matrix) + 8, (len(matrix) + 9) // 2)
    assert fits(matrix, columns, rows)
    assert not fits(matrix, columns - 1, rows)
    assert not fits(matrix, columns, rows - 1)


def test_too_long_for_any_qr_code() -> None:
    with pytest.raises(QRDataTooLong, match="too many"):
        qr_matrix("x" * 5000)


def _run(scenario: Callable[..., Awaitable[None]], *args: object) -> None:
    """Run an async Pilot scenario to the end (no async test plugin needed)."""
    asyncio.run(scenario(*args))


class CodeApp(App[None]):
    """Just the follow-up widget, as the thank-you screen would place it."""

    def __init__(self, url: str, ref: str, caption: str, theme: str) -> None:
        super().__init__()
        self.code = FollowupCode(url, ref, caption)
        self._theme_name = theme

    def on_mount(self) -> None:
        self.theme = self._theme_name

    def compose(self) -> ComposeResult:
        yield self.code


@pytest.fixture
def stored_ref(store: RecordStore, make_record) -> str:
    """A reference code made the way the app makes it, and saved on a real idea record."""
    survey = load_survey(BUNDLED_SURVEY)
    ref = new_ref(default_prefix(survey.id, survey.ref_prefix), store.has_ref)
    store.save(make_record(kind="idea", ref=ref, idea={"theme": "trafik", "title": "Tage"}))
    assert store.has_ref(ref)
    return ref


def _bundled_url(ref: str) -> str:
    survey = load_survey(BUNDLED_SURVEY)
    assert survey.followup is not None
    return followup_url(survey.followup.url, ref)


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_widget_code_decodes_to_the_followup_url(
    stored_ref: str, size: tuple[int, int], theme: str
) -> None:
    _run(_widget_code_decodes, stored_ref, size, theme)


async def _widget_code_decodes(stored_ref: str, size: tuple[int, int], theme: str) -> None:
    url = _bundled_url(stored_ref)
    app = CodeApp(url, stored_ref, "Scan for at følge din idé", theme)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert app.code.shows_qr
        assert decode_screen(app) == [url]
        assert stored_ref in _screen_text(app)
        _assert_dark_on_light(app)


def test_long_url_needs_a_larger_version_and_decodes_at_120x40(stored_ref: str) -> None:
    _run(_long_url_needs_a_larger_version_and_decodes_at_120x40, stored_ref)


async def _long_url_needs_a_larger_version_and_decodes_at_120x40(stored_ref: str) -> None:
    url = followup_url(LONG_TEMPLATE, stored_ref)
    matrix = qr_matrix(url)
    assert len(matrix) > len(qr_matrix(_bundled_url(stored_ref)))
    assert not fits(matrix, 80, 24) and fits(matrix, 120, 40)
    app = CodeApp(url, stored_ref, "Scan for at følge din idé", "textual-dark")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.code.shows_qr
        assert decode_screen(app) == [url]


def test_long_url_falls_back_to_text_at_80x24(stored_ref: str) -> None:
    _run(_long_url_falls_back_to_text_at_80x24, stored_ref)


async def _long_url_falls_back_to_text_at_80x24(stored_ref: str) -> None:
    url = followup_url(LONG_TEMPLATE, stored_ref)
    app = CodeApp(url, stored_ref, "Scan for at følge din idé", "textual-dark")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not app.code.shows_qr
        assert half_block_count(app) == 0  # not even part of a code
        assert decode_screen(app) == []
        assert _unwrapped(app).count(url) == 1
        assert stored_ref in _screen_text(app)


def test_resizing_switches_between_code_and_text(stored_ref: str) -> None:
    _run(_resizing_switches_between_code_and_text, stored_ref)


async def _resizing_switches_between_code_and_text(stored_ref: str) -> None:
    url = _bundled_url(stored_ref)
    app = CodeApp(url, stored_ref, "Scan", "textual-dark")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert decode_screen(app) == [url]
        await pilot.resize_terminal(50, 16)
        await pilot.pause()
        assert not app.code.shows_qr
        assert half_block_count(app) == 0
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert decode_screen(app) == [url]


def test_many_refs_decode_in_the_pure_drawing() -> None:
    """Without Textual: the drawing itself decodes for varied codes (guards the glyph table)."""

    rng = random.Random(5)
    for _ in range(5):
        ref = new_ref("GM", lambda _ref: False, rng=rng)
        url = _bundled_url(ref)
        grid = _undraw(render_half_blocks(qr_matrix(url)))
        image = np.where(np.array(grid), 0, 255).astype(np.uint8)
        image = np.kron(image, np.ones((4, 4), dtype=np.uint8))
        assert [r.text for r in zxingcpp.read_barcodes(image)] == [url]


async def _settle(pilot: Pilot) -> None:
    """Let mounting, resizing and the code-or-text decision finish (bounded)."""
    previous = None
    for _ in range(20):
        await pilot.pause()
        current = _screen_text(pilot.app)
        if current == previous:
            return
        previous = current


def _assert_dark_on_light(app: App) -> None:
    """Every cell of the drawn code is black on white, whatever the theme."""
    region = app.screen.query_one(QRImage).region
    cells = screen_cells(app)
    colours = {
        (style.color.get_truecolor(), style.bgcolor.get_truecolor(), style.reverse)
        for row in cells[region.y : region.bottom]
        for _, style in row[region.x : region.right]
    }
    assert colours == {((0, 0, 0), (255, 255, 255), False)}


def _screen_text(app: App) -> str:
    return "\n".join("".join(char for char, _ in row) for row in screen_cells(app))


def _unwrapped(app: App) -> str:
    """Screen text with line ends and the border/padding around wrapped text removed."""
    return "".join("".join(char for char, _ in row).strip() for row in screen_cells(app))


# --- the real thank-you screen of the kiosk app ---------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_thank_you_screen_code_decodes_to_the_records_ref(data_dir, size) -> None:
    _run(_thank_you_screen, data_dir, size, None, True)


def test_thank_you_screen_with_a_long_followup_url(data_dir) -> None:
    _run(_thank_you_screen, data_dir, (120, 40), LONG_TEMPLATE, True)


def test_thank_you_screen_too_small_for_a_long_url_shows_it_as_text(data_dir) -> None:
    _run(_thank_you_screen, data_dir, (80, 24), LONG_TEMPLATE, False)


async def _thank_you_screen(
    data_dir, size: tuple[int, int], template: str | None, expect_code: bool
) -> None:
    """A visit finished through the app: saved with a ref, thanked with that ref's code."""
    from kiosk.app.app import KioskApp
    from kiosk.app.flow import survey_flow
    from kiosk.app.screens.question import QuestionScreen
    from kiosk.app.screens.thanks import ThanksScreen
    from kiosk.app.settings import app_settings

    survey = load_survey(BUNDLED_SURVEY)
    if template is not None:
        followup = survey.followup.model_copy(update={"url": template})
        survey = survey.model_copy(update={"followup": followup})
    with RecordStore(data_dir) as store:
        app = KioskApp([survey], store, settings=app_settings(thanks_timeout=600))
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            flow = survey_flow(survey)
            await app.push_screen(QuestionScreen(flow, survey))
            await pilot.pause()
            await app.finish_visit(flow, survey)
            await _settle(pilot)
            assert isinstance(app.screen, ThanksScreen)
            [record] = store.records()
            ref = record["ref"]
            assert store.has_ref(ref) and ref.startswith("GM-")
            url = followup_url(survey.followup.url, ref)
            text = _screen_text(app)
            assert ref in text
            assert app.t("thanks.hint") in text  # the rest of the screen is still there
            if expect_code:
                assert decode_screen(app) == [url]
                _assert_dark_on_light(app)
            else:
                assert decode_screen(app) == []
                assert half_block_count(app) == 0
                assert _unwrapped(app).count(url) == 1
