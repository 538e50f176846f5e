"""The HTTP client of the sync protocol: bounded retries with backoff, strict reply checks.

A batch counts as stored only on a 200 that carries the collector's marker
header and a well-formed result for every record sent. Anything else (a
captive portal's page, a proxy's error, a cut-off body) counts as not sent.
POSTs are retried on our own loop (urllib3 does not retry POST): that is safe
because the collector deduplicates by record id.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from kiosk.sanitize import clean_text
from kiosk.sync.deadline import DeadlineAdapter
from kiosk.sync.endpoint import endpoint_problem
from kiosk.sync.protocol import (
    DIGEST_PATH,
    HEALTH_PATH,
    RESULT_STATUSES,
    STATUS_PATH,
    SUBMISSIONS_PATH,
    SURVEY_PATH,
    SYNC_HEADER,
    SYNC_HEADER_VALUE,
    RecordResult,
    token_problem,
)

log = logging.getLogger("kiosk.sync")

#: Retried besides every 5xx: the collector (or a proxy in front of it) is busy.
RETRY_STATUSES = frozenset({429})


class SyncError(Exception):
    """Base of the client's errors; messages name what to do and never hold the token."""


class AuthError(SyncError):
    """401/403: the token is missing, wrong or not allowed; retrying will not help."""


class SyncSetupError(SyncError):
    """The endpoint URL, token, certificate bundle or the like is wrong; retrying will not
    help. (A broken kiosk config file is :class:`kiosk.config.ConfigError`.)"""


class TransientError(SyncError):
    """The collector could not be reached or answered busy, past every retry."""


class PayloadTooLarge(SyncError):
    """413: the batch is larger than the collector takes; send fewer records at once."""


