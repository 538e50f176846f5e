"""The web server of ``kiosk serve``: textual-serve's, with an access key and tablet names.

textual-serve (from the Textual authors) starts one process per browser connection and
relays the terminal to xterm.js in the page. This subclass changes what a browser can ask
for: every page and websocket needs the access key (compared in constant time); the
session's process is started from a fixed argument list (never a shell) whose only
address-given value is the tablet's checked name; there is no download route and no file
listing; a session that does not end when asked is killed, and every session is stopped
when the server stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import jinja2
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from kiosk.i18n import Translator
from kiosk.serve.access import font_size, key_matches, size_name, tablet_name_problem

log = logging.getLogger("kiosk.serve")

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: Seconds a session has to save an unfinished visit and end after the browser went away.
QUIT_GRACE_SECONDS = 5.0
#: Sessions at once: a flood of connections must not take the laptop's memory.
MAX_SESSIONS = 40
#: Sent with every page: the key is in the address, so it must not leave in a Referer.
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' "
        "'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
}


def session_command(
    data_dir: Path, config_path: Path | None, surveys: list[Path], kiosk: str
) -> list[str]:
    """The argument list of one tablet's session process (run without a shell)."""
    argv = [sys.executable, "-m", "kiosk.serve.session", "--data", str(data_dir)]
    if config_path is not None:
        argv += ["--config", str(config_path)]
    argv.append(f"--kiosk={kiosk}")  # one argument: a name cannot become an option
    argv += ["--", *(str(s) for s in surveys)]
    return argv


def same_origin(request: web.Request) -> bool:
    """Whether a websocket comes from our own page (a browser always sends Origin)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser; it still needs the key
    return urlsplit(origin).netloc == request.host


class KioskSession(AppService):
    """One tablet's session process, started from an argument list, killed if it hangs."""

    def __init__(self, argv: list[str], **kwargs: Any) -> None:
        super().__init__(argv[0], **kwargs)
        self.argv = argv

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
        environment = self._build_environment(width=width, height=height)
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def stop(self) -> None:
        """Ask the session to quit (it saves a visit under way), kill it if it does not."""
        task, process = self._task, self._process
        if task is None or process is None:
            return
        self._task = None
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.send_meta({"type": "quit"}), 1.0)
        try:
            await asyncio.wait_for(process.wait(), QUIT_GRACE_SECONDS)
        except TimeoutError:
            log.warning("a tablet session did not end when asked; killing it")
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 2.0)


class KioskServer(Server):
    """Serves the kiosk to tablets that know the access key."""

    def __init__(
        self,
        *,
        key: str,
        data_dir: Path,
        config_path: Path | None,
        surveys: list[Path],
        host: str,
        port: int,
        lang: str = "da",
    ) -> None:
        super().__init__("kiosk", host=host, port=port, title="Borgerkiosk")
        self.key = key
        self.data_dir = data_dir
        self.config_path = config_path
        self.surveys = surveys
        self.t = Translator(lang)
        self.lang = lang
        self.sessions: set[KioskSession] = set()
        self.pages = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, enable_async=False
        )

    # -- the server ---------------------------------------------------------------------
    def initialize_logging(self) -> None:
        """Plain one-line warnings: no tracebacks with local values (visitor input)."""
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        for name in ("aiohttp.access", "textual-serve"):
            logging.getLogger(name).setLevel(logging.CRITICAL)

    async def _make_app(self) -> web.Application:
        app = web.Application()
        app.add_routes(
            [
                web.get("/", self.handle_index, name="index"),
                web.get("/ws/{key}/{kiosk}", self.handle_websocket, name="websocket"),
                web.static("/static", self.statics_path, show_index=False, name="static"),
            ]
        )
        app.on_shutdown.append(self.on_shutdown)
        return app

    def serve(self, debug: bool = False) -> None:
        """Serve until SIGINT or SIGTERM; every session is stopped before it returns."""
        import signal

        self.initialize_logging()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.request_exit)
        web.run_app(
            self._make_app(),
            host=self.host,
            port=self.port,
            handle_signals=False,
            loop=loop,
            access_log=None,
            print=lambda *args: None,
        )

    async def on_shutdown(self, app: web.Application) -> None:
        await asyncio.gather(*(s.stop() for s in list(self.sessions)), return_exceptions=True)

    # -- pages --------------------------------------------------------------------------
    def _page(self, template: str, status: int = 200, **values: Any) -> web.Response:
        html = self.pages.get_template(template).render(t=self.t, lang=self.lang, **values)
        return web.Response(
            text=html, status=status, content_type="text/html", headers=dict(_HEADERS)
        )

    async def handle_index(self, request: web.Request) -> web.Response:
        """The tablet's page: the kiosk, or the organiser's form naming the tablet."""
        if not key_matches(request.query.get("key"), self.key):
            return self._page("message.html", 403, message=self.t("serve.refused"))
        size = size_name(request.query.get("size"))
        kiosk = request.query.get("kiosk")
        if kiosk is None or kiosk == "":
            return self._page("name.html", key=self.key, size=size, problem=kiosk == "")
        if tablet_name_problem(kiosk):
            return self._page("name.html", 400, key=self.key, size=size, problem=True)
        scheme = "wss" if request.secure else "ws"
        socket_url = f"{scheme}://{request.host}/ws/{self.key}/{quote(kiosk, safe='')}"
        return self._page(
            "kiosk.html",
            kiosk=kiosk,
            font_size=font_size(size),
            websocket_url=socket_url,
            static_url="/static/",
            named_url="/?" + urlencode({"key": self.key, "kiosk": kiosk, "size": size}),
        )

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        """One browser connection: one session process for as long as it lasts."""
        if not key_matches(request.match_info.get("key"), self.key):
            raise web.HTTPForbidden()
        kiosk = request.match_info.get("kiosk", "")
        if tablet_name_problem(kiosk):
            raise web.HTTPBadRequest()
        if not same_origin(request):  # another site's page must not drive a kiosk
            raise web.HTTPForbidden()
        if len(self.sessions) >= MAX_SESSIONS:
            raise web.HTTPServiceUnavailable()
        websocket = web.WebSocketResponse(heartbeat=10)
        width = min(max(to_int(request.query.get("width", "80"), 80), 20), 500)
        height = min(max(to_int(request.query.get("height", "24"), 24), 10), 300)
        session: KioskSession | None = None
        try:
            await websocket.prepare(request)
            session = KioskSession(
                session_command(self.data_dir, self.config_path, self.surveys, kiosk),
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,
                download_manager=self.download_manager,
            )
            self.sessions.add(session)
            await session.start(width, height)
            await self._process_messages(websocket, session)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await websocket.close()
        except Exception as exc:  # a broken message: end this tablet's session only
            log.warning("a tablet session ended on %s", type(exc).__name__)
        finally:
            if session is not None:
                await asyncio.shield(session.stop())
                self.sessions.discard(session)
        return websocket
