"""After the record is saved: the survey's thanks, then back to welcome on any input or timeout."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.message import Message
from textual.widgets import Static

from kiosk.app.screens.base import KioskScreen
from kiosk.app.widgets.followup_slot import FollowupSlot
from kiosk.i18n import localize


class TimedScreen(KioskScreen):
    """A screen that ends on any key, any tap, or after ``timeout`` seconds."""

    class Done(Message):
        """The visitor is done here: back to the welcome screen."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        self._done = False

    def on_mount(self) -> None:
        self.set_timer(self.timeout, self.finish)

    def finish(self) -> None:
        if not self._done:
            self._done = True
            self.post_message(self.Done())

    def on_key(self, event: events.Key) -> None:
        event.stop()
        self.finish()

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.finish()


class ThanksScreen(TimedScreen):
    """The thanks text, and :class:`FollowupSlot` for the QR and reference code."""

    def __init__(self, survey: Any, record: dict[str, Any], timeout: float) -> None:
        super().__init__(timeout)
        self.survey = survey
        self.record = record

    def compose(self) -> ComposeResult:
        lang = self.kiosk.lang
        with Center(id="thanks-box"), Vertical(id="thanks-inner"):
            title = "idea.thanks_title" if self.record.get("kind") == "idea" else "thanks.title"
            yield Static(self.t(title), id="thanks-title")
            yield Static(localize(self.survey.thanks, lang), id="thanks-text", markup=False)
            yield FollowupSlot()
            yield Static(self.t("thanks.hint"), classes="hint")

    def on_mount(self) -> None:
        super().on_mount()
        self.kiosk.fill_followup(self.query_one(FollowupSlot), self.survey, self.record)


class ApologyScreen(TimedScreen):
    """A calm apology when the record could not be saved; the organiser screen has the error."""

    def compose(self) -> ComposeResult:
        with Center(id="thanks-box"), Vertical(id="thanks-inner"):
            yield Static(self.t("apology.title"), id="thanks-title")
            yield Static(self.t("apology.text"), id="thanks-text")
            yield Static(self.t("apology.hint"), classes="hint")
