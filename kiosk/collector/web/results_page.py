"""Results at the collector: the results model's tallies per survey with charts and filters
(kiosk, day, partial, suspect), and downloads of the workbook, CSV and printable report.

Every number comes from :func:`kiosk.results.tally`, the one tally ``kiosk report`` and the
workbook use, over the collector's records: the page cannot disagree with the report. The
question tables and charts are the report's own (:mod:`kiosk.results.report`). A tally is
kept until a record arrives (:func:`tally_for`), so a page viewed again costs no recount.
"""

from __future__ import annotations

import base64
import io
import logging
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from kiosk.collector.accounts import Account
from kiosk.collector.kiosk_status import kiosks_of_survey, records_per_survey, records_version
from kiosk.collector.storage import CollectorStorage
from kiosk.collector.web.auth import get_storage, require_viewer
from kiosk.collector.web.live import live_settings
from kiosk.collector.web.render import page_language, render
from kiosk.results.model import COPENHAGEN, Definitions, Filters, Results, tally

log = logging.getLogger("kiosk.collector")

router = APIRouter()
RESULTS_PATH = "/results"
#: Tallies kept (survey, filters, language, data version); a few views' worth.
_CACHE_SIZE = 16


@cache
def bundled_definitions() -> Definitions:
    """The bundled surveys' definitions (``kiosk report``'s default when no file is given)."""
    from kiosk.paths import SURVEYS_DIR
    from kiosk.results.sources import load_definitions

    definitions, _problems = load_definitions(sorted(SURVEYS_DIR.glob("*.yaml")))
    return definitions


def survey_definitions(request: Request) -> Definitions:
    """The definitions results are tallied against: the bundled surveys and every definition
    the kiosks sent (``PUT /v1/surveys``), so each version is shown in its own words;
    ``app.state.definitions`` (a callable) overrides both."""
    provider = getattr(request.app.state, "definitions", None)
    if callable(provider):
        return provider()  # type: ignore[no-any-return]
    return collector_definitions(request.app.state.storage)


#: Per storage: (how many definitions it held, the Definitions made of them). One object per
#: count, so the tally cache (keyed by the Definitions' identity) holds until one arrives.
_KEPT: weakref.WeakKeyDictionary[CollectorStorage, tuple[int, Definitions]] = (
    weakref.WeakKeyDictionary()
)
_KEPT_LOCK = threading.Lock()


def collector_definitions(storage: CollectorStorage) -> Definitions:
    """The bundled surveys plus the definitions stored in the collector, remade only when
    their number changes (a definition is never changed once stored)."""
    from kiosk.collector.definitions import definitions_count, iter_definitions
    from kiosk.results.sources import parse_definitions

    count = definitions_count(storage.db)
    with _KEPT_LOCK:
        known = _KEPT.get(storage)
        if known is not None and known[0] == count:
            return known[1]
        definitions = Definitions()
        for digest, survey in bundled_definitions().by_hash.items():
            definitions.add(survey, digest)
        found, problems = parse_definitions(iter_definitions(storage.db))
        for digest, survey in found:
            definitions.add(survey, digest)
        for problem in problems:
            log.warning("%s", problem)
        _KEPT[storage] = (count, definitions)
        return definitions


