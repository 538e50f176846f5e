"""The Excel workbook of ``kiosk export --format xlsx``: what a municipal employee opens.

Per survey a sheet of responses (one row per visit, headed by the question texts,
holding the labels visitors saw, 0/1 columns per choice of a multiple choice question,
numbers as numbers, Danish local times as real Excel dates), a sheet of idea cards by
theme, a codebook, an "Om udtrækket" sheet, and contact details only when asked for.

Visitor text is hostile: a cell is written as a text cell, never as a formula, so
``=HYPERLINK(...)`` typed on the kiosk shows as those characters in Excel. Written with
openpyxl's write-only mode, which streams rows and keeps 50,000 visits well within memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from kiosk.i18n import localize
from kiosk.results.model import (
    COPENHAGEN,
    NO,
    YES,
    Definitions,
    QuestionResult,
    Results,
    SurveyResult,
    local_time,
    status,
)
from kiosk.results.sources import write_atomically

Translate = Callable[..., str]
#: Rows looked at to size the columns (all of them would cost a second pass).
_WIDTH_SAMPLE = 300
_MAX_WIDTH = 60


def write_workbook(
    path: Path,
    records: Iterable[Mapping[str, Any]],
    results: Results,
    definitions: Definitions,
    t: Translate,
    *,
    contacts: Mapping[str, Mapping[str, Any]] | None = None,
    sources: Sequence[str] = (),
    made_at: datetime | None = None,
) -> None:
    """Write the workbook to ``path`` through a temporary file (never half a workbook)."""
    workbook = build_workbook(
        records,
        results,
        definitions,
        t,
        contacts=contacts,
        sources=sources,
        made_at=made_at,
    )
    write_atomically(path, workbook.save)


def build_workbook(
    records: Iterable[Mapping[str, Any]],
    results: Results,
    definitions: Definitions,
    t: Translate,
    *,
    contacts: Mapping[str, Mapping[str, Any]] | None = None,
    sources: Sequence[str] = (),
    made_at: datetime | None = None,
) -> Workbook:
    """The workbook of the records that ``results`` counted (same filters)."""
    filters = results.filters
    wanted = {s.survey_id for s in results.surveys}
    counted: dict[str, list[Mapping[str, Any]]] = {sid: [] for sid in wanted}
    for record in records:
        sid = record.get("survey_id")
        if sid in wanted and filters.in_scope(record) and filters.includes(record):
            counted[str(sid)].append(record)
    workbook = Workbook(write_only=True)
    names: set[str] = set()
    for survey in results.surveys:
        rows = [r for r in counted[survey.survey_id] if r.get("kind") != "idea"]
        name = _sheet_name(t("results.responses"), survey.survey_id, len(results.surveys), names)
        header, body = _response_rows(survey, rows, t)
        _write_sheet(workbook, name, header, body)
    ideas = [
        (survey, r)
        for survey in results.surveys
        for r in counted[survey.survey_id]
        if r.get("kind") == "idea"
    ]
    if ideas:
        header, body = _idea_rows(ideas, t, several=len(results.surveys) > 1)
        _write_sheet(workbook, _sheet_name(t("results.ideas"), "", 1, names), header, body)
    header, body = _codebook_rows(results, definitions, t)
    _write_sheet(workbook, _sheet_name(t("results.codebook"), "", 1, names), header, body)
    about = _about_rows(results, t, sources, made_at or datetime.now(COPENHAGEN))
    _write_sheet(workbook, _sheet_name(t("results.about"), "", 1, names), *about)
    if contacts is not None:
        header, body = _contact_rows(counted, contacts, t)
        _write_sheet(workbook, _sheet_name(t("results.contacts"), "", 1, names), header, body)
    return workbook


# -- sheets -------------------------------------------------------------------------------


def _response_rows(
    survey: SurveyResult, rows: list[Mapping[str, Any]], t: Translate
) -> tuple[list[str], Iterator[list[Any]]]:
    yes, no = t("question.yes"), t("question.no")
    header = [
        t("results.record_id"),
        t("results.ref"),
        t("results.kiosk"),
        t("results.lang"),
        t("results.version"),
        t("results.started"),
        t("results.submitted"),
        t("results.completed"),
        t("results.suspect"),
    ]
    columns: list[Callable[[Mapping[str, Any]], Any]] = []
    for question in survey.questions:
        labels = {c.id: c.label for c in question.choices}
        header.append(question.text)
        columns.append(_answer_column(question, labels))
        if question.type == "multiple_choice":
            for choice in question.choices:
                header.append(f"{question.text}: {choice.label}")
                columns.append(_choice_flag(question.id, choice.id))

    def body() -> Iterator[list[Any]]:
        for record in rows:
            answers = record.get("answers") or {}
            yield [
                record.get("id"),
                record.get("ref"),
                record.get("kiosk_id"),
                record.get("lang"),
                record.get("survey_version"),
                _excel_time(record.get("started_at")),
                _excel_time(record.get("submitted_at")),
                yes if record.get("completed") else no,
                yes if status(record) == "suspect" else no,
                *(column(answers) for column in columns),
            ]

    return header, body()


def _answer_column(
    question: QuestionResult, labels: Mapping[str, str]
) -> Callable[[Mapping[str, Any]], Any]:
    qid = question.id

    def cell(answers: Mapping[str, Any]) -> Any:
        value = answers.get(qid)
        if value is None:
            return None
        if isinstance(value, bool):
            return labels.get(YES if value else NO)
        if isinstance(value, list):
            return "; ".join(labels.get(str(v), str(v)) for v in value)
        if isinstance(value, int):
            return value
        return labels.get(value, value)

    return cell


def _choice_flag(qid: str, choice: str) -> Callable[[Mapping[str, Any]], Any]:
    def cell(answers: Mapping[str, Any]) -> Any:
        value = answers.get(qid)
        if not isinstance(value, list) or not value:
            return None  # not answered: empty, not 0
        return 1 if choice in value else 0

    return cell


def _idea_rows(
    ideas: list[tuple[SurveyResult, Mapping[str, Any]]], t: Translate, several: bool
) -> tuple[list[str], Iterator[list[Any]]]:
    header = [
        *([t("results.survey")] if several else []),
        t("results.theme"),
        t("results.title"),
        t("results.description"),
        t("results.ref"),
        t("results.started"),
        t("results.kiosk"),
    ]
    about: list[QuestionResult] = []
    for survey, _ in ideas:
        about += [q for q in survey.idea_questions if q.id not in {a.id for a in about}]
    header += [q.text for q in about]
    columns = [_answer_column(q, {c.id: c.label for c in q.choices}) for q in about]

    def order(item: tuple[SurveyResult, Mapping[str, Any]]) -> tuple[Any, ...]:
        survey, record = item
        themes = [theme.theme for theme in survey.themes]
        theme = (record.get("idea") or {}).get("theme", "")
        place = themes.index(theme) if theme in themes else len(themes)
        return (survey.survey_id, place, str(record.get("started_at", "")))

    def body() -> Iterator[list[Any]]:
        for survey, record in sorted(ideas, key=order):
            idea = record.get("idea") or {}
            labels = {theme.theme: theme.label for theme in survey.themes}
            answers = record.get("answers") or {}
            yield [
                *([survey.survey_id] if several else []),
                labels.get(idea.get("theme", ""), idea.get("theme")),
                idea.get("title"),
                idea.get("description"),
                record.get("ref"),
                _excel_time(record.get("started_at")),
                record.get("kiosk_id"),
                *(column(answers) for column in columns),
            ]

    return header, body()


def _codebook_rows(
    results: Results, definitions: Definitions, t: Translate
) -> tuple[list[str], Iterator[list[Any]]]:
    languages: list[str] = []
    for survey in results.surveys:
        for version in definitions.by_id.get(survey.survey_id, []):
            languages += [lang for lang in version.languages if lang not in languages]
    languages = languages or [results.lang]
    header = [
        t("results.survey"),
        t("results.version"),
        t("results.question_id"),
        t("results.type"),
        *(t("results.text_in", lang=lang) for lang in languages),
        t("results.choice_id"),
        *(t("results.choice_in", lang=lang) for lang in languages),
    ]

    def texts(text: Any, fallback: str) -> list[str]:
        return [localize(text, lang, fallback) for lang in languages]

    def body() -> Iterator[list[Any]]:
        blank = [None] * len(languages)
        for survey in results.surveys:
            versions = definitions.by_id.get(survey.survey_id, [])
            for version in versions:
                fallback = version.default_language
                for question in version.all_questions():
                    if question.type == "info":
                        continue
                    head = [survey.survey_id, version.version, question.id, question.type]
                    yield [*head, *texts(question.text, fallback), None, *blank]
                    for choice in getattr(question, "choices", []):
                        yield [*head, *blank, choice.id, *texts(choice.text, fallback)]
                    if question.type == "yes_no":
                        yield [*head, *blank, "true", *[t("question.yes")] * len(languages)]
                        yield [*head, *blank, "false", *[t("question.no")] * len(languages)]
                if version.ideas:
                    head = [survey.survey_id, version.version, "idea:theme", "idea_theme"]
                    prompt = texts(version.ideas.prompt, fallback)
                    yield [*head, *prompt, None, *blank]
                    for theme in version.ideas.themes:
                        yield [*head, *blank, theme.id, *texts(theme.text, fallback)]
            if not versions:
                for question in [*survey.questions, *survey.idea_questions]:
                    head = [survey.survey_id, None, question.id, question.type]
                    yield [*head, question.text, *blank[1:], None, *blank]

    return header, body()


def _about_rows(
    results: Results, t: Translate, sources: Sequence[str], made_at: datetime
) -> tuple[list[str], Iterator[list[Any]]]:
    filters = results.filters
    yes, no = t("question.yes"), t("question.no")
    dates = "–".join(d.isoformat() if d else "…" for d in (filters.date_from, filters.date_to))
    rows: list[list[Any]] = [
        [t("results.made_at"), made_at.astimezone(COPENHAGEN).replace(tzinfo=None)],
        [t("results.sources"), "; ".join(sources)],
        [t("results.kiosks"), ", ".join(results.kiosks)],
        [
            f"{t('results.filters')}: {t('results.kiosks')}",
            ", ".join(sorted(filters.kiosks)) or t("results.all"),
        ],
        [
            f"{t('results.filters')}: {t('results.dates')}",
            dates if filters.date_from or filters.date_to else t("results.all"),
        ],
        [f"{t('results.filters')}: {t('results.partial')}", yes if filters.include_partial else no],
        [f"{t('results.filters')}: {t('results.suspect')}", yes if filters.include_suspect else no],
    ]
    for survey in results.surveys:
        rows.append([])
        rows.append([t("results.survey"), f"{survey.title} ({survey.survey_id})"])
        rows += [
            [t("results.in_scope"), survey.in_scope],
            [t("results.completed"), survey.completed],
            [t("results.partial"), survey.partial],
            [t("results.suspect"), survey.suspect],
            [t("results.visitors"), survey.visitors],
            [t("results.ideas_count"), survey.ideas],
        ]
        for version in survey.versions:
            note = {
                "missing": f" ({t('results.definition_missing')})",
                "same-version": f" ({t('results.definition_same_version')})",
            }.get(version.definition, "")
            rows.append([f"{t('results.version')} {version.version}", f"{version.records}{note}"])
        for question in [*survey.questions, *survey.idea_questions]:
            for key, versions in (
                ("results.text_changed", question.text_changed_in),
                ("results.choices_changed", question.choices_changed_in),
                ("results.absent", question.absent_in),
            ):
                if versions:
                    listed = ", ".join(str(v) for v in versions)
                    rows.append([question.text, t(key, versions=listed)])
    return [t("results.about"), ""], iter(rows)


def _contact_rows(
    counted: Mapping[str, list[Mapping[str, Any]]],
    contacts: Mapping[str, Mapping[str, Any]],
    t: Translate,
) -> tuple[list[str], Iterator[list[Any]]]:
    header = [
        t("results.survey"),
        t("results.record_id"),
        t("results.ref"),
        t("results.kiosk"),
        t("results.name"),
        t("results.email"),
        t("results.phone"),
    ]

    def body() -> Iterator[list[Any]]:
        for sid, rows in counted.items():
            for record in rows:
                contact = contacts.get(str(record.get("id")))
                if contact:
                    yield [
                        sid,
                        record.get("id"),
                        record.get("ref"),
                        record.get("kiosk_id"),
                        contact.get("name"),
                        contact.get("email"),
                        contact.get("phone"),
                    ]

    return header, body()


# -- writing ------------------------------------------------------------------------------


def _sheet_name(base: str, suffix: str, count: int, taken: set[str]) -> str:
    """A unique sheet name within Excel's 31 characters."""
    name = f"{base} {suffix}" if suffix and count > 1 else base
    name = name[:31]
    candidate, n = name, 2
    while candidate.lower() in taken:
        candidate = f"{name[: 31 - len(str(n)) - 1]} {n}"
        n += 1
    taken.add(candidate.lower())
    return candidate


