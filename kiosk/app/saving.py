"""Turning a finished (or abandoned) visit into a stored record, before any thank-you."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kiosk.app.flow import VisitFlow

if TYPE_CHECKING:
    from kiosk.store import RecordStore
    from kiosk.survey.model import Survey

log = logging.getLogger("kiosk.app")


@dataclass
class SaveOutcome:
    record: dict[str, Any] | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class RecordSaver:
    """Builds records from visits and saves them durably; remembers the last failure."""

    def __init__(
        self,
        store: RecordStore,
        *,
        kiosk_id: str,
        suspect_seconds: float,
        on_saved: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.store = store
        self.kiosk_id = kiosk_id
        self.suspect_seconds = suspect_seconds
        self.last_error: str | None = None
        #: Answers left out of records because they did not fit their question (shown on
        #: the organiser screen; the flow should never make one).
        self.misfits = 0
        self._listeners: list[Callable[[dict[str, Any]], None]] = []
        if on_saved is not None:
            self._listeners.append(on_saved)

    def add_listener(self, listener: Callable[[dict[str, Any]], None]) -> None:
        """Called with each saved record (sync nudge, ``kiosk simulate``'s output)."""
        self._listeners.append(listener)

    def build(
        self,
        flow: VisitFlow,
        survey: Survey,
        survey_hash: str,
        lang: str,
        *,
        completed: bool,
        **extra: Any,
    ) -> dict[str, Any]:
        from kiosk.records import new_record

        suspect = completed and flow.elapsed() < self.suspect_seconds
        answers = self.fitting_answers(flow.answers_to_save(), survey, flow.kind)
        return new_record(
            kind=flow.kind,
            survey_id=survey.id,
            survey_version=survey.version,
            survey_hash=survey_hash,
            kiosk_id=self.kiosk_id,
            lang=lang,
            started_at=flow.started_at,
            completed=completed,
            answers=answers,
            suspect=True if suspect else None,
            **flow.record_fields(),
            **extra,
        )

    def fitting_answers(self, answers: dict[str, Any], survey: Survey, kind: str) -> dict[str, Any]:
        """The answers that fit their questions; any other is left out, logged (question id
        and reason, never the value: it is the visitor's) and counted."""
        from kiosk.survey.answers import misfits, record_questions

        faults = misfits(record_questions(survey, kind), answers)
        for question_id, reason in faults.items():
            log.warning(
                "left an answer out of a %s record of survey %s: question %s: %s",
                kind,
                survey.id,
                question_id,
                reason,
            )
        self.misfits += len(faults)
        return {k: v for k, v in answers.items() if k not in faults}

    def save(self, record: dict[str, Any], contact: dict[str, Any] | None = None) -> SaveOutcome:
        """Save durably; a failure is returned (and kept for the organiser), never raised."""
        from kiosk.store.errors import StoreError

        try:
            self.store.save(record, contact=contact)
        except (StoreError, OSError) as exc:
            self.last_error = f"{type(exc).__name__}: {exc}"
            return SaveOutcome(record=None, error=self.last_error)
        for listener in self._listeners:
            listener(record)
        return SaveOutcome(record=record)