@dataclass(frozen=True)
class Choice:
    """The filters as the page's form gave them, and the :class:`Filters` they make."""

    kiosk: str
    date_from: str
    date_to: str
    partial: bool
    suspect: bool
    problem: str | None

    def filters(self) -> Filters:
        return Filters(
            kiosks=frozenset([self.kiosk]) if self.kiosk else frozenset(),
            date_from=_date(self.date_from) if not self.problem else None,
            date_to=_date(self.date_to) if not self.problem else None,
            include_partial=self.partial,
            include_suspect=self.suspect,
        )

    def query(self, lang: str) -> str:
        """The query string that gives these filters again (for downloads and links)."""
        params = {"kiosk": self.kiosk, "from": self.date_from, "to": self.date_to}
        params = {k: v for k, v in params.items() if v}
        params.update({"f": "1", "partial": "1" if self.partial else "", "lang": lang})
        if self.suspect:
            params["suspect"] = "1"
        return urlencode({k: v for k, v in params.items() if v or k == "partial"})


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def read_choice(request: Request) -> Choice:
    """The filters of the query string; the report's defaults when the form was not sent."""
    params = request.query_params
    sent = params.get("f") == "1"
    date_from = params.get("from", "")[:10]
    date_to = params.get("to", "")[:10]
    date_from = date_from if _date(date_from) else ""
    date_to = date_to if _date(date_to) else ""
    problem = None
    if date_from and date_to and date_from > date_to:
        problem = "results.bad_dates"
    return Choice(
        kiosk=params.get("kiosk", "")[:64],
        date_from=date_from,
        date_to=date_to,
        partial=params.get("partial") == "1" if sent else True,
        suspect=params.get("suspect") == "1" if sent else False,
        problem=problem,
    )


@dataclass
class Tallied:
    """A tally of the collector's records and when it was made; ``stale`` when records
    arrived since and a recount is under way (the page says so)."""

    results: Results
    version: tuple[int, int]
    made_at: datetime
    views: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    stale: bool = False


class TallyCache:
    """The last few tallies of one collector, kept until a record arrives.

    A tally of 100,000 records takes seconds (it reads every record), longer than a page
    may take. So once records arrived, a page is given the last tally of its filters at
    once, marked stale with its time, while one background thread counts again; the next
    view has the new numbers. A tally never asked for before is made while the page waits.
    """

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[Any, ...], Tallied] = OrderedDict()
        self._recounting: set[tuple[Any, ...]] = set()
        self._first: dict[tuple[Any, ...], threading.Event] = {}
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="results-tally")

    def get(
        self,
        key: tuple[Any, ...],
        version: tuple[int, int],
        make: Callable[[], Results],
        *,
        with_views: str | None = None,
    ) -> Tallied:
        with self._lock:
            kept = self._items.get(key)
            first, mine = None, False
            if kept is not None:
                self._items.move_to_end(key)
                if kept.version != version and key not in self._recounting:
                    self._recounting.add(key)
                    self._worker.submit(self._recount, key, version, make, with_views)
            else:
                # one first tally a key: a board polling every 10 s, or two organisers at
                # once, wait for the tally under way instead of starting one each
                first = self._first.get(key)
                mine = first is None
                if mine:
                    first = self._first[key] = threading.Event()
        if kept is None and first is not None and not mine:
            first.wait()
            with self._lock:
                kept = self._items.get(key)
        if kept is None:
            try:
                kept = self._make(key, version, make, with_views)
            finally:
                with self._lock:
                    done = self._first.pop(key, None)
                if done is not None:
                    done.set()
        elif kept.version != version:
            kept = Tallied(kept.results, kept.version, kept.made_at, kept.views, stale=True)
        if with_views and with_views not in kept.views:
            kept.views[with_views] = question_views(kept.results, with_views)
        return kept

    def _make(
        self,
        key: tuple[Any, ...],
        version: tuple[int, int],
        make: Callable[[], Results],
        with_views: str | None,
    ) -> Tallied:
        made = Tallied(make(), version, datetime.now(COPENHAGEN))
        if with_views:
            made.views[with_views] = question_views(made.results, with_views)
        with self._lock:
            current = self._items.get(key)
            if current is None or current.version <= version:
                self._items[key] = made
                self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return made

    def _recount(
        self,
        key: tuple[Any, ...],
        version: tuple[int, int],
        make: Callable[[], Results],
        with_views: str | None,
    ) -> None:
        try:
            self._make(key, version, make, with_views)
        except Exception:  # a recount that fails leaves the last tally; the next view retries
            log.exception("results: a recount in the background failed")
        finally:
            with self._lock:
                self._recounting.discard(key)


