"""The app's side of background sync, imported only when sync is configured.

``kiosk.sync.background`` may not exist yet; then :attr:`SyncBridge.available` is False and
the organiser screen says sync is not configured.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from kiosk.config import SyncConfig

if TYPE_CHECKING:
    from kiosk.store import RecordStore


class SyncBridge:
    """Starts, nudges and reports on ``BackgroundSync`` when there is one to run."""

    def __init__(self, config: SyncConfig, store: RecordStore, kiosk_id: str | None = None) -> None:
        self.config = config
        self.store = store
        #: The id the kiosk's status message goes under (its records' kiosk id).
        self.kiosk_id = kiosk_id
        self._sync: Any = None
        self.error: str | None = None

    @property
    def available(self) -> bool:
        return self._sync is not None

    def start(self) -> bool:
        """Import and start the sync thread; False (and nothing running) if it can't be."""
        if not self.config.endpoint or self._sync is not None:
            return self._sync is not None
        try:
            module = importlib.import_module("kiosk.sync.background")
        except ModuleNotFoundError:
            return False
        try:
            self._sync = module.BackgroundSync(
                self.store,
                self.config.endpoint,
                self.config.resolved_token() or "",
                interval=self.config.interval,
                ca_bundle=str(self.config.ca_bundle) if self.config.ca_bundle else None,
                allow_plain_http=self.config.insecure_http,
                kiosk_id=self.kiosk_id,
            )
            self._sync.start()
        except Exception as exc:  # a broken sync setup must not take the kiosk down
            self.error = f"{type(exc).__name__}: {exc}"
            self._sync = None
            return False
        return True

    def nudge(self) -> None:
        if self._sync is not None:
            self._sync.nudge()

    def sync_now(self) -> None:
        if self._sync is not None:
            self._sync.sync_now()

    def status(self) -> Any:
        return self._sync.status() if self._sync is not None else None

    def stop(self) -> None:
        if self._sync is not None:
            self._sync.stop()
            self._sync = None
