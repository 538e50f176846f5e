"""The HTML report of ``kiosk report``: one self-contained file to read on screen or print.

Rendered with Jinja2 with autoescaping on, so every text (visitors' ideas and answers
above all) is escaped: a ``<script>`` typed on a kiosk is shown, never run. Charts
are inline SVG from :mod:`kiosk.results.charts`; nothing is fetched from the network.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk.results.model import COPENHAGEN, QuestionResult, Results, SurveyResult
from kiosk.results.sources import write_atomically

Translate = Callable[..., str]
#: Above this many different numbers, a number question's chart groups them in tens.
_MAX_BARS = 25


@dataclass
class Row:
    """One line of a question's table: what the chart shows, as text."""

    key: str
    label: str
    count: int
    share: str


@dataclass
class QuestionView:
    question: QuestionResult
    chart: str  # inline SVG, made by matplotlib from our numbers and the survey's labels
    rows: list[Row]
    notes: list[str]
    mean: str | None = None
    median: str | None = None


def render_report(
    results: Results,
    t: Translate,
    *,
    sources: Sequence[str] = (),
    made_at: datetime | None = None,
) -> str:
    """The report as one HTML document."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    from kiosk.results import charts

    env = Environment(
        loader=PackageLoader("kiosk.results", "templates"),  # importlib.resources underneath
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    lang = results.lang
    number = _number_format(lang)
    surveys = []
    for survey in results.surveys:
        surveys.append(
            {
                "result": survey,
                "questions": [_question_view(q, t, number, charts) for q in survey.questions],
                "idea_questions": [
                    _question_view(q, t, number, charts) for q in survey.idea_questions
                ],
                "hours_chart": charts.hours_chart(survey.per_hour) if survey.per_hour else "",
                "hours": _active_hours(survey),
                "versions": _version_notes(survey, t),
            }
        )
    first = min((s.first for s in results.surveys if s.first), default=None)
    last = max((s.last for s in results.surveys if s.last), default=None)
    template = env.get_template("report.html")
    return template.render(
        t=t,
        lang=lang,
        results=results,
        surveys=surveys,
        first=first,
        last=last,
        made_at=(made_at or datetime.now(COPENHAGEN)).astimezone(COPENHAGEN),
        sources=list(sources),
        filters=results.filters,
        suspect_total=sum(s.suspect for s in results.surveys),
        method_counted=_method_counted(results, t),
        fmt_time=_time_format,
    )


def write_report(
    path: Path,
    results: Results,
    t: Translate,
    *,
    sources: Sequence[str] = (),
    made_at: datetime | None = None,
) -> None:
    """Render and write the report through a temporary file."""
    html = render_report(results, t, sources=sources, made_at=made_at)
    data = html.encode("utf-8")
    write_atomically(path, lambda handle: handle.write(data))


# -- pieces -------------------------------------------------------------------------------


def _question_view(
    question: QuestionResult, t: Translate, number: Callable[[float, int], str], charts: Any
) -> QuestionView:
    notes: list[str] = []
    if question.guessed:
        notes.append(t("results.guessed"))
    if question.text_changed_in:
        notes.append(t("results.text_changed", versions=_versions(question.text_changed_in)))
    if question.choices_changed_in:
        versions = _versions(question.choices_changed_in)
        notes.append(t("results.choices_changed", versions=versions))
    if question.absent_in:
        notes.append(t("results.absent", versions=_versions(question.absent_in)))
    shown = question.shown

    def share(count: int) -> str:
        return f"{number(count / shown * 100, 1)} %" if shown else "–"

    if question.type == "text":
        return QuestionView(question, "", [], notes)
    if question.type in ("scale", "number"):
        points = _grouped(question.distribution)
        rows = [Row(str(v), label, n, share(n)) for v, label, n in points]
        chart = charts.column_chart([r.label for r in rows], [r.count for r in rows])
        view = QuestionView(question, chart, rows, notes)
        if question.mean is not None and question.median is not None:
            view.mean = number(question.mean, 2)
            view.median = number(question.median, 1)
        return view
    rows = [Row(c.id, c.label, c.count, share(c.count)) for c in question.choices]
    chart = charts.bar_chart(
        [r.label for r in rows], [r.count for r in rows], [c.share for c in question.choices]
    )
    return QuestionView(question, chart, rows, notes)


def _grouped(distribution: list[tuple[int, int]]) -> list[tuple[str, str, int]]:
    """(key, label, count) per value, or per ten values when there are many."""
    if len(distribution) <= _MAX_BARS:
        return [(str(v), str(v), n) for v, n in distribution]
    groups: dict[int, int] = {}
    for value, count in distribution:
        groups[value // 10 * 10] = groups.get(value // 10 * 10, 0) + count
    return [(f"{g}-{g + 9}", f"{g}–{g + 9}", n) for g, n in sorted(groups.items())]


def _versions(versions: list[int]) -> str:
    return ", ".join(str(v) for v in versions)


def _version_notes(survey: SurveyResult, t: Translate) -> list[str]:
    notes = []
    for version in survey.versions:
        note = {
            "missing": f" ({t('results.definition_missing')})",
            "same-version": f" ({t('results.definition_same_version')})",
        }.get(version.definition, "")
        notes.append(f"{t('results.version')} {version.version}: {version.records}{note}")
    return notes


def _active_hours(survey: SurveyResult) -> list[int]:
    active = [h for h in range(24) if any(c[h] for c in survey.per_hour.values())]
    return list(range(min(active), max(active) + 1)) if active else []


def _method_counted(results: Results, t: Translate) -> str:
    filters = results.filters
    partial = t(
        "results.method_partial_in" if filters.include_partial else "results.method_partial_out"
    )
    return t(
        "results.method_counted",
        partial=partial,
        suspect_count=sum(s.suspect for s in results.surveys),
        suspect=t("results.included" if filters.include_suspect else "results.left_out"),
    )


def _number_format(lang: str) -> Callable[[float, int], str]:
    """Numbers as readers of ``lang`` write them (Danish: decimal comma)."""

    def number(value: float, decimals: int) -> str:
        text = f"{value:.{decimals}f}"
        return text.replace(".", ",") if lang == "da" else text

    return number


def _time_format(moment: datetime | None, with_date: bool = True) -> str:
    if moment is None:
        return ""
    return moment.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")