_CACHES: weakref.WeakKeyDictionary[CollectorStorage, TallyCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def _cache_of(storage: CollectorStorage) -> TallyCache:
    with _CACHES_LOCK:
        cache = _CACHES.get(storage)
        if cache is None:
            cache = _CACHES[storage] = TallyCache()
        return cache


def tally_for(
    storage: CollectorStorage,
    definitions: Definitions,
    survey_id: str,
    filters: Filters,
    lang: str,
    *,
    with_views: bool = False,
    fresh: bool = False,
) -> Tallied:
    """``kiosk report``'s tally of the collector's records of ``survey_id`` (see
    :class:`TallyCache`); ``fresh`` waits for a recount when records arrived (downloads)."""
    from kiosk.i18n import Translator

    version = records_version(storage)

    def make() -> Results:
        t = Translator(lang)
        return tally(
            storage.iter_records(survey_id),
            definitions,
            filters,
            lang=lang,
            yes_no=(t("question.yes"), t("question.no")),
            survey_id=survey_id,
        )

    key = (id(definitions), survey_id, filters, lang)
    cache = _cache_of(storage)
    if fresh:
        return cache._make(key, version, make, lang if with_views else None)
    return cache.get(key, version, make, with_views=lang if with_views else None)


@lru_cache(maxsize=256)
def chart_image(svg: str) -> str:
    """A chart as a ``data:`` image: the page's CSP allows no inline styles, and an SVG
    image keeps its own (matplotlib's) styles to itself."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


@lru_cache(maxsize=512)
def _cached_chart(kind: str, labels: tuple[str, ...], counts: tuple[int, ...], shares: Any) -> str:
    from kiosk.results import charts

    if kind == "bar":
        return charts.bar_chart(list(labels), list(counts), list(shares))
    return charts.column_chart(list(labels), list(counts))


class _CachedCharts:
    """The report's chart functions, remembered by their numbers (matplotlib is slow)."""

    @staticmethod
    def bar_chart(labels: Any, counts: Any, shares: Any) -> str:
        return _cached_chart("bar", tuple(labels), tuple(counts), tuple(shares))

    @staticmethod
    def column_chart(labels: Any, counts: Any) -> str:
        return _cached_chart("column", tuple(labels), tuple(counts), None)


def question_views(results: Results, lang: str) -> list[dict[str, Any]]:
    """Per survey: the report's view of each question (rows, chart, notes)."""
    from kiosk.i18n import Translator

    # the report's own pieces, so a share or a grouping reads as in the printed report
    from kiosk.results.report import _number_format, _question_view

    t = Translator(lang)
    number = _number_format(lang)
    out = []
    for survey in results.surveys:
        views = [_question_view(q, t, number, _CachedCharts) for q in survey.questions]
        idea_views = [_question_view(q, t, number, _CachedCharts) for q in survey.idea_questions]
        out.append({"result": survey, "questions": views, "idea_questions": idea_views})
    return out


def _not_found(request: Request) -> Response:
    back = RESULTS_PATH
    return render(request, "error.html", {"problem": "results.not_found", "back": back}, 404)


@router.get(RESULTS_PATH, name="results")
def results_index(
    request: Request, _account: Annotated[Account, Depends(require_viewer)]
) -> Response:
    """The surveys the collector holds records of, each with its count."""
    counts = records_per_survey(get_storage(request))
    definitions = survey_definitions(request)
    lang = page_language(request)
    surveys = []
    for survey_id, count in counts.items():
        newest = definitions.newest(survey_id)
        title = survey_id
        if newest is not None:
            from kiosk.i18n import localize

            title = localize(newest.title, lang, newest.default_language)
        surveys.append({"id": survey_id, "title": title, "count": count})
    return render(request, "results_index.html", {"surveys": surveys})


@router.get(RESULTS_PATH + "/{survey_id}", name="survey_results")
def survey_results(
    request: Request, survey_id: str, _account: Annotated[Account, Depends(require_viewer)]
) -> Response:
    storage = get_storage(request)
    kiosks = kiosks_of_survey(storage, survey_id)
    if not kiosks:
        return _not_found(request)
    lang = page_language(request)
    choice = read_choice(request)
    tallied = tally_for(
        storage, survey_definitions(request), survey_id, choice.filters(), lang, with_views=True
    )
    views = tallied.views[lang]
    return render(
        request,
        "results.html",
        {
            "survey_id": survey_id,
            "survey": views[0] if views else None,
            "title": views[0]["result"].title if views else survey_id,
            "kiosks": kiosks,
            "choice": choice,
            "query": choice.query(lang),
            "chart_image": chart_image,
            "board_min": live_settings(request).board_min_answers,
            "tallied": tallied,
        },
    )


def _download(data: bytes, media_type: str, filename: str) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def _counted_records(
    storage: CollectorStorage, survey_id: str, filters: Filters
) -> list[dict[str, Any]]:
    """The records a tally with ``filters`` counts (what the downloads hold)."""
    from kiosk.sanitize import clean_record

    return [
        clean_record(record)
        for record in storage.iter_records(survey_id)
        if filters.in_scope(record) and filters.includes(record)
    ]


def _download_request(
    request: Request, survey_id: str
) -> tuple[CollectorStorage, str, Filters, Definitions, Results] | None:
    """What a download counts: the storage, language, filters, definitions and a fresh
    tally of ``survey_id`` (None when the collector has no records of it)."""
    storage = get_storage(request)
    if not kiosks_of_survey(storage, survey_id):
        return None
    lang = page_language(request)
    filters = read_choice(request).filters()
    definitions = survey_definitions(request)
    results = tally_for(storage, definitions, survey_id, filters, lang, fresh=True).results
    return storage, lang, filters, definitions, results


@router.get(RESULTS_PATH + "/{survey_id}/workbook.xlsx", name="results_workbook")
def results_workbook(
    request: Request, survey_id: str, _account: Annotated[Account, Depends(require_viewer)]
) -> Response:
    """The Excel workbook of ``kiosk export --format xlsx`` for these filters."""
    from kiosk.i18n import Translator
    from kiosk.results.workbook import build_workbook

    asked = _download_request(request, survey_id)
    if asked is None:
        return _not_found(request)
    storage, lang, filters, definitions, results = asked
    records = _counted_records(storage, survey_id, filters)
    workbook = build_workbook(
        records, results, definitions, Translator(lang), sources=[f"collector: {survey_id}"]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _download(
        buffer.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"{_file_slug(survey_id)}.xlsx",
    )


@router.get(RESULTS_PATH + "/{survey_id}/records.csv", name="results_csv")
def results_csv(
    request: Request, survey_id: str, _account: Annotated[Account, Depends(require_viewer)]
) -> Response:
    """One row a counted visit, a column a question (``kiosk export --format csv``)."""
    from kiosk.export import export_csv

    storage = get_storage(request)
    if not kiosks_of_survey(storage, survey_id):
        return _not_found(request)
    filters = read_choice(request).filters()
    newest = survey_definitions(request).newest(survey_id)
    order = (
        [q.id for q in newest.all_questions() if q.type not in ("info", "contact")]
        if newest
        else []
    )
    stream = io.StringIO()
    export_csv(_counted_records(storage, survey_id, filters), stream, order)
    return _download(
        stream.getvalue().encode("utf-8"), "text/csv; charset=utf-8", f"{_file_slug(survey_id)}.csv"
    )


@router.get(RESULTS_PATH + "/{survey_id}/report.html", name="results_report")
def results_report(
    request: Request, survey_id: str, _account: Annotated[Account, Depends(require_viewer)]
) -> Response:
    """``kiosk report``'s printable HTML for these filters, as a file to save and print."""
    from kiosk.i18n import Translator
    from kiosk.results.report import render_report

    asked = _download_request(request, survey_id)
    if asked is None:
        return _not_found(request)
    _storage, lang, _filters, _definitions, results = asked
    html = render_report(results, Translator(lang), sources=[f"collector: {survey_id}"])
    return _download(
        html.encode("utf-8"), "text/html; charset=utf-8", f"{_file_slug(survey_id)}-report.html"
    )


def _file_slug(survey_id: str) -> str:
    """A file name from a survey id: its letters, digits, - and _ only."""
    kept = "".join(c for c in survey_id if c.isascii() and (c.isalnum() or c in "-_"))
    return kept[:64] or "results"