class RefusedError(SyncError):
    """The collector refused the request itself (400/404/422 ...): not a network problem."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        #: The HTTP status: 404/405 to a survey definition means an older collector.
        self.status = status


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded in attempts and in each delay."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 60.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (attempt counts from 1)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)


@dataclass
class DefinitionUploads:
    """What a client did with survey definitions, kept for its life (a ``kiosk sync`` run,
    or a kiosk's background sync across its rounds), so each hash is sent once."""

    #: Hashes settled: the collector holds them, or refused them, or none is kept locally.
    settled: set[str] = field(default_factory=set)
    #: The collector answered 404/405: it is older than definitions; none is sent again.
    unsupported: bool = False


class SyncClient:
    """Talks to one collector endpoint with one token."""

    def __init__(
        self,
        endpoint: str,
        token: str,
        *,
        ca_bundle: str | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        allow_plain_http: bool = False,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._endpoint_problem = endpoint_problem(endpoint, allow_plain_http=allow_plain_http)
        self._token = token
        self._token_problem = token_problem(token)
        self.timeout = (connect_timeout, read_timeout)
        #: The whole answer, from connecting to its last byte, ends by then.
        self.deadline = connect_timeout + read_timeout
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._session = requests.Session()
        self._adapter = DeadlineAdapter()
        #: Warnings the collector sent with its replies, each once, in the order received.
        self.warnings: list[str] = []
        self.definitions = DefinitionUploads()
        self._session.mount("http://", self._adapter)
        self._session.mount("https://", self._adapter)
        # Passed with every request: requests lets $REQUESTS_CA_BUNDLE override a session's
        # verify setting, which would silently ignore --ca-bundle.
        self._verify: str | bool = ca_bundle if ca_bundle else True

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:  # never show the token
        return f"SyncClient({self.endpoint!r})"

    def _short(self, exc: BaseException) -> str:
        """A short reason for a requests error, with the token blanked should it appear."""
        return redact(_short(exc), self._token)

    def _read(
        self, response: requests.Response, parse: Callable[[Any], Any]
    ) -> tuple[bool, Any, str, float | None]:
        """(done, value) for a collector's well-formed answer, else why it does not count and
        the Retry-After to honour; raises for answers no retry will change (401, 413, 4xx)."""
        status = response.status_code
        if status in (401, 403):
            raise AuthError(
                f"the collector refused the token (HTTP {status}): check "
                "--token-file, KIOSK_TOKEN or [sync] token in the kiosk config"
            )
        if status == 413:
            raise PayloadTooLarge("the batch is larger than the collector accepts")
        if status in RETRY_STATUSES or 500 <= status <= 599:
            retry_after = _retry_after(response.headers.get("Retry-After"))
            return False, None, f"the collector answered HTTP {status}", retry_after
        if response.headers.get(SYNC_HEADER) != SYNC_HEADER_VALUE:
            return (
                False,
                None,
                f"the endpoint answered HTTP {status} but not as a Borgerkiosk "
                "collector (a captive portal or proxy page?)",
                None,
            )
        if status != 200:
            raise RefusedError(
                f"the collector refused the request: HTTP {status} {_detail(response)}", status
            )
        try:
            payload = response.json()
        except ValueError:
            return False, None, "the collector's answer was cut off or not JSON", None
        try:
            return True, parse(payload), "", None
        except ValueError as exc:
            return False, None, f"the collector's answer was not well-formed ({exc})", None

    def _deadline_message(self) -> str:
        return f"the collector did not finish answering within {self.deadline:g} s"

    def _failure(self, exc: requests.exceptions.RequestException, expired: bool) -> str:
        """Why an attempt failed, for a retry; raises for what no retry can fix."""
        if expired:  # the watchdog cut the connection: that, not the symptom, is the reason
            return self._deadline_message()
        if isinstance(exc, requests.exceptions.SSLError):
            raise SyncSetupError(_tls_message(exc, self._short(exc))) from None
        if isinstance(
            exc,
            requests.exceptions.InvalidURL
            | requests.exceptions.MissingSchema
            | requests.exceptions.InvalidSchema,
        ):
            raise SyncSetupError(
                f"the endpoint {self.endpoint!r} is not a usable URL: {self._short(exc)}"
            ) from None
        if isinstance(exc, requests.exceptions.Timeout):
            return "the collector did not answer in time"
        if isinstance(exc, requests.exceptions.ConnectionError):
            return f"could not reach the collector ({self._short(exc)})"
        return f"the request failed ({self._short(exc)})"

    # --- requests -----------------------------------------------------------------------

    def submit(
        self, kiosk_id: str, records: Sequence[dict[str, Any]], store_id: str | None = None
    ) -> list[RecordResult]:
        """Send one batch; returns a result per record, in the order sent.

        Warnings in the collector's reply (two data directories under one kiosk id) are
        collected in :attr:`warnings`, each once.
        """
        body: dict[str, Any] = {"kiosk_id": kiosk_id, "records": list(records)}
        if store_id is not None:
            body["store_id"] = store_id
        sent_ids = [r["id"] for r in records]
        return self._with_retries(
            "POST",
            SUBMISSIONS_PATH,
            json=body,
            parse=lambda payload: self._note_warnings(_parse_results(payload, sent_ids), payload),
        )

    def _note_warnings(self, results: list[RecordResult], payload: Any) -> list[RecordResult]:
        for warning in payload.get("warnings") or []:
            if isinstance(warning, str) and warning not in self.warnings:
                self.warnings.append(clean_text(warning, 500))  # shown on a terminal
        return results

    def put_definition(self, digest: str, definition: dict[str, Any]) -> str:
        """Send one survey definition under its hash; ``accepted`` or ``duplicate``.

        Raises :class:`RefusedError` (its ``status`` 404/405: an older collector without
        the route; 409: another definition is kept under this hash; 422: refused) and
        :class:`PayloadTooLarge` besides the errors every request may raise.
        """
        path = SURVEY_PATH.format(survey_hash=requests.utils.quote(digest, safe=""))
        return self._with_retries("PUT", path, json=definition, parse=_parse_definition)

    def digest(self, kiosk_id: str) -> dict[str, Any]:
        """The collector's count and id digest for one kiosk."""
        path = DIGEST_PATH.format(kiosk_id=requests.utils.quote(kiosk_id, safe=""))
        return self._with_retries("GET", path, parse=_parse_digest)

    def send_status(self, status: dict[str, Any]) -> str:
        """Send the kiosk's status message once: ``sent``, ``unsupported`` or ``failed``.

        Best effort and never raises: a status is sent again after the next round, so it is
        not retried, and a collector from before status messages (404/405) is no error.
        """
        if self._endpoint_problem or self._token_problem:
            return "failed"
        expired = threading.Event()
        try:
            with self._adapter.deadline(self.deadline) as expired:
                response = self._session.post(
                    self.endpoint + STATUS_PATH,
                    json=status,
                    headers={"Authorization": f"Bearer {self._token}"},
                    timeout=self.timeout,
                    verify=self._verify,
                    allow_redirects=False,
                )
        except requests.exceptions.RequestException as exc:
            log.debug("status not sent: %s", self._short(exc))
            return "failed"
        try:
            marked = response.headers.get(SYNC_HEADER) == SYNC_HEADER_VALUE
            if expired.is_set() or not marked:
                log.debug("status not sent: no collector's answer")
                return "failed"
            if response.status_code in (404, 405):
                return "unsupported"
            if response.status_code != 200:
                log.debug("status not taken: HTTP %d %s", response.status_code, _detail(response))
                return "failed"
            return "sent"
        finally:
            response.close()

    def health(self) -> bool:
        """True when a real collector answers at the endpoint."""
        try:
            self._with_retries("GET", HEALTH_PATH, parse=_parse_health, auth=False)
        except SyncError:
            return False
        return True

    def _with_retries(
        self,
        method: str,
        path: str,
        *,
        parse: Callable[[Any], Any],
        json: Any = None,
        auth: bool = True,
    ) -> Any:
        url = self.endpoint + path
        if self._endpoint_problem:
            raise SyncSetupError(self._endpoint_problem)
        if auth and self._token_problem:
            raise SyncSetupError(f"cannot use the token: {self._token_problem}")
        headers = {"Authorization": f"Bearer {self._token}"} if auth else {}
        last = "no attempt made"
        for attempt in range(1, self.retry.max_attempts + 1):
            retry_after: float | None = None
            expired = threading.Event()
            try:
                with self._adapter.deadline(self.deadline) as expired:
                    response = self._session.request(
                        method,
                        url,
                        json=json,
                        headers=headers,
                        timeout=self.timeout,
                        verify=self._verify,
                        # a captive portal's redirect is not a receipt, and following it
                        # would turn the POST into a GET of some other page
                        allow_redirects=False,
                    )
            except requests.exceptions.RequestException as exc:
                last = self._failure(exc, expired.is_set())
            else:
                try:
                    if expired.is_set():  # cut off at the deadline: what arrived is partial
                        last = self._deadline_message()
                    else:
                        done, value, last, retry_after = self._read(response, parse)
                        if done:
                            return value
                finally:
                    response.close()
            if attempt < self.retry.max_attempts:
                wait = self.retry.delay(attempt, retry_after)
                # said without --verbose too: a long wait must say what it is waiting for
                log.warning(
                    "waiting for the collector (%s %s): %s; trying again in %.1f s "
                    "(attempt %d of %d)",
                    method,
                    path,
                    last,
                    wait,
                    attempt + 1,
                    self.retry.max_attempts,
                )
                self._sleep(wait)
        raise TransientError(f"{last} (gave up after {self.retry.max_attempts} attempts)")


def _parse_results(payload: Any, sent_ids: Sequence[str]) -> list[RecordResult]:
    """Exactly one well-formed result per sent id, or ValueError (then nothing counts)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise ValueError("no results list")
    results: dict[str, RecordResult] = {}
    for item in payload["results"]:
        if not isinstance(item, dict):
            raise ValueError("a result is not an object")
        rid, status, error = item.get("id"), item.get("status"), item.get("error")
        if not isinstance(rid, str) or status not in RESULT_STATUSES:
            raise ValueError("a result has no id or an unknown status")
        if error is not None and not isinstance(error, str):
            raise ValueError("a result's error is not text")
        results[rid] = RecordResult(rid, status, error)
    expected = set(sent_ids)
    if set(results) != expected or len(payload["results"]) != len(sent_ids):
        raise ValueError(f"{len(payload['results'])} results for {len(sent_ids)} records sent")
    return [results[rid] for rid in sent_ids]


def _parse_definition(payload: Any) -> str:
    if not isinstance(payload, dict) or payload.get("status") not in ("accepted", "duplicate"):
        raise ValueError("no accepted or duplicate status")
    return str(payload["status"])


def _parse_digest(payload: Any) -> dict[str, Any]:
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("count"), int)
        or not isinstance(payload.get("sha256"), str)
    ):
        raise ValueError("no count and sha256")
    return payload


def _parse_health(payload: Any) -> bool:
    if not isinstance(payload, dict) or payload.get("status") != "ok":
        raise ValueError("status is not ok")
    return True


def _retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header, in either form (RFC 9110): seconds or an HTTP date.

    None (plain backoff) when the header is missing or unreadable.
    """
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" and obsolete forms: HTTP dates are always GMT
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def _detail(response: requests.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return ""
    return str(detail)[:200] if detail else ""


#: OpenSSL's words when the other end answered in plain text, not TLS.
_NOT_TLS_MARKERS = ("WRONG_VERSION_NUMBER", "wrong version number", "record layer failure",
                    "packet length too long", "http request")  # fmt: skip


def _tls_message(exc: BaseException, short: str) -> str:
    """What a TLS failure most likely means, and what to do about it."""
    if any(marker in str(exc) for marker in _NOT_TLS_MARKERS):
        return (
            "the endpoint does not speak TLS: is the collector serving plain http on that port? "
            "Start it with --ssl-certfile/--ssl-keyfile or put it behind an https proxy "
            "(docs/sync-protocol.md, TLS)"
        )
    return (
        f"the collector's TLS certificate could not be verified ({short}); "
        "for a municipal CA give --ca-bundle FILE"
    )


def _short(exc: BaseException, limit: int = 160) -> str:
    """A short reason for a requests error (see :meth:`SyncClient._short` for the token).

    Cut at a word boundary with an ellipsis, never mid-word.
    """
    text = str(exc)
    for marker in ("Connection refused", "Connection reset", "Name or service not known",
                   "timed out", "certificate verify failed"):  # fmt: skip
        if marker in text:
            return marker.lower()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:([")
    return cut + " …"


def redact(text: str, secret: str) -> str:
    """``text`` with every occurrence of ``secret`` (a token) replaced by ``***``."""
    return text.replace(secret, "***") if secret else text
