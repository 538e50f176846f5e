"""``kiosk run``, ``kiosk init`` and ``kiosk simulate``: the kiosk app's commands.

Only click and the standard library at import: the app (and Textual) are imported
inside the commands, so ``kiosk --help`` stays fast and the cold start pays only once.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from kiosk.app.launch import (
    LaunchError,
    build_app,
    check_language,
    load_surveys,
    surveys_for_run,
)
from kiosk.cli.errors import EXIT_PROBLEM, fail
from kiosk.cli.options import data_option
from kiosk.config import (
    PIN_ENV,
    THEMES,
    ConfigError,
    KioskConfig,
    dump_config,
    hash_pin,
    load_config,
    new_kiosk_id,
    write_config,
)
from kiosk.paths import DEFAULT_SURVEY, bundled_name, resolve_data_dir, survey_file
from kiosk.records import REHEARSAL_PREFIX

#: ``kiosk init``'s data directory, beside the config file unless told otherwise.
DEFAULT_DATA = "kiosk-data"


@contextlib.contextmanager
def launching() -> Iterator[None]:
    """Report a :class:`LaunchError` as the command's one-line error (exit 1)."""
    try:
        yield
    except LaunchError as exc:
        fail(str(exc), EXIT_PROBLEM)


def _config(path: str | None) -> KioskConfig:
    if not path:
        return KioskConfig()
    try:
        return load_config(path)
    except ConfigError as exc:
        fail(str(exc), EXIT_PROBLEM)


def _checked_kiosk_id(value: str | None) -> str | None:
    """The same kiosk id rule as the collector's: an id it refuses would never sync."""
    from kiosk.ids import kiosk_id_problem

    problem = kiosk_id_problem(value) if value is not None else None
    if problem:
        raise click.BadParameter(problem, param_hint="'--kiosk-id'")
    return value


def rehearsal_kiosk_id(given: str | None) -> str:
    """The kiosk id of simulated records: always recognisable as a rehearsal's."""
    if given is None:
        return REHEARSAL_PREFIX + new_kiosk_id().removeprefix("kiosk-")
    return given if given.startswith(REHEARSAL_PREFIX) else REHEARSAL_PREFIX + given


def _event_kiosks(data_dir: Path) -> list[str]:
    """The kiosk ids of records in ``data_dir`` that are not a rehearsal's (read-only)."""
    from kiosk.store import RecordStore, StoreError

    if not (data_dir / "store").is_dir():
        return []
    try:
        with RecordStore(data_dir, read_only=True) as store:
            kiosk_ids = {str(r.get("kiosk_id")) for r in store.records()}
    except StoreError:
        return []  # opening it to save says what is wrong
    return sorted(k for k in kiosk_ids if not k.startswith(REHEARSAL_PREFIX))


def _data_dir_given(ctx: click.Context) -> bool:
    source = ctx.get_parameter_source("data_dir")
    return source is not None and source.name != "DEFAULT"


def _not_a_folder(path: Path) -> Path | None:
    """The part of ``path`` that exists but is not a folder (the data directory can then
    never be made), or None: a folder not there yet, e.g. on a stick not yet plugged in,
    is fine."""
    for part in (path, *path.parents):
        if part.exists():
            return None if part.is_dir() else part
    return None


def seconds_option(name: str, text: str) -> Any:
    """An option of a number of seconds above 0 (``kiosk run`` and ``kiosk init`` share them)."""
    return click.option(name, type=click.FloatRange(min=0, min_open=True), metavar="S", help=text)


IDLE_TIMEOUT = seconds_option(
    "--idle-timeout", "Seconds without input before 'Are you still there?' (default 90)."
)
IDLE_GRACE = seconds_option(
    "--idle-grace", "Seconds the idle prompt waits before resetting (default 15)."
)
TOUCH = click.option(
    "--touch/--no-touch",
    default=None,
    help="A touch screen without keyboard: on-screen keyboard and keypad, tap wording.",
)


