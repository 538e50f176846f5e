"""Tallies of stored records against the survey definitions the visitors answered.

Pure Python, no I/O and no Textual: the workbook, the HTML report and (later) the
collector's pages all read the same :class:`Results`, so their numbers cannot disagree.

Counting rules (the report's method box repeats them for readers):

- A visit is one record. Responses are counted as *completed*, *partial* (the visitor
  walked away) or *suspect* (flagged by the kiosk, e.g. answered too fast); a suspect
  record is counted as suspect only, whatever its completion. By default completed and
  partial visits are included and suspect ones are left out and counted apart.
- A question was *shown* to a visit when its ``show_if`` held for the visit's answers and,
  for a partial visit, the visitor got that far: it or a later question was answered.
  Shares of a choice are of those shown the question; *skipped* = shown - answered.
- Records of several versions of one survey are tallied together by question id; the
  texts are the newest version's, and a question whose text or choices differ between
  versions carries a note.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.i18n import localize
from kiosk.records import parse_iso
from kiosk.survey.loader import survey_hash
from kiosk.survey.model import Survey

#: Times in reports and workbooks are Danish local time.
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
YES, NO = "yes", "no"


def local_time(value: str | None) -> datetime | None:
    """A record's UTC ISO time as an aware datetime in Europe/Copenhagen (None if unreadable)."""
    moment = parse_iso(value)
    if moment is None or moment.tzinfo is None:
        return None
    return moment.astimezone(COPENHAGEN)


def status(record: Mapping[str, Any]) -> str:
    """``completed``, ``partial`` or ``suspect``: the one bucket a record is counted in."""
    if record.get("suspect"):
        return "suspect"
    return "completed" if record.get("completed") else "partial"


@dataclass(frozen=True)
class Filters:
    """Which records a tally covers. Dates are Danish local dates of the visit's start."""

    kiosks: frozenset[str] = frozenset()
    date_from: date | None = None
    date_to: date | None = None
    include_partial: bool = True
    include_suspect: bool = False

    def in_scope(self, record: Mapping[str, Any]) -> bool:
        """Whether the record is of a chosen kiosk and date (before the status filter)."""
        if self.kiosks and record.get("kiosk_id") not in self.kiosks:
            return False
        if self.date_from is None and self.date_to is None:
            return True
        moment = local_time(record.get("started_at"))
        if moment is None:
            return False
        day = moment.date()
        if self.date_from is not None and day < self.date_from:
            return False
        return not (self.date_to is not None and day > self.date_to)

    def includes(self, record: Mapping[str, Any]) -> bool:
        """Whether an in-scope record is counted, by its status."""
        return self.includes_status(status(record))

    def includes_status(self, bucket: str) -> bool:
        """Whether an in-scope record of status ``bucket`` (see :func:`status`) is counted."""
        if bucket == "suspect":
            return self.include_suspect
        return bucket == "completed" or self.include_partial


class Definitions:
    """Survey definitions by hash and by id, to find the one each record was answered with."""

    def __init__(self, surveys: Iterable[Survey] = ()) -> None:
        self.by_hash: dict[str, Survey] = {}
        self.by_id: dict[str, list[Survey]] = {}
        for survey in surveys:
            self.add(survey)

    def add(self, survey: Survey, digest: str | None = None) -> None:
        digest = digest or survey_hash(survey)
        if digest in self.by_hash:
            return
        self.by_hash[digest] = survey
        versions = self.by_id.setdefault(survey.id, [])
        versions.append(survey)
        versions.sort(key=lambda s: s.version)

    def for_record(self, record: Mapping[str, Any]) -> tuple[Survey | None, bool]:
        """The record's definition and whether it is exact (same hash), else same id+version."""
        exact = self.by_hash.get(record.get("survey_hash", ""))
        if exact is not None:
            return exact, True
        for survey in self.by_id.get(record.get("survey_id", ""), []):
            if survey.version == record.get("survey_version"):
                return survey, False
        return None, False

    def newest(self, survey_id: str) -> Survey | None:
        versions = self.by_id.get(survey_id)
        return versions[-1] if versions else None


