"""Running the collector: uvicorn serving :func:`kiosk.collector.app.create_app`.

With PostgreSQL it can run several worker processes (``--workers``): each opens its own
connection pool from the settings the parent puts in the environment (uvicorn starts workers
from an import string, not from an app object). SQLite keeps one process: one writer.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from kiosk.collector.app import DEFAULT_MAX_BODY, DEFAULT_MAX_CONCURRENT, create_app
from kiosk.collector.database import is_postgres_url
from kiosk.collector.ideas import Status
from kiosk.collector.storage import CollectorStorage

#: The settings a worker process builds its app from (JSON; set by :func:`serve`).
_WORKER_ENV = "KIOSK_COLLECTOR_WORKER_SETTINGS"


def sqlite_workers_problem(db: str | os.PathLike[str], workers: int) -> str | None:
    """Why ``workers`` processes cannot serve ``db``, or None."""
    if workers > 1 and not is_postgres_url(db):
        return (
            f"--workers {workers} needs PostgreSQL (--db postgresql://...): a SQLite file has "
            "one writer, so more worker processes would only wait for each other; "
            "use --workers 1 with SQLite"
        )
    return None


def worker_app() -> Any:
    """The app in one worker process (uvicorn's factory), from the parent's settings."""
    settings = json.loads(os.environ[_WORKER_ENV])
    storage = CollectorStorage(
        settings["db"], migrate=False, pool_size=settings["max_concurrent"] + 4
    )
    statuses = settings["idea_statuses"]
    app = create_app(
        storage,
        settings["token"],
        max_body=settings["max_body"],
        max_concurrent=settings["max_concurrent"],
        public_url=settings["public_url"],
        idea_statuses=None if statuses is None else [Status(**s) for s in statuses],
        quiet_after_s=settings["quiet_after_s"],
    )
    app.router.on_shutdown.append(storage.close)
    # uvicorn configured this worker's loggers before calling the factory
    logging.getLogger("uvicorn.access").addFilter(PathOnlyFilter())
    return app


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
    db: str | os.PathLike[str],
    token: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    max_body: int = DEFAULT_MAX_BODY,
    max_concurrent: int = DEFAULT_MAX_CONCURRENT,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
    workers: int = 1,
    public_url: str | None = None,
    idea_statuses: list[Status] | None = None,
    quiet_after_s: float | None = None,
) -> None:
    """Serve until interrupted. Access logs show paths and kiosk ids, never record contents,
    query strings (an organiser's search) or follow-up codes.

    The schema is brought up to date first (once, here, before any worker starts).
    """
    import uvicorn

    problem = sqlite_workers_problem(db, workers)
    if problem:
        raise ValueError(problem)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    storage = CollectorStorage(db, pool_size=max_concurrent + 4)
    common: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "info",
        "ssl_certfile": ssl_certfile,
        "ssl_keyfile": ssl_keyfile,
        "timeout_graceful_shutdown": 5,
    }
    web = {"public_url": public_url, "quiet_after_s": quiet_after_s}
    if workers > 1:
        storage.close()
        os.environ[_WORKER_ENV] = json.dumps(
            {
                "db": str(db),
                "token": token,
                "max_body": max_body,
                "max_concurrent": max_concurrent,
                "idea_statuses": None
                if idea_statuses is None
                else [{"id": s.id, "labels": s.labels} for s in idea_statuses],
                **web,
            }
        )
        uvicorn.run("kiosk.collector.server:worker_app", factory=True, workers=workers, **common)
        return
    app = create_app(
        storage,
        token,
        max_body=max_body,
        max_concurrent=max_concurrent,
        idea_statuses=idea_statuses,
        **web,
    )
    try:
        config = uvicorn.Config(app, **common)  # configures uvicorn's loggers: filter after
        logging.getLogger("uvicorn.access").addFilter(PathOnlyFilter())
        server = uvicorn.Server(config)
        server.run()
        if not server.started:  # as uvicorn.run does: a port in use is a failed start
            raise SystemExit(3)
    finally:
        storage.close()
