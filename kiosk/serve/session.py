"""One tablet's kiosk session: the process ``kiosk serve`` starts for each browser connection.

    python -m kiosk.serve.session --data DIR --kiosk NAME [--config FILE] [SURVEY...]

textual-serve runs it with Textual's web driver (the page draws it with xterm.js). It is the
visitor's kiosk in touch mode under the tablet's kiosk id, without background sync (the
server runs the one sync of the data directory). When the browser goes away (lost Wi-Fi, a
reload, a closed tab) textual-serve asks the app to quit: a visit under way is saved as
partial, as when a visitor walks away, and the process ends. If the server itself is gone,
the session notices within a second and ends the same way: no session lingers.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from textual import messages

from kiosk.app.app import KioskApp
from kiosk.config import SyncConfig

#: How often a session checks that ``kiosk serve`` (its parent) is still there.
PARENT_CHECK_SECONDS = 1.0


class ServedKioskApp(KioskApp):
    """The kiosk in a tablet's browser: a lost connection counts as a visitor walking away."""

    #: The organiser screen says sync is kiosk serve's, for every tablet at once.
    synced_by_server = True

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._server_pid = os.getppid()
        self._unfinished_saved = False

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(PARENT_CHECK_SECONDS, self._check_parent)

    def _check_parent(self) -> None:
        if os.getppid() != self._server_pid:  # kiosk serve died: nobody will ever draw this
            self.post_message(messages.ExitApp())

    def save_unfinished_visit(self) -> bool:
        """Save what the visitor answered so far as a partial record; True if one was saved.

        Only once per session, and never a finished visit again (the thank-you screen has
        replaced the visit's screen by then). Contact details are never kept, as for a
        visitor who walks away.
        """
        if self._unfinished_saved or self._warm is None:
            return False
        visit = self._visit_screen()
        if visit is None or not visit.flow.worth_saving():
            return False
        self._unfinished_saved = True
        index = self.surveys.index(visit.survey)
        record = self.saver.build(
            visit.flow, visit.survey, self.hashes[index], self.lang, completed=False
        )
        return self.saver.save(record).ok

    async def _on_exit_app(self) -> None:
        """The browser went away (textual-serve's quit) or the process is told to stop."""
        try:
            self.save_unfinished_visit()
        finally:
            await super()._on_exit_app()


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m kiosk.serve.session")
    parser.add_argument("surveys", nargs="*", type=Path)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--kiosk", required=True)
    parser.add_argument("--config", type=Path)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run one tablet's session; the exit code says whether it started."""
    from kiosk.app.launch import LaunchError, build_app, surveys_for_run
    from kiosk.app.supervise import describe_exception, log, open_log
    from kiosk.config import ConfigError, KioskConfig, load_config
    from kiosk.paths import DEFAULT_SURVEY
    from kiosk.serve.access import tablet_name_problem

    args = _arguments(argv)
    problem = tablet_name_problem(args.kiosk)
    if problem:
        print(f"Error: --kiosk: {problem}", file=sys.stderr)
        return 2
    try:
        config = load_config(args.config) if args.config else KioskConfig()
    except ConfigError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    config = config.with_overrides(
        kiosk_id=args.kiosk,
        touch=True,
        surveys=tuple(args.surveys) or None,
        data=args.data,
        sync=SyncConfig(),  # one sync for the directory, run by kiosk serve
    )
    try:
        surveys = surveys_for_run(list(config.surveys) or [DEFAULT_SURVEY], args.data)
        app = build_app(config, surveys, args.data, open_store_later=True, app_class=ServedKioskApp)
        open_log(args.data)
    except (LaunchError, OSError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    # From here on nothing goes to stderr, which textual-serve copies to the server's
    # output: a crash's traceback could show what a visitor typed. Why it ended is logged.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        app.run()
    finally:
        app.close_store()
    exc = getattr(app, "_exception", None)
    if exc is not None:
        log.error("a tablet session (%s) ended on %s", args.kiosk, describe_exception(exc))
        return 70
    return 0


if __name__ == "__main__":
    sys.exit(main())
