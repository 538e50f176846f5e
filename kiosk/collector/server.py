"""Running the collector: uvicorn serving :func:`kiosk.collector.app.create_app`."""

from __future__ import annotations

import logging
from pathlib import Path

from kiosk.collector.app import DEFAULT_MAX_BODY, DEFAULT_MAX_CONCURRENT, create_app
from kiosk.collector.ideas import Status
from kiosk.collector.storage import CollectorStorage


class PathOnlyFilter(logging.Filter):
    """Access log lines with the path alone: no query string (a search may hold a name) and
    no follow-up code (``/f/{ref}``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            path = args[2].split("?", 1)[0]
            if path.startswith("/f/"):
                path = "/f/{ref}"
            record.args = (args[0], args[1], path, args[3], args[4])
        return True


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
    """Serve until interrupted. Access logs show paths and kiosk ids, never record contents,
    query strings (an organiser's search) or follow-up codes."""
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
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="info",
            ssl_certfile=ssl_certfile,
            ssl_keyfile=ssl_keyfile,
            timeout_graceful_shutdown=5,
        )  # configures uvicorn's loggers: the filter goes on after
        logging.getLogger("uvicorn.access").addFilter(PathOnlyFilter())
        server = uvicorn.Server(config)
        server.run()
        if not server.started:  # as uvicorn.run does: a port in use is a failed start
            raise SystemExit(3)
    finally:
        storage.close()
