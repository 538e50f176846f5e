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


class BodyLimitMiddleware:
    """Answers 413 to a request whose body is larger than ``max_body`` bytes."""

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
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away mid-body: nothing to store, nobody to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await self._too_large(send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

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