@click.command()
@click.argument("survey_files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@data_option
@click.option(
    "--kiosk-id",
    callback=lambda _ctx, _param, value: _checked_kiosk_id(value),
    help="This kiosk's id in records. Default: made once, kept in DIR.",
)
@click.option("--lang", help="Language the welcome screen starts in (da, en).")
@IDLE_TIMEOUT
@IDLE_GRACE
@click.option("--theme", type=click.Choice(THEMES), help="Colour theme (default: default).")
@TOUCH
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Kiosk configuration file (TOML), see `kiosk init`.",
)
@click.pass_context
def run(
    ctx: click.Context,
    survey_files: tuple[Path, ...],
    data_dir: Path,
    kiosk_id: str | None,
    lang: str | None,
    idle_timeout: float | None,
    idle_grace: float | None,
    theme: str | None,
    touch: bool | None,
    config_path: str | None,
) -> None:
    """Run the visitor kiosk full-screen on SURVEY_FILE(s) (default: the bundled survey).

    \b
    Keys: 1-9 choose, Enter next, Escape back; ctrl+o opens the organiser screen
    (PIN from the config or $KIOSK_ADMIN_PIN; none set = DEMO mode), where q quits.
    Anything else that ends the app starts it again in a few seconds; why is written
    to DIR/kiosk-run.log.

    \b
    Examples:
        kiosk run --config kiosk.toml
        kiosk run surveys/opgaveudvalg-borgermoede.yaml --data /media/usb/kiosk-data
        kiosk run --lang en --theme high-contrast --idle-timeout 60
        kiosk run --config kiosk.toml --touch
    """
    config = _config(config_path).with_overrides(
        kiosk_id=kiosk_id,
        lang=lang,
        idle_timeout=idle_timeout,
        idle_grace=idle_grace,
        theme=theme,
        touch=touch,
        surveys=tuple(survey_files) or None,
        data=data_dir if _data_dir_given(ctx) or not config_path else None,
    )
    directory = config.data or data_dir
    with launching():
        surveys = surveys_for_run(list(config.surveys) or [DEFAULT_SURVEY], directory)
        check_language(config.lang, surveys[0])
        app = build_app(config, surveys, directory, open_store_later=True)
    os.environ.pop("TEXTUAL_ALLOW_SIGNALS", None)  # ctrl+c/ctrl+z/ctrl+\ must stay keys
    sys.exit(_run_supervised(app, directory))


def _run_supervised(app: Any, directory: Path) -> int:
    """Run the app until the organiser quits, starting it again after anything else."""
    from kiosk.app.app import ORGANISER_QUIT
    from kiosk.app.supervise import describe_exception, log, open_log, supervise

    try:
        log_path = open_log(directory)
    except OSError as exc:
        click.echo(f"Error: cannot write the kiosk's log in {directory}: {exc}", err=True)
        return 1

    def run_app() -> bool:
        try:
            app.run()
        finally:
            app.close_store()
        if app.return_value == ORGANISER_QUIT:
            return True
        exc = getattr(app, "_exception", None)  # Textual keeps the first unhandled one
        why = describe_exception(exc) if exc else f"return code {app.return_code}"
        log.error("the app ended without the organiser's Quit: %s", why)
        return False

    return supervise(run_app, log_path=log_path)


def _alias(old: str, dest: str, **kwargs: Any) -> Any:
    """A hidden old spelling of an option, kept working where it was documented."""
    return click.option(old, dest, hidden=True, expose_value=True, **kwargs)


