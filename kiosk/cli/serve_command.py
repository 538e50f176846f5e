"""``kiosk serve``: the kiosk for tablets' browsers, from one laptop (kiosk/serve/)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import click

from kiosk.cli.errors import EXIT_FAILED, EXIT_PROBLEM, fail
from kiosk.cli.options import data_option


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this laptop only (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: it may resolve to the venue's network


def _venue_addresses() -> list[str]:
    """This laptop's IPv4 addresses other than loopback, as far as its name resolves."""
    found: list[str] = []
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        infos = []
    for info in infos:
        address = str(info[4][0])
        if not address.startswith("127.") and address not in found:
            found.append(address)
    return found


@click.command()
@click.argument("survey_files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@data_option
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Kiosk configuration file (TOML), see `kiosk init`; its kiosk_id is not used.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 0.0.0.0 for the venue's network (tablets).",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on.",
)
def serve(
    survey_files: tuple[Path, ...],
    data_dir: Path,
    config_path: Path | None,
    host: str,
    port: int,
) -> None:
    """Serve the kiosk to tablets' browsers: one kiosk session per tablet, in touch mode.

    Every tablet saves into the one data directory under its own kiosk id, from its
    address (?kiosk=stand-2) or named on the tablet at first use. Each address needs the
    access key printed at start (a new one each start). Background sync (from the config)
    runs once here for the whole directory. ?size=large gives large text.

    \b
    Examples:
        kiosk serve --data /media/usb/kiosk-data
        kiosk serve --config kiosk.toml --host 0.0.0.0 --port 8000
    """
    from kiosk.app.launch import LaunchError, check_language, surveys_for_run
    from kiosk.app.sync_bridge import SyncBridge
    from kiosk.cli.listen import listen_problem
    from kiosk.config import ConfigError, KioskConfig, load_config
    from kiosk.paths import DEFAULT_SURVEY
    from kiosk.serve.access import new_access_key
    from kiosk.serve.server import KioskServer

    try:
        config = load_config(config_path) if config_path else KioskConfig()
    except ConfigError as exc:
        fail(str(exc), EXIT_PROBLEM)
    surveys = list(survey_files) or list(config.surveys) or [DEFAULT_SURVEY]
    surveys = [s.resolve() for s in surveys]
    directory = data_dir.resolve()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        checked = surveys_for_run(surveys, directory)  # validated once, previews for sessions
        check_language(config.lang, checked[0])
    except LaunchError as exc:
        fail(str(exc), EXIT_PROBLEM)
    except OSError as exc:
        fail(f"cannot use the data directory {directory}: {exc.strerror}", EXIT_PROBLEM)
    problem = listen_problem(host, port)  # a clear message before any session
    if problem is not None:
        fail(f"cannot listen on {host}:{port}: {problem}", EXIT_FAILED)

    key = new_access_key()
    lang = config.lang or "da"
    if not is_loopback(host):
        click.echo(
            f"warning: listening on {host}: every device on this network can reach the "
            "kiosk pages; only addresses with the access key open a kiosk. Use a network "
            "of your own (the laptop's hotspot) where you can, see docs/tablets.md.",
            err=True,
        )
        shown = _venue_addresses() if host in ("0.0.0.0", "::") else [host]
    else:
        shown = [host]
    shown = shown or ["<this laptop's address>"]
    click.echo(f"Serving the kiosk on {host}:{port}; data in {directory}")
    click.echo("Open on each tablet (change the name after kiosk=; size=large for large text):")
    for address in shown:
        click.echo(f"  http://{address}:{port}/?key={key}&kiosk=stand-1")
    click.echo(f"Without kiosk= the tablet asks for its name. Access key: {key}")
    click.echo("Press ctrl+c to stop (every tablet's visit under way is saved as partial).")
    sys.stdout.flush()

    sync = None
    if config.sync.endpoint:
        from kiosk.app.launch import open_store

        try:
            store = open_store(directory)
        except OSError as exc:
            fail(f"cannot open the store in {directory}: {exc}", EXIT_PROBLEM)
        sync = SyncBridge(config.sync, store)
        if not sync.start():
            click.echo(f"warning: background sync did not start: {sync.error}", err=True)
    server = KioskServer(
        key=key,
        data_dir=directory,
        config_path=config_path.resolve() if config_path else None,
        surveys=surveys,
        host=host,
        port=port,
        lang=lang,
    )
    try:
        server.serve()
    finally:
        if sync is not None:
            sync.stop()
            sync.store.close()
    click.echo("Stopped.")
