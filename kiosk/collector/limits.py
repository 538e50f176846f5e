"""ASGI middleware of the collector: a body-size limit and the collector's marker header.

Pure ASGI (not Starlette's BaseHTTPMiddleware) so a too-large body is refused
while it arrives, before it is all held in memory.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from kiosk.sync.protocol import SYNC_HEADER, SYNC_HEADER_VALUE

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _BodyTooLarge(Exception):
    """Raised from ``receive`` when the body passes the limit; answered with 413."""


class BodyLimitMiddleware:
    """Answers 413 to a request whose body is larger than ``max_body`` bytes.

    Nothing is read ahead: a declared length over the limit is refused at once, and a body
    is counted as the application reads it, so an endpoint that refuses first (a missing
    token) never has the body read at all.
    """

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_body:
                    await self._too_large(send)
                    return
        size = 0
        started = False

        async def counted() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > self.max_body:
                    raise _BodyTooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _BodyTooLarge:
            if not started:
                await self._too_large(send)

    async def _too_large(self, send: Send) -> None:
        payload = json.dumps(
            {"detail": f"body larger than {self.max_body} bytes: send fewer records a request"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                    (SYNC_HEADER.lower().encode(), SYNC_HEADER_VALUE.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


class SyncHeaderMiddleware:
    """Marks every answer as the collector's, so a client can tell it from a captive portal."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        name = SYNC_HEADER.lower().encode()

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                # exactly once: an inner answer (the 413) may carry it already, and a
                # repeated header reads as "1, 1", which a client rightly does not trust
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != name]
                headers.append((name, SYNC_HEADER_VALUE.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, marked)
