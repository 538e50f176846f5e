"""After the record is saved: the survey's thanks, then back to welcome on any input or timeout."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from kiosk.app.screens.base import KioskScreen
from kiosk.i18n import localize

if TYPE_CHECKING:
    from kiosk.survey.model import Survey


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
    """The thanks text, and the follow-up QR code with the reference code (or the code alone)."""

    def __init__(self, survey: Survey, record: dict[str, Any], timeout: float) -> None:
        super().__init__(timeout)
        self.survey = survey
        self.record = record

    def compose(self) -> ComposeResult:
        lang = self.kiosk.lang
        with Center(id="thanks-box"), Vertical(id="thanks-inner"):
            title = "idea.thanks_title" if self.record.get("kind") == "idea" else "thanks.title"
            yield Static(self.t(title), id="thanks-title")
            yield Static(localize(self.survey.thanks, lang), id="thanks-text", markup=False)
            with Vertical(id="followup-slot"):
                yield from self._followup()
            yield Static(self.t("thanks.hint"), classes="hint")

    def _followup(self) -> Iterator[Widget]:
        """The follow-up QR code with the reference code and its text, or the code alone."""
        from kiosk.app.widgets.qr_code import FollowupCode
        from kiosk.refs import followup_template, followup_url

        ref = self.record.get("ref")
        if not ref:
            return
        followup = self.survey.followup
        template = None
        if followup is not None:  # no url in the survey: the collector's page, when known
            template = followup_template(followup.url, self.kiosk.followup_base())
        if followup is None or template is None:  # no follow-up link: the code alone
            yield Static(f"{self.t('idea.ref')}: {ref}", id="ref-only", markup=False)
            return
        text = followup.text
        if self.record.get("kind") == "idea" and followup.idea_text is not None:
            text = followup.idea_text
        caption = localize(text, self.kiosk.lang, self.survey.default_language)
        url = followup_url(template, ref)
        labels = {"ref_label": self.t("idea.ref"), "go_to": self.t("thanks.go_to")}
        yield FollowupCode(url, ref, caption, **labels)


class ApologyScreen(TimedScreen):
    """A calm apology when the record could not be saved; the organiser screen has the error."""

    def compose(self) -> ComposeResult:
        with Center(id="thanks-box"), Vertical(id="thanks-inner"):
            yield Static(self.t("apology.title"), id="thanks-title")
            yield Static(self.t("apology.text"), id="thanks-text")
            yield Static(self.t("apology.hint"), classes="hint")
