"""The organiser's first screen: counts, store health, sync, and the only way to quit.

Left alone, it closes itself after the kiosk's idle time (``idle_timeout`` plus
``idle_grace``), so an organiser who walks away does not leave Quit to the next visitor.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from kiosk.app.screens.base import KioskScreen
from kiosk.app.widgets.tap_button import NavButton, TapButton
from kiosk.i18n import localize


class OrganiserScreen(KioskScreen):
    """Counts are O(records): computed here, once per visit of this screen, never per key."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit_kiosk", show=False),
        Binding("escape", "back", show=False),
    ]

    def compose(self) -> ComposeResult:
        kiosk = self.kiosk
        with VerticalScroll(id="organiser-body"):
            yield Static(self.t("organiser.title"), id="organiser-title")
            if kiosk.demo:
                yield Static(self.t("organiser.demo"), classes="error")
            yield Static(self.t("organiser.kiosk", kiosk_id=kiosk.settings.kiosk_id))
            yield Static("", id="counts", markup=False)
            yield Static("", id="health", markup=False)
            yield Static("", id="sync-status", markup=False)
        with Horizontal(id="nav"):
            yield NavButton(self.t("organiser.back"), value="back", id="organiser-back")
            if kiosk.sync.available:
                yield NavButton(self.t("organiser.sync_now"), value="sync", id="sync-now")
            yield NavButton(self.t("organiser.quit"), value="quit", id="quit")

    def on_mount(self) -> None:
        self.refresh_figures()
        self.query_one("#organiser-back").focus(scroll_visible=False)

    def idle_for(self, seconds: float) -> None:
        if seconds >= self.kiosk.idle_timeout + self.kiosk.idle_grace:
            self.dismiss()

    def refresh_figures(self) -> None:
        kiosk = self.kiosk
        store = kiosk.store
        lines = [self.t("organiser.today", count=self._today_count())]
        counts = store.counts()
        titles = {s.id: localize(s.title, kiosk.lang) for s in kiosk.surveys}
        for (survey_id, kind), c in sorted(counts.items()):
            lines.append(
                self.t(
                    "organiser.survey_line",
                    # the title the organiser wrote; the id only for a survey not loaded here
                    survey=titles.get(survey_id, survey_id),
                    kind=self.t(f"organiser.kind_{kind}"),
                    completed=c.completed,
                    partial=c.partial,
                    suspect=c.suspect,
                    pending=c.pending,
                )
            )
        if not counts:
            lines.append(self.t("organiser.no_records"))
        self.query_one("#counts", Static).update("\n".join(lines))
        health = store.health()
        health_lines = [
            self.t(
                "organiser.health",
                records=self._records(health.records),
                pending=health.pending,
                size=health.log_bytes // 1024,
                directory=health.directory,
            )
        ]
        health_lines += [self.t("organiser.problem", problem=p) for p in health.problems]
        if kiosk.saver.misfits:
            health_lines.append(self.t("organiser.misfits", count=kiosk.saver.misfits))
        if kiosk.saver.last_error:
            health_lines.append(self.t("organiser.save_error", error=kiosk.saver.last_error))
        elif health.ok:
            health_lines.append(self.t("organiser.health_ok"))
        self.query_one("#health", Static).update("\n".join(health_lines))
        self.query_one("#sync-status", Static).update(self._sync_text())

    def _records(self, count: int) -> str:
        """ "1 besvarelse", "2 besvarelser": Danish has a singular too."""
        if count == 1:
            return self.t("organiser.records_one")
        return self.t("organiser.records_many", count=count)

    def _today_count(self) -> int:
        today = date.today()
        count = 0
        for record in self.kiosk.store.records():
            try:
                stamp = datetime.fromisoformat(record["submitted_at"].replace("Z", "+00:00"))
            except (KeyError, ValueError):
                continue
            if stamp.astimezone().date() == today:
                count += 1
        return count

    def _sync_text(self) -> str:
        sync = self.kiosk.sync
        status = sync.status()
        if status is None:
            if sync.error:
                return self.t("organiser.sync_failed", error=sync.error)
            if getattr(self.kiosk, "synced_by_server", False):  # a tablet of kiosk serve
                return self.t("serve.sync_by_server")
            return self.t("organiser.sync_off")
        return self.t(
            "organiser.sync_status",
            pending=status.pending,
            last_success=status.last_success or self.t("organiser.sync_never"),
            last_error=status.last_error or self.t("organiser.sync_none"),
        )

    def action_quit_kiosk(self) -> None:
        self.kiosk.quit_kiosk()

    def action_back(self) -> None:
        self.dismiss()

    @on(TapButton.Tapped, "#quit")
    def _quit_tapped(self, event: TapButton.Tapped) -> None:
        event.stop()
        self.action_quit_kiosk()

    @on(TapButton.Tapped, "#sync-now")
    def _sync_tapped(self, event: TapButton.Tapped) -> None:
        event.stop()
        self._sync_now()

    @on(TapButton.Tapped, "#organiser-back")
    def _back_tapped(self, event: TapButton.Tapped) -> None:
        event.stop()
        self.action_back()

    @work(thread=True, exclusive=True)
    def _sync_now(self) -> None:
        """In a thread: a sync over slow Wi-Fi must not freeze the screen."""
        self.kiosk.sync.sync_now()
        self.app.call_from_thread(self.refresh_figures)
