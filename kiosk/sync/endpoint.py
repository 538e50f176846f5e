"""Is a collector endpoint safe to send the kiosk token to? (docs/sync-protocol.md, "TLS")

The bearer token is shared by every kiosk of an event: sent over plain HTTP beyond this
machine, anyone on the venue's Wi-Fi can read it and submit as a kiosk. So ``http://`` is
only for loopback unless the organiser says otherwise, and credentials in the URL (which
requests would send instead of our token) are refused outright.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

INSECURE_HTTP_HINT = "--insecure-http (or insecure_http = true in the config's [sync] table)"


def is_loopback(host: str) -> bool:
    """True for localhost and the loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def endpoint_problem(url: str, *, allow_plain_http: bool = False) -> str | None:
    """Why the token must not be sent to ``url``, or None; the message says what to do."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError as exc:
        return f"the endpoint {url!r} is not a usable URL ({exc})"
    if parts.scheme not in ("http", "https") or not host:
        return f"the endpoint {url!r} is not a usable URL; write it as https://host[:port]"
    if parts.username is not None or parts.password is not None:
        return (
            "the endpoint holds a user name or password (user:pass@host); remove it: "
            "the collector takes only the token, from --token-file or KIOSK_TOKEN"
        )
    if parts.scheme == "http" and not allow_plain_http and not is_loopback(host):
        return (
            f"the token would travel unencrypted over http:// to {host}; use https:// "
            f"(see docs/sync-protocol.md, TLS), or on a network you trust pass {INSECURE_HTTP_HINT}"
        )
    return None


def is_plain_http_beyond_loopback(url: str) -> bool:
    """True when ``url`` sends the token in the clear to another machine (to warn about it)."""
    parts = urlsplit(url.strip())
    return parts.scheme == "http" and not is_loopback(parts.hostname or "")