@dataclass
class ChoiceCount:
    id: str
    label: str
    count: int = 0
    share: float = 0.0


@dataclass
class TextAnswer:
    text: str
    kiosk: str
    time: datetime | None
    record_id: str


@dataclass
class QuestionResult:
    """One question's tally. ``part`` is ``response`` or ``idea`` (an idea card's about-you)."""

    id: str
    type: str
    text: str
    part: str
    shown: int = 0
    answered: int = 0
    choices: list[ChoiceCount] = field(default_factory=list)
    #: Scale and number answers: (value, count), by value.
    distribution: list[tuple[int, int]] = field(default_factory=list)
    mean: float | None = None
    median: float | None = None
    texts: list[TextAnswer] = field(default_factory=list)
    #: Versions whose text of this question differs from the newest one's.
    text_changed_in: list[int] = field(default_factory=list)
    #: Versions whose choices (ids or labels) differ from the newest one's.
    choices_changed_in: list[int] = field(default_factory=list)
    #: Versions (among those with a definition) that did not ask this question.
    absent_in: list[int] = field(default_factory=list)
    #: Whether the type was guessed from the answers (no definition of any version).
    guessed: bool = False

    @property
    def skipped(self) -> int:
        return self.shown - self.answered


@dataclass
class Idea:
    theme: str
    theme_label: str
    title: str
    description: str
    ref: str | None
    kiosk: str
    time: datetime | None
    record_id: str


@dataclass
class ThemeIdeas:
    theme: str
    label: str
    ideas: list[Idea] = field(default_factory=list)


@dataclass
class VersionInfo:
    version: int
    hash: str
    records: int
    definition: str  # "exact", "same-version" (a file of that version, other hash) or "missing"


@dataclass
class SurveyResult:
    survey_id: str
    title: str
    languages: list[str]
    #: The survey's intro as visitors read it (the Gentofte survey's holds the principles of
    #: "Vi skaber sammen"): the report shows it under the title.
    intro: str = ""
    versions: list[VersionInfo] = field(default_factory=list)
    #: Responses in scope (kiosk, dates), by status, before the status filter.
    completed: int = 0
    partial: int = 0
    suspect: int = 0
    #: Responses counted (after the status filter): the "visitors" of every share.
    visitors: int = 0
    ideas_in_scope: int = 0
    ideas_suspect: int = 0
    ideas: int = 0
    questions: list[QuestionResult] = field(default_factory=list)
    idea_questions: list[QuestionResult] = field(default_factory=list)
    themes: list[ThemeIdeas] = field(default_factory=list)
    #: Counted records (responses and ideas) per kiosk, and per kiosk per local hour 0-23.
    per_kiosk: dict[str, int] = field(default_factory=dict)
    per_hour: dict[str, list[int]] = field(default_factory=dict)
    first: datetime | None = None
    last: datetime | None = None

    @property
    def in_scope(self) -> int:
        return self.completed + self.partial + self.suspect

    @property
    def has_definition(self) -> bool:
        return any(v.definition != "missing" for v in self.versions)


@dataclass
class Results:
    surveys: list[SurveyResult]
    filters: Filters
    lang: str
    kiosks: list[str]
    #: Records read in total, and those left out by the kiosk or date filter.
    records_read: int = 0
    out_of_scope: int = 0


