"""What one sync run did, for the organiser's summary and the command's exit code."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Exit codes of ``kiosk sync`` (also in its --help and docs/sync-protocol.md).
EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_REMAINING = 2
EXIT_AUTH = 3
EXIT_USAGE = 4
EXIT_VERIFY = 5


@dataclass
class Rejection:
    id: str
    status: str
    reason: str


@dataclass
class SyncSummary:
    """Counts of one run; ``error`` says why it stopped early, if it did."""

    synced: int = 0
    already_there: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    remaining: int = 0
    batches: int = 0
    error: str | None = None
    error_kind: str | None = None  # "auth", "config", "network", "refused", "store"
    skipped: list[str] = field(default_factory=list)
    #: Records flagged by an earlier run (the kiosk's background sync, an earlier
    #: ``kiosk sync``): not at the collector either, so they keep the exit code at 1.
    rejected_before: list[Rejection] = field(default_factory=list)
    #: What the collector warned about (several data directories under one kiosk id).
    warnings: list[str] = field(default_factory=list)
    #: Records sent again with ``--resend`` although marked synced (to another collector).
    resent: int = 0
    #: The collector the records were marked synced with, when it is not this one: they
    #: were all sent again (``resent``) to this one.
    moved_from: str | None = None
    #: Survey definitions the collector stored new in this run.
    definitions_sent: int = 0
    #: Definitions not sent and why (an older collector, none kept, refused); never an error.
    definition_notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.error_kind == "auth":
            return EXIT_AUTH
        if self.error_kind == "config":
            return EXIT_USAGE
        if self.remaining or self.error:
            return EXIT_REMAINING
        if self.rejected or self.rejected_before:
            return EXIT_REJECTED
        return EXIT_OK


@dataclass
class VerifyResult:
    """The collector's digest for one kiosk against the data directory's synced records."""

    kiosk_id: str
    local_count: int
    remote_count: int
    local_sha256: str
    remote_sha256: str
    #: Data directories the collector has seen under this kiosk id (0: it does not say).
    stores: int = 0

    @property
    def match(self) -> bool:
        return self.local_count == self.remote_count and self.local_sha256 == self.remote_sha256

    @property
    def advice(self) -> str:
        """What a mismatch most likely means, and what to do; empty when they match."""
        if self.match:
            return ""
        if self.stores > 1:
            return (
                f"{self.stores} data directories send as kiosk {self.kiosk_id!r}, so the "
                "collector counts the records of all of them: give each kiosk its own id "
                "(kiosk init); nothing is lost"
            )
        if self.remote_count < self.local_count:
            return (
                "the collector lacks records this kiosk marked synced: if this data directory "
                "was synced to another collector before, run kiosk sync --resend (safe: the "
                "collector keeps each record once)"
            )
        return (
            "the collector holds records under this kiosk id that this data directory does "
            "not: another data directory (perhaps an older kiosk) may use the same kiosk id; "
            "compare the exports"
        )