def _write_sheet(
    workbook: Workbook, name: str, header: list[str], body: Iterable[list[Any]]
) -> None:
    """One sheet: bold frozen header, autofilter, widths from the header and first rows."""
    sheet = workbook.create_sheet(name)
    rows = iter(body)
    sample: list[list[Any]] = []
    for row in rows:
        sample.append(row)
        if len(sample) >= _WIDTH_SAMPLE:
            break
    for index, title in enumerate(header, start=1):
        longest = max(
            [len(str(title))] + [_shown_length(r[index - 1]) for r in sample if len(r) >= index]
        )
        sheet.column_dimensions[get_column_letter(index)].width = min(
            max(longest + 2, 8), _MAX_WIDTH
        )
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    head_cells = []
    for title in header:
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", title))
        cell.data_type = "s"
        cell.font = bold
        head_cells.append(cell)
    sheet.append(head_cells)
    count = 1
    for row in sample:
        sheet.append([_value(sheet, v) for v in row])
        count += 1
    for row in rows:
        sheet.append([_value(sheet, v) for v in row])
        count += 1
    if header:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count}"


def _shown_length(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 19
    return min(len(str(value)), _MAX_WIDTH)


def _value(sheet: Any, value: Any) -> Any:
    if isinstance(value, str):
        return _text_cell(sheet, value)
    return value


def _text_cell(sheet: Any, value: str) -> Any:
    """A cell that Excel shows as text, whatever the text starts with."""
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not text.startswith("="):
        return text  # openpyxl stores every other string as a string
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # never "f": visitors' text must not run as a formula
    return cell


def _excel_time(value: Any) -> datetime | None:
    """Excel has no time zones: Danish local time, without the zone."""
    moment = local_time(value)
    return moment.replace(tzinfo=None) if moment is not None else None