def tally(
    records: Iterable[Mapping[str, Any]],
    definitions: Definitions,
    filters: Filters | None = None,
    lang: str = "da",
    yes_no: tuple[str, str] = ("yes", "no"),
    survey_id: str | None = None,
) -> Results:
    """Count ``records`` against ``definitions``; ``yes_no`` are the labels of true/false."""
    filters = filters or Filters()
    by_survey: dict[str, list[Mapping[str, Any]]] = {}
    kiosks: set[str] = set()
    read = out = 0
    for record in records:
        if survey_id is not None and record.get("survey_id") != survey_id:
            continue
        read += 1
        if not filters.in_scope(record):
            out += 1
            continue
        kiosks.add(str(record.get("kiosk_id", "")))
        by_survey.setdefault(str(record.get("survey_id", "")), []).append(record)
    surveys = [
        _tally_survey(sid, rows, definitions, filters, lang, yes_no)
        for sid, rows in sorted(by_survey.items())
    ]
    return Results(surveys, filters, lang, sorted(kiosks), read, out)


# -- one survey ---------------------------------------------------------------------------


@dataclass
class _Slot:
    """A question id's definitions across versions, and its running tally."""

    result: QuestionResult
    question: Any  # the newest definition (None when guessed)
    labels: dict[str, str]
    values: list[int] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)


def _tally_survey(
    sid: str,
    rows: list[Mapping[str, Any]],
    definitions: Definitions,
    filters: Filters,
    lang: str,
    yes_no: tuple[str, str],
) -> SurveyResult:
    newest = definitions.newest(sid)
    fallback = newest.default_language if newest else None
    result = SurveyResult(
        survey_id=sid,
        title=localize(newest.title, lang, fallback) if newest else sid,
        languages=list(newest.languages) if newest else [],
        intro=localize(newest.intro, lang, fallback) if newest else "",
    )
    # the definitions of the versions in the data, newest version last
    used: dict[str, tuple[Survey | None, bool, int, int]] = {}
    for record in rows:
        digest = str(record.get("survey_hash", ""))
        if digest not in used:
            survey, exact = definitions.for_record(record)
            used[digest] = (survey, exact, int(record.get("survey_version") or 0), 0)
        survey, exact, version, n = used[digest]
        used[digest] = (survey, exact, version, n + 1)
    result.versions = sorted(
        (
            VersionInfo(
                version,
                digest,
                n,
                "missing" if survey is None else "exact" if exact else "same-version",
            )
            for digest, (survey, exact, version, n) in used.items()
        ),
        key=lambda v: (v.version, v.hash),
    )
    known = sorted(
        {id(s): s for s, *_ in used.values() if s is not None}.values(), key=lambda s: s.version
    )
    if newest is not None and (not known or known[-1].version < newest.version):
        # texts come from the newest definition of the survey even if no record used it
        known = [*known, newest]
    slots = _slots(known, lang, yes_no, "response")
    idea_slots = _slots(known, lang, yes_no, "idea")
    theme_labels = _theme_labels(known, lang)
    themes: dict[str, ThemeIdeas] = {
        tid: ThemeIdeas(tid, label) for tid, label in theme_labels.items()
    }
    per_hour: dict[str, list[int]] = {}
    per_kiosk: Counter[str] = Counter()

    # each version's questions walked once, not per record
    plans = {
        digest: (_Plan.of(survey, "response"), _Plan.of(survey, "idea"))
        for digest, (survey, *_) in used.items()
    }
    first = last = None
    for record in rows:
        bucket = status(record)
        is_idea = record.get("kind") == "idea"
        if is_idea:
            result.ideas_in_scope += 1
            result.ideas_suspect += bucket == "suspect"
        elif bucket == "completed":
            result.completed += 1
        elif bucket == "partial":
            result.partial += 1
        else:
            result.suspect += 1
        if not filters.includes_status(bucket):
            continue
        kiosk = str(record.get("kiosk_id", ""))
        moment = local_time(record.get("started_at"))
        per_kiosk[kiosk] += 1
        if moment is not None:
            hours = per_hour.get(kiosk)
            if hours is None:
                hours = per_hour[kiosk] = [0] * 24
            hours[moment.hour] += 1
            if first is None or moment < first:
                first = moment
            if last is None or moment > last:
                last = moment
        response_plan, idea_plan = plans[str(record.get("survey_hash", ""))]
        answers = record.get("answers") or {}
        if is_idea:
            result.ideas += 1
            _add_idea(record, themes, kiosk, moment)
            _count(idea_slots, answers, idea_plan, bool(record.get("completed")), record, moment)
        else:
            result.visitors += 1
            _count(slots, answers, response_plan, bool(record.get("completed")), record, moment)
    result.first, result.last = first, last

    result.questions = [_finish(slot) for slot in slots.values()]
    result.idea_questions = [_finish(slot) for slot in idea_slots.values()]
    result.themes = [t for t in themes.values() if t.ideas or t.theme in theme_labels]
    for theme in result.themes:
        theme.ideas.sort(key=lambda i: (i.time is None, i.time or datetime.min, i.record_id))
    result.per_kiosk = dict(sorted(per_kiosk.items()))
    result.per_hour = dict(sorted(per_hour.items()))
    return result


