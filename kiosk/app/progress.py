""" "Question 5 of 10" that a visitor can trust: the number goes up by one, the total never grows.

:meth:`VisitFlow.progress` counts the questions shown with the answers as they are now, so
a "Ja" that opens three follow-up questions would turn "4 of 6" into "5 of 8" and then
"7 of 10": the end moves away while the visitor walks towards it. Here the total also
counts every later question that the answers so far still leave possible (its ``show_if``
waits for a question not answered yet), so it is the longest way still open: it can only
shrink, when an answer rules questions out.
"""

from __future__ import annotations

from typing import Any

from kiosk.app.flow import QuestionStep, Step, VisitFlow


def _depends_on(step: Step) -> str | None:
    """The id of the step whose answer decides whether ``step`` is shown, if any."""
    consent = getattr(step, "consent_key", None)
    if isinstance(consent, str):
        return consent
    if isinstance(step, QuestionStep):
        condition: Any = getattr(step.question, "show_if", None)
        if condition is not None:
            return str(condition.question)
    return None


def visit_progress(flow: VisitFlow) -> tuple[int, int]:
    """(number, total) of the counted step on screen; number 0 for an uncounted one."""
    number, _ = flow.progress()
    if flow.finished:
        return number, 0
    position = next(i for i, s in enumerate(flow.steps) if s is flow.current)
    shown = {id(s) for s in flow.visible_steps()}
    #: Steps from here on that are shown or still may be: their answers are not final.
    open_ids: set[str] = set()
    total = 0
    for index, step in enumerate(flow.steps):
        possible = id(step) in shown
        if not possible and index > position:
            possible = _depends_on(step) in open_ids
        if possible and index >= position:
            open_ids.add(step.id)
        if possible and step.counted:
            total += 1
    return number, total
