"""Running the collector: uvicorn serving :func:`kiosk.collector.app.create_app`."""

from __future__ import annotations

import logging
from pathlib import Path

from kiosk.collector.app import DEFAULT_MAX_BODY, DEFAULT_MAX_CONCURRENT, create_app
from kiosk.collector.ideas import Status
from kiosk.collector.storage import CollectorStorage


def serve(
    db: Path,
    token: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    max_body: int = DEFAULT_MAX_BODY,
    max_concurrent: int = DEFAULT_MAX_CONCURRENT,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
    public_url: str | None = None,
    idea_statuses: list[Status] | None = None,
    quiet_after_s: float | None = None,
) -> None:
    """Serve until interrupted. Access logs show paths and kiosk ids, never record contents."""
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    storage = CollectorStorage(db)
    app = create_app(
        storage,
        token,
        max_body=max_body,
        max_concurrent=max_concurrent,
        public_url=public_url,
        idea_statuses=idea_statuses,
        quiet_after_s=quiet_after_s,
    )
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="info",
            ssl_certfile=ssl_certfile,
            ssl_keyfile=ssl_keyfile,
            timeout_graceful_shutdown=5,
        )
    finally:
        storage.close()