def _texts(text: Any, survey: Survey) -> dict[str, str]:
    """A localized text as a plain mapping language -> text (to compare across versions)."""
    return {lang: localize(text, lang, survey.default_language) for lang in survey.languages}


def _choices_of(question: Any, survey: Survey) -> list[tuple[str, dict[str, str]]]:
    return [(c.id, _texts(c.text, survey)) for c in getattr(question, "choices", [])]


def _slots(
    versions: Sequence[Survey], lang: str, yes_no: tuple[str, str], part: str
) -> dict[str, _Slot]:
    """One slot per question id: the newest version's order, then ids only older ones had."""
    if not versions:
        return {}
    per_version: list[tuple[Survey, dict[str, Any]]] = []
    for survey in versions:
        if part == "idea":
            questions = list(survey.ideas.questions) if survey.ideas else []
        else:
            questions = list(survey.questions)
        per_version.append((survey, {q.id: q for q in questions if q.type != "info"}))
    order: list[str] = []
    for _, questions in reversed(per_version):
        order += [qid for qid in questions if qid not in order]
    slots: dict[str, _Slot] = {}
    for qid in order:
        survey, question = next((s, qs[qid]) for s, qs in reversed(per_version) if qid in qs)
        fallback = survey.default_language
        result = QuestionResult(
            id=qid, type=question.type, text=localize(question.text, lang, fallback), part=part
        )
        labels: dict[str, str] = {}
        if question.type == "yes_no":
            labels = {YES: yes_no[0], NO: yes_no[1]}
        # choice labels: newest first, older versions add choices they alone had
        for older, questions in reversed(per_version):
            for choice in getattr(questions.get(qid), "choices", []):
                labels.setdefault(choice.id, localize(choice.text, lang, older.default_language))
        newest_texts = _texts(question.text, survey)
        newest_choices = _choices_of(question, survey)
        for older, questions in per_version:
            if older is survey:
                continue
            other = questions.get(qid)
            if other is None:
                result.absent_in.append(older.version)
                continue
            if _texts(other.text, older) != newest_texts:
                result.text_changed_in.append(older.version)
            if _choices_of(other, older) != newest_choices:
                result.choices_changed_in.append(older.version)
        slots[qid] = _Slot(result, question, labels)
    return slots


