"""Security headers on every answer of the collector (pure ASGI, like ``limits.py``).

The Content-Security-Policy allows scripts, styles and images from the collector itself
only, never inline: even if a visitor's text got into a page unescaped, it could not run.
FastAPI's own API pages (/docs, /redoc) load their viewer from elsewhere and are left
without the policy; they show no visitor text.
"""

from __future__ import annotations

from kiosk.collector.limits import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
_WITHOUT_CSP = ("/docs", "/redoc")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(HEADERS)
        if not str(scope.get("path", "")).startswith(_WITHOUT_CSP):
            extra.append((b"content-security-policy", CSP.encode()))
        names = {name for name, _ in extra}

        async def headed(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message["headers"] = kept + extra
            await send(message)

        await self.app(scope, receive, headed)
