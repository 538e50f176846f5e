"""What kiosk and collector agree on: paths, the marker header, hashes (docs/sync-protocol.md)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.records import REJECTED_STATUSES, STORED_STATUSES, ResultStatus

__all__ = ["REJECTED_STATUSES", "STORED_STATUSES", "ResultStatus"]  # spelled in kiosk.records

#: Every answer of a real collector carries this header; a captive portal's 200 page does not.
SYNC_HEADER = "X-Borgerkiosk-Sync"
SYNC_HEADER_VALUE = "1"

SUBMISSIONS_PATH = "/v1/submissions"
HEALTH_PATH = "/v1/health"
#: The kiosk's status message (docs/sync-protocol.md); collectors before it answer 404.
STATUS_PATH = "/v1/status"
DIGEST_PATH = "/v1/kiosks/{kiosk_id}/digest"
#: The route as the collector declares it: a kiosk id may hold a "/" (sent as %2F).
DIGEST_ROUTE = "/v1/kiosks/{kiosk_id:path}/digest"
#: A survey definition by its survey_hash: the kiosk PUTs it before records of that hash.
SURVEY_PATH = "/v1/surveys/{survey_hash}"
#: As the collector declares it: any text, so a malformed hash gets a worded 422, not a 404.
SURVEY_ROUTE = "/v1/surveys/{survey_hash:path}"

RESULT_STATUSES: frozenset[ResultStatus] = STORED_STATUSES | REJECTED_STATUSES


@dataclass(frozen=True)
class RecordResult:
    """The result of one submitted record: stored by the collector, sent, read by the kiosk."""

    id: str
    status: ResultStatus
    error: str | None = None

    def as_json(self) -> dict[str, str]:
        """The result as it travels in a submission's reply (no ``error`` when there is none)."""
        reply = {"id": self.id, "status": self.status}
        if self.error:
            reply["error"] = self.error
        return reply


def canonical_json(record: Mapping[str, Any]) -> str:
    """The one spelling of a record both sides hash, so equal content means equal hashes."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(record: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of a public record: how a conflict is told from a duplicate."""
    return hashlib.sha256(canonical_json(record).encode("utf-8")).hexdigest()


def ids_digest(ids: Iterable[str]) -> str:
    """sha256 over the sorted record ids, one per line: a kiosk's reconciliation fingerprint."""
    digest = hashlib.sha256()
    for record_id in sorted(ids):
        digest.update(record_id.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def token_problem(token: str) -> str | None:
    """Why ``token`` cannot be sent as a bearer token, or None; never quotes the token.

    A token travels in an HTTP header: a stray newline or a non-ASCII character
    would make the HTTP library fail with an error that quotes the header (the
    token) or with an uncaught encoding error, so both sides refuse it up front.
    """
    if not token:
        return "the token is empty"
    if "\ufeff" in token:
        return (
            "the token holds a byte-order mark (U+FEFF), which Notepad and some editors add; "
            "save the token file as UTF-8 without BOM, or paste the token again"
        )
    if any(not ("!" <= char <= "~") for char in token):
        return (
            "the token holds spaces, line breaks or non-ASCII characters; use one line of "
            "letters, digits and punctuation (e.g. from: python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))')"
        )
    return None


def read_token_file(path: Path) -> str:
    """The token in ``path``: one line, without surrounding blanks or a UTF-8 byte-order mark.

    Raises OSError and UnicodeDecodeError for the caller to word; Notepad's BOM is dropped,
    since the token is ASCII and a BOM can only be an editor's addition.
    """
    return path.read_text(encoding="utf-8-sig").strip()