def _theme_labels(versions: Sequence[Survey], lang: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    for survey in reversed(versions):
        if survey.ideas:
            for theme in survey.ideas.themes:
                labels.setdefault(theme.id, localize(theme.text, lang, survey.default_language))
    return labels


def shown_questions(
    questions: Sequence[Any], answers: Mapping[str, Any], completed: bool
) -> set[str]:
    """Ids of the questions a visit was shown (see the module docstring for the rule)."""
    visible = [q.id for q in questions if q.type != "info" and _visible(q, answers)]
    if completed:
        return set(visible)
    last = max((i for i, qid in enumerate(visible) if qid in answers), default=-1)
    return set(visible[: last + 1])


def _visible(question: Any, answers: Mapping[str, Any]) -> bool:
    """The kiosk's show_if rule (kiosk.app.flow.QuestionStep.visible) on saved answers."""
    return question.shown_with(answers)


@dataclass(frozen=True)
class _Plan:
    """One survey version's (response or idea) questions as a tally walks them, made once per
    version rather than per record: the non-info ids in order and, for those with a
    ``show_if``, the question to ask. Without any ``show_if`` a visit's shown questions are
    a prefix of ``ids`` and need no per-question check."""

    ids: tuple[str, ...]
    #: (id, the show_if's check when it has one else None), in order.
    gates: tuple[tuple[str, Any], ...]
    gated: bool
    #: Position of each id in ``ids`` (for the last answered question of a partial visit).
    position: dict[str, int]
    #: The questions themselves, for a file with a repeated id (the general rule then).
    questions: Sequence[Any] | None

    @classmethod
    def of(cls, survey: Survey | None, part: str) -> _Plan | None:
        """The plan of ``survey``'s ``part``; None without a definition (answers count)."""
        if survey is None:
            return None
        if part == "idea":
            if not survey.ideas:
                return None
            questions: Sequence[Any] = survey.ideas.questions
        else:
            questions = survey.questions
        asked = [q for q in questions if q.type != "info"]
        ids = tuple(q.id for q in asked)
        gates = tuple((q.id, q.show_if.holds if q.show_if is not None else None) for q in asked)
        repeated = len(set(ids)) != len(ids)  # a valid file has none; counted as before
        return cls(
            ids,
            gates,
            any(check is not None for _, check in gates),
            {qid: i for i, qid in enumerate(ids)},
            list(questions) if repeated else None,
        )

    def shown(self, answers: Mapping[str, Any], completed: bool) -> Iterable[str]:
        """The ids :func:`shown_questions` gives for this version's questions, without a
        copy or a visibility check per question when none has a ``show_if``."""
        if self.questions is not None:
            return shown_questions(self.questions, answers, completed)
        if self.gated:
            # QuestionBase.shown_with: shown when without a show_if or when it holds
            visible = [qid for qid, check in self.gates if check is None or check(answers)]
            if completed:
                return visible
            last = max((i for i, qid in enumerate(visible) if qid in answers), default=-1)
            return visible[: last + 1]
        if completed:
            return self.ids
        position = self.position
        last = max((position[qid] for qid in answers if qid in position), default=-1)
        return self.ids[: last + 1]


def _count(
    slots: dict[str, _Slot],
    answers: Mapping[str, Any],
    plan: _Plan | None,
    completed: bool,
    record: Mapping[str, Any],
    moment: datetime | None,
) -> None:
    # without a definition of this version a question counts as shown when answered
    shown = answers if plan is None else plan.shown(answers, completed)
    if not slots.keys() >= answers.keys():
        for qid in answers:
            if qid not in slots:
                slots[qid] = _guessed_slot(qid, answers[qid], record)
    for qid in shown:
        slot = slots.get(qid)
        if slot is None:
            continue
        slot.result.shown += 1
        value = answers.get(qid)
        if value is None or value == "" or value == []:
            continue
        slot.result.answered += 1
        _add_value(slot, value, record, moment)


def _guessed_slot(qid: str, value: Any, record: Mapping[str, Any]) -> _Slot:
    if isinstance(value, bool):
        kind = "yes_no"
    elif isinstance(value, int):
        kind = "number"
    elif isinstance(value, list):
        kind = "multiple_choice"
    else:
        kind = "single_choice"
    part = "idea" if record.get("kind") == "idea" else "response"
    result = QuestionResult(id=qid, type=kind, text=qid, part=part, guessed=True)
    labels = {YES: YES, NO: NO} if kind == "yes_no" else {}
    return _Slot(result, None, labels)


def _add_value(slot: _Slot, value: Any, record: Mapping[str, Any], moment: datetime | None) -> None:
    """Count one answer; ``moment`` is the visit's local start (a text answer's time)."""
    kind = slot.result.type
    if kind == "yes_no":
        slot.counts[YES if value is True else NO] += 1
    elif kind in ("scale", "number"):
        if isinstance(value, int) and not isinstance(value, bool):
            slot.values.append(value)
    elif kind == "text":
        slot.result.texts.append(
            TextAnswer(
                str(value),
                str(record.get("kiosk_id", "")),
                moment,
                str(record.get("id", "")),
            )
        )
    elif isinstance(value, list):
        for choice in dict.fromkeys(str(v) for v in value):
            slot.counts[choice] += 1
    else:
        slot.counts[str(value)] += 1


def _finish(slot: _Slot) -> QuestionResult:
    result = slot.result
    shown = result.shown
    if result.type in ("scale", "number"):
        counter = Counter(slot.values)
        points: list[int] = []
        question = slot.question
        if result.type == "scale" and question is not None:
            points = list(question.points)
        result.distribution = [(v, counter.get(v, 0)) for v in sorted({*points, *counter})]
        if slot.values:
            result.mean = statistics.fmean(slot.values)
            result.median = float(statistics.median(slot.values))
    elif result.type != "text":
        ids = list(slot.labels) + [c for c in slot.counts if c not in slot.labels]
        result.choices = [
            ChoiceCount(
                cid,
                slot.labels.get(cid, cid),
                slot.counts.get(cid, 0),
                slot.counts.get(cid, 0) / shown if shown else 0.0,
            )
            for cid in ids
        ]
    return result


def _add_idea(
    record: Mapping[str, Any],
    themes: dict[str, ThemeIdeas],
    kiosk: str,
    moment: datetime | None,
) -> None:
    idea = record.get("idea") or {}
    theme = str(idea.get("theme", ""))
    if theme not in themes:
        themes[theme] = ThemeIdeas(theme, theme)
    themes[theme].ideas.append(
        Idea(
            theme=theme,
            theme_label=themes[theme].label,
            title=str(idea.get("title", "")),
            description=str(idea.get("description", "")),
            ref=record.get("ref"),
            kiosk=kiosk,
            time=moment,
            record_id=str(record.get("id", "")),
        )
    )


def labelled(
    record: Mapping[str, Any],
    definitions: Definitions,
    lang: str,
    yes_no: tuple[str, str] = ("yes", "no"),
) -> dict[str, Any]:
    """A copy of ``record`` whose answers and idea theme hold the labels visitors saw.

    Choice ids become their texts in ``lang`` (from the record's own survey version when
    known), true/false become ``yes_no``, several choices are joined with "; ". Values
    without a definition stay as they are.
    """
    survey, _ = definitions.for_record(record)
    survey = survey or definitions.newest(str(record.get("survey_id", "")))
    copy = dict(record)
    answers: dict[str, Any] = {}
    for qid, value in (record.get("answers") or {}).items():
        labels: dict[str, str] = {}
        if survey is not None:
            try:
                question = survey.question(qid)
            except KeyError:
                question = None
            for choice in getattr(question, "choices", []):
                labels[choice.id] = localize(choice.text, lang, survey.default_language)
        if isinstance(value, bool):
            answers[qid] = yes_no[0] if value else yes_no[1]
        elif isinstance(value, list):
            answers[qid] = "; ".join(labels.get(str(v), str(v)) for v in value)
        elif isinstance(value, str):
            answers[qid] = labels.get(value, value)
        else:
            answers[qid] = value
    copy["answers"] = answers
    idea = record.get("idea")
    if idea and survey is not None and survey.ideas:
        themes = {
            t.id: localize(t.text, lang, survey.default_language) for t in survey.ideas.themes
        }
        copy["idea"] = {**idea, "theme": themes.get(idea.get("theme"), idea.get("theme"))}
    return copy
