"""Background sync in the kiosk: a daemon thread that never blocks or ends the app.

Deliberately a plain thread and not a Textual worker: a worker's uncaught
error exits the app by default, and a visitor's screen must never depend on
the venue's network. Every error is caught, kept in :meth:`status` and
logged without record contents or the token.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from kiosk.records import now_iso
from kiosk.store import RecordStore
from kiosk.sync.client import RetryPolicy, SyncClient, TransientError, redact
from kiosk.sync.runner import DEFAULT_BATCH_SIZE, sync_store
from kiosk.sync.status import build_status, kiosk_id_of

log = logging.getLogger("kiosk.sync")

#: How long a nudge waits for more saves before syncing, so a burst makes one request.
NUDGE_DELAY_S = 0.5


@dataclass(frozen=True)
class SyncStatus:
    """What the organiser screen shows."""

    pending: int
    last_success: str | None
    last_error: str | None
    running: bool


class BackgroundSync:
    """Syncs ``store`` to ``endpoint`` every ``interval`` seconds and soon after each nudge."""

    def __init__(
        self,
        store: RecordStore,
        endpoint: str,
        token: str,
        interval: float = 60.0,
        ca_bundle: str | None = None,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        retry: RetryPolicy | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        nudge_delay: float = NUDGE_DELAY_S,
        allow_plain_http: bool = False,
        kiosk_id: str | None = None,
    ) -> None:
        self._store = store
        #: The id the status message goes under; found in the data directory when not given.
        self._kiosk_id = kiosk_id
        self._token = token  # only to blank it out of unexpected error messages
        self._client = SyncClient(
            endpoint,
            token,
            ca_bundle=ca_bundle,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retry=retry or RetryPolicy(max_attempts=3, base_delay=1.0, max_delay=10.0),
            sleep=self._pause,
            allow_plain_http=allow_plain_http,
        )
        self.interval = interval
        self.batch_size = batch_size
        self.nudge_delay = nudge_delay
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._round_done = threading.Condition(self._lock)
        self._rounds = 0
        self._requested = 0
        self._thread: threading.Thread | None = None
        self._pending = 0
        self._last_success: str | None = None
        self._last_error: str | None = None
        self._syncing = False

    # --- control ------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="kiosk-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread, waiting at most ``timeout`` seconds (it is a daemon either way)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._client.close()

    def nudge(self) -> None:
        """A record was saved: sync soon (within about a second), never now on this thread."""
        with self._lock:
            self._requested += 1
        self._wake.set()

    def sync_now(self, wait: float | None = None) -> SyncStatus:
        """Ask for a sync at once (the organiser's "Sync now"); optionally wait for it to end."""
        with self._lock:
            self._requested += 1
            # a round already under way may have read the store before this request
            target = self._rounds + (2 if self._syncing else 1)
            self._now = True
        self._wake.set()
        if wait is not None:
            deadline = time.monotonic() + wait
            with self._round_done:
                while self._rounds < target and time.monotonic() < deadline:
                    self._round_done.wait(max(0.0, deadline - time.monotonic()))
        return self.status()

    def status(self) -> SyncStatus:
        with self._lock:
            return SyncStatus(
                pending=self._pending,
                last_success=self._last_success,
                last_error=self._last_error,
                running=self._thread is not None
                and self._thread.is_alive()
                and not self._stopping.is_set(),
            )

    # --- the thread ---------------------------------------------------------------------

    def _pause(self, seconds: float) -> None:
        """The client's wait between retries (a Retry-After may ask for a minute): a stop
        ends it, and the round with it, so closing the kiosk never waits for a busy link."""
        if self._stopping.wait(seconds):
            raise TransientError("stopped: the kiosk is closing")

    _now = False

    def _run(self) -> None:
        self._refresh_pending()
        next_round = time.monotonic()  # first round at start
        while not self._stopping.is_set():
            timeout = max(0.0, next_round - time.monotonic())
            woken = self._wake.wait(timeout)
            if self._stopping.is_set():
                break
            if woken:
                self._wake.clear()
                with self._lock:
                    now = self._now
                    self._now = False
                if not now and self.nudge_delay > 0:
                    # let a burst of saves settle; a stop still ends the wait
                    self._stopping.wait(self.nudge_delay)
                    if self._stopping.is_set():
                        break
            self._round()
            next_round = time.monotonic() + self.interval

    def _round(self) -> None:
        with self._lock:
            self._syncing = True
        try:
            summary = sync_store(self._store, self._client, batch_size=self.batch_size)
            reached = summary.error_kind not in ("auth", "config", "network")
            if summary.batches == 0 and summary.error is None and not self._client.health():
                # nothing to send, but the organiser should still see the link is down
                summary.error = "the collector cannot be reached (nothing is waiting to be sent)"
                reached = False
            with self._lock:
                self._pending = summary.remaining
                if summary.error:
                    self._last_error = f"{now_iso()}: {summary.error}"
                    # kept past later successes: the overview shows it with its time
                    self._last_error_at, self._last_error_text = now_iso(), summary.error
                else:
                    self._last_success = now_iso()
                    self._last_error = None
            if reached:  # a link that just failed would only make the status wait and fail
                self._send_status()
        except Exception as exc:  # never let the sync thread die
            reason = redact(f"{type(exc).__name__}: {exc}", self._token)
            log.error("background sync round failed: %s", reason)
            with self._lock:
                self._last_error = f"{now_iso()}: {reason}"
        finally:
            with self._round_done:
                self._syncing = False
                self._rounds += 1
                self._round_done.notify_all()

    _last_error_at: str | None = None
    _last_error_text: str | None = None

    def _send_status(self) -> None:
        """Tell the collector how this kiosk is doing (docs/sync-protocol.md, status)."""
        if self._kiosk_id is None:
            self._kiosk_id = kiosk_id_of(self._store)
            if self._kiosk_id is None:
                return  # an empty data directory of a configured kiosk: nothing names it yet
        with self._lock:
            error, error_at = self._last_error_text, self._last_error_at
            success = self._last_success
        status = build_status(
            self._store,
            self._kiosk_id,
            last_error=redact(error, self._token) if error else None,
            last_error_at=error_at,
            last_success_at=success,
        )
        self._client.send_status(status)

    def _refresh_pending(self) -> None:
        try:
            pending = self._store.pending_count()
        except Exception as exc:
            log.warning("could not count pending records: %s", exc)
            return
        with self._lock:
            self._pending = pending