@click.command()
@click.option(
    "--out",
    "-o",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    default="kiosk.toml",
    show_default=True,
    help="Where to write the config file.",
)
@_alias("--output", "output_alias", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--kiosk-id",
    callback=lambda _ctx, _param, value: _checked_kiosk_id(value),
    help="This kiosk's id, e.g. gentofte-stand-1.",
)
@click.option(
    "--survey-file",
    "surveys",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Survey file (repeat for several). Default: the bundled survey.",
)
@_alias("--survey", "surveys_alias", multiple=True, type=click.Path(dir_okay=False))
@click.option(
    "--data",
    "data",
    type=click.Path(file_okay=False),
    help=f"Data directory (default: {DEFAULT_DATA}, beside the config file).",
)
@click.option("--lang", help="Start language (da, en).")
@click.option("--theme", type=click.Choice(THEMES), help="Colour theme.")
@TOUCH
@IDLE_TIMEOUT
@IDLE_GRACE
@seconds_option(
    "--suspect-seconds", "A survey finished faster than this is saved as suspect (default 3)."
)
@seconds_option("--thanks-timeout", "Seconds the thank-you screen stays (default 15).")
@click.option(
    "--pin",
    "pin",
    help=f"Organiser PIN; better left out (it stays in the shell history): you are asked "
    f"for it hidden, or set ${PIN_ENV}. Stored only as a salted hash.",
)
@click.option("--no-pin", is_flag=True, help="No PIN: the kiosk runs in DEMO mode.")
@click.option("--endpoint", "sync_endpoint", help="Collector URL for background sync.")
@_alias("--sync-endpoint", "sync_endpoint_alias")
@click.option("--token-file", "sync_token_file", help="File holding the collector's token.")
@_alias("--sync-token-file", "sync_token_file_alias")
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
def init(
    output: Path,
    output_alias: Path | None,
    kiosk_id: str | None,
    surveys: tuple[str, ...],
    surveys_alias: tuple[str, ...],
    data: str | None,
    lang: str | None,
    theme: str | None,
    touch: bool | None,
    idle_timeout: float | None,
    idle_grace: float | None,
    suspect_seconds: float | None,
    thanks_timeout: float | None,
    pin: str | None,
    no_pin: bool,
    sync_endpoint: str | None,
    sync_endpoint_alias: str | None,
    sync_token_file: str | None,
    sync_token_file_alias: str | None,
    force: bool,
) -> None:
    """Write a kiosk configuration file from flags, asking for what is missing.

    The file holds every setting, defaults included, so it can be read and edited by hand.
    Paths in it (surveys, data) are relative to the file when they are on the same drive,
    so a USB stick with the config, surveys and data works wherever it is mounted.

    \b
    Examples:
        kiosk init -o kiosk.toml
        kiosk init -o kiosk.toml --kiosk-id gentofte-stand-1 \\
                   --survey-file surveys/gentofte-moedes.yaml
        kiosk init -o /media/usb/kiosk.toml --touch --data /media/usb/kiosk-data
    """
    output = output_alias or output
    surveys = surveys or surveys_alias
    sync_endpoint = sync_endpoint or sync_endpoint_alias
    sync_token_file = sync_token_file or sync_token_file_alias
    if output.exists() and not force:
        click.echo(f"Error: {output} exists; use --force to overwrite it.", err=True)
        sys.exit(1)
    if pin is not None:
        click.echo(
            f"warning: a PIN given with --pin stays in the shell history; next time leave it "
            f"out to be asked for it, or set ${PIN_ENV}",
            err=True,
        )
    elif not no_pin and os.environ.get(PIN_ENV):
        pin = os.environ[PIN_ENV]
    if kiosk_id is None:
        kiosk_id = click.prompt("Kiosk id", default=new_kiosk_id(), value_proc=_checked_kiosk_id)
    if not surveys:
        surveys = (click.prompt("Survey file", default=str(DEFAULT_SURVEY)),)
    try:
        survey_paths = [survey_file(s) for s in surveys]
    except ValueError as exc:
        fail(f"--survey-file: {exc}", EXIT_PROBLEM)
    with launching():  # a config naming a missing or broken survey would not start the kiosk
        load_surveys(survey_paths)
    base = output.expanduser().resolve().parent
    if data is None:
        data = click.prompt("Data directory (relative to the config file)", default=DEFAULT_DATA)
        data = str(base / Path(data).expanduser())
    blocked = _not_a_folder(Path(data).expanduser())
    if blocked is not None:
        fail(f"--data {data}: {blocked} is a file, not a folder: the kiosk could not keep its "
             "data there; not written", EXIT_PROBLEM)  # fmt: skip
    if lang is None:
        from kiosk.i18n import available_languages

        choice = click.Choice(available_languages())
        lang = click.prompt("Start language", default="da", type=choice)
    if touch is None:
        touch = click.confirm("Touch screen without a keyboard?", default=False)
    if pin is None and not no_pin:
        pin = click.prompt(
            "Organiser PIN (empty for DEMO mode)",
            default="",
            hide_input=True,
            confirmation_prompt=True,
            show_default=False,
        )
    defaults = KioskConfig()
    values: dict[str, Any] = {
        "kiosk_id": kiosk_id,
        # a bundled survey by name: its folder moves with every upgrade or new virtualenv
        "surveys": [bundled_name(s) or _relative(s, base) for s in survey_paths],
        "data": _relative(Path(data), base),
        "lang": lang,
        "theme": theme or defaults.theme,
        "touch": touch,
        "idle_timeout": idle_timeout or defaults.idle_timeout,
        "idle_grace": idle_grace or defaults.idle_grace,
        "suspect_seconds": suspect_seconds or defaults.suspect_seconds,
        "thanks_timeout": thanks_timeout or defaults.thanks_timeout,
        "admin_pin_hash": hash_pin(pin) if pin else None,
    }
    sync = {"endpoint": sync_endpoint, "token_file": sync_token_file}
    try:  # written only if it reads back with the loader kiosk run uses
        write_config(output, dump_config(values, sync))
    except ConfigError as exc:
        click.echo(f"Error: not written, the config would not load: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:
        click.echo(f"Error: cannot write {output}: {exc.strerror}", err=True)
        sys.exit(1)
    mode = "with an organiser PIN" if pin else "in DEMO mode (no PIN)"
    click.echo(f"Wrote {output} {mode}. Start the kiosk with: kiosk run --config {output}")


def _relative(path: Path, base: Path) -> str:
    """``path`` relative to the config's folder (``../surveys/x.yaml`` too) when both are on
    the same drive, so they move together; absolute when on another (a different mount)."""
    resolved = path.expanduser().resolve()
    if _drive(resolved) != _drive(base):
        return str(resolved)
    return Path(os.path.relpath(resolved, base)).as_posix()


def _drive(path: Path) -> int | None:
    """The device of ``path``, or of its nearest existing parent (a data folder to come)."""
    for candidate in (path, *path.parents):
        try:
            return candidate.stat().st_dev
        except OSError:
            continue
    return None


@click.command()
@click.argument("survey_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@data_option
@click.option(
    "--visitors",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="How many simulated visitors take the survey, one after another.",
)
@click.option("--seed", type=int, default=None, help="Random seed, for a repeatable rehearsal.")
@click.option(
    "--abandon",
    type=click.FloatRange(0, 1),
    default=0.1,
    show_default=True,
    help="Share of visitors who walk away half way.",
)
@click.option(
    "--kiosk-id",
    callback=lambda _ctx, _param, value: _checked_kiosk_id(value),
    help=f"Kiosk id of the simulated records, after {REHEARSAL_PREFIX!r} "
    "(default: a new one each run).",
)
@click.pass_context
def simulate(
    ctx: click.Context,
    survey_file: Path | None,
    data_dir: Path,
    visitors: int,
    seed: int | None,
    abandon: float,
    kiosk_id: str | None,
) -> None:
    """Drive the real app headless through N random visitors, saving as at the event.

    Each saved record prints `saved <record-id>`; the end prints a summary with the
    key-to-screen latency. It needs --data: a data directory of its own, never the
    event's, and its records carry a kiosk id starting with "rehearsal-", so they are
    recognisable in kiosk stats, every export and at the collector.

    \b
    Example:
        kiosk simulate --data /tmp/rehearsal --visitors 20 --seed 1
    """
    import asyncio

    from kiosk.app.simulate import Simulation

    if not _data_dir_given(ctx) or data_dir.resolve() == resolve_data_dir(None).resolve():
        click.echo(
            "Error: kiosk simulate saves rehearsal records: give --data DIR, a folder of its "
            "own (never the event's data directory, which $KIOSK_DATA or the default names).",
            err=True,
        )
        sys.exit(1)
    kiosks = _event_kiosks(data_dir)
    if kiosks:
        fail(f"--data {data_dir} holds the records of kiosk {', '.join(kiosks)}: an event's data "
             "directory; kiosk simulate needs a folder of its own", EXIT_PROBLEM)  # fmt: skip
    config = KioskConfig(kiosk_id=_checked_kiosk_id(rehearsal_kiosk_id(kiosk_id)))
    directory = resolve_data_dir(data_dir)

    def saved(record: dict[str, Any]) -> None:
        click.echo(f"saved {record['id']}")
        sys.stdout.flush()

    with launching():
        surveys = load_surveys([survey_file or DEFAULT_SURVEY])
        app = build_app(config, surveys, directory, on_saved=saved)
    simulation = Simulation(app, seed=seed, abandon=abandon)
    try:
        summary = asyncio.run(simulation.run(visitors))
    finally:
        app.store.close()
    click.echo(summary.text())
