"""``kiosk run``, ``kiosk init`` and ``kiosk simulate``: the kiosk app's commands.

Only click and the standard library at import: the app (and Textual) are imported
inside the commands, so ``kiosk --help`` stays fast and the cold start pays only once.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from kiosk.cli.options import data_option
from kiosk.config import (
    THEMES,
    ConfigError,
    KioskConfig,
    dump_config,
    hash_pin,
    load_config,
    stable_kiosk_id,
)
from kiosk.paths import DEFAULT_SURVEY, resolve_data_dir


def _load_surveys(paths: list[Path]) -> list[Any]:
    """Load every survey or exit 1 with the validator's problems (never a traceback)."""
    from kiosk.survey import SurveyError, load_survey

    surveys = []
    for path in paths:
        try:
            surveys.append(load_survey(path))
        except SurveyError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
    return surveys


def _config(path: str | None) -> KioskConfig:
    if not path:
        return KioskConfig()
    try:
        return load_config(path)
    except ConfigError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)


def _data_dir_given(ctx: click.Context) -> bool:
    source = ctx.get_parameter_source("data_dir")
    return source is not None and source.name != "DEFAULT"


def seconds_option(name: str, text: str) -> Any:
    """An option of a number of seconds above 0 (``kiosk run`` and ``kiosk init`` share them)."""
    return click.option(name, type=click.FloatRange(min=0, min_open=True), metavar="S", help=text)


IDLE_TIMEOUT = seconds_option(
    "--idle-timeout", "Seconds without input before 'Are you still there?' (default 90)."
)
IDLE_GRACE = seconds_option(
    "--idle-grace", "Seconds the idle prompt waits before resetting (default 15)."
)


@click.command()
@click.argument("survey_files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@data_option
@click.option("--kiosk-id", help="This kiosk's id in records. Default: made once, kept in DIR.")
@click.option("--lang", help="Language the welcome screen starts in (da, en).")
@IDLE_TIMEOUT
@IDLE_GRACE
@click.option("--theme", type=click.Choice(THEMES), help="Colour theme (default: default).")
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
    config_path: str | None,
) -> None:
    """Run the visitor kiosk full-screen on SURVEY_FILE(s) (default: the bundled survey).

    \b
    Keys: 1-9 choose, Enter next, Escape back; ctrl+o opens the organiser screen
    (PIN from the config or $KIOSK_ADMIN_PIN; none set = DEMO mode), where q quits.

    \b
    Examples:
        kiosk run --config kiosk.toml
        kiosk run surveys/opgaveudvalg-borgermoede.yaml --data /media/usb/kiosk-data
        kiosk run --lang en --theme high-contrast --idle-timeout 60
    """
    config = _config(config_path).with_overrides(
        kiosk_id=kiosk_id,
        lang=lang,
        idle_timeout=idle_timeout,
        idle_grace=idle_grace,
        theme=theme,
        surveys=tuple(survey_files) or None,
        data=data_dir if _data_dir_given(ctx) or not config_path else None,
    )
    directory = config.data or data_dir
    surveys = _surveys_for_run(list(config.surveys) or [DEFAULT_SURVEY], directory)
    _check_language(config.lang, surveys[0])
    app = build_app(config, surveys, directory, open_store_later=True)
    os.environ.pop("TEXTUAL_ALLOW_SIGNALS", None)  # ctrl+c/ctrl+z/ctrl+\ must stay keys
    try:
        app.run()
    finally:
        app.close_store()
    if app.return_code:
        sys.exit(app.return_code)


def _check_language(lang: str | None, survey: Any) -> None:
    """A start language the first survey and the kiosk's translations both have, or exit 1."""
    from kiosk.i18n import available_languages

    if lang is None:
        return
    have = [code for code in survey.languages if code in available_languages()]
    if lang not in have:
        click.echo(
            f"Error: language {lang!r} is not one of this kiosk's: {', '.join(have)}", err=True
        )
        sys.exit(1)


def _surveys_for_run(paths: list[Path], data_dir: Path) -> list[Any]:
    """Previews of surveys that validated before unchanged, else validated now (exit 1).

    A preview lets the first screen be drawn before the survey models (pydantic) load.
    """
    from kiosk.app.survey_preview import PreviewCache

    cache = PreviewCache(data_dir)
    surveys: list[Any] = []
    for path in paths:
        preview = cache.get(path) if path.is_file() else None
        if preview is None:
            (survey,) = _load_surveys([path])
            cache.put(path, survey)
            surveys.append(survey)
        else:
            surveys.append(preview)
    return surveys


def build_app(
    config: KioskConfig,
    surveys: list[Any],
    data_dir: Path,
    on_saved: Any = None,
    *,
    open_store_later: bool = False,
) -> Any:
    """The kiosk app for a config: the store, the kiosk id and the PIN settled.

    ``open_store_later``: the store (TinyDB, and pydantic through the records module) is
    opened right after the first screen is drawn; the directory is checked here.
    """
    from kiosk.app.app import KioskApp
    from kiosk.app.settings import AppSettings
    from kiosk.config import PinCheck

    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        if not os.access(data_dir, os.W_OK):
            raise PermissionError(f"no permission to write in {data_dir}")
        kiosk_id = config.kiosk_id or stable_kiosk_id(data_dir)
        store: Any = (lambda: _open_store(data_dir)) if open_store_later else _open_store(data_dir)
    except OSError as exc:
        click.echo(f"Error: cannot use the data directory {data_dir}: {exc}", err=True)
        sys.exit(1)
    settings = AppSettings(
        kiosk_id=kiosk_id,
        lang=config.lang,
        theme=config.theme,
        idle_timeout=config.idle_timeout,
        idle_grace=config.idle_grace,
        suspect_seconds=config.suspect_seconds,
        thanks_timeout=config.thanks_timeout,
        touch=config.touch,
        settle_seconds=config.settle_seconds,
    )
    return KioskApp(
        surveys,
        store,
        settings=settings,
        pin=PinCheck.from_config(config),
        sync=config.sync,
        on_saved=on_saved,
    )


def _open_store(data_dir: Path) -> Any:
    from kiosk.store import RecordStore
    from kiosk.store.errors import StoreError

    try:
        return RecordStore(data_dir)
    except StoreError as exc:
        raise OSError(str(exc)) from exc


@click.command()
@click.option(
    "--output",
    "-o",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    default="kiosk.toml",
    show_default=True,
    help="Where to write the config file.",
)
@click.option("--kiosk-id", help="This kiosk's id, e.g. gentofte-stand-1.")
@click.option(
    "--survey",
    "surveys",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Survey file (repeat for several). Default: the bundled survey.",
)
@click.option("--data", "data", type=click.Path(file_okay=False), help="Data directory.")
@click.option("--lang", help="Start language (da, en).")
@click.option("--theme", type=click.Choice(THEMES), help="Colour theme.")
@IDLE_TIMEOUT
@IDLE_GRACE
@seconds_option(
    "--suspect-seconds", "A survey finished faster than this is saved as suspect (default 3)."
)
@seconds_option("--thanks-timeout", "Seconds the thank-you screen stays (default 15).")
@click.option("--pin", "pin", help="Organiser PIN (stored only as a salted hash).")
@click.option("--no-pin", is_flag=True, help="No PIN: the kiosk runs in DEMO mode.")
@click.option("--sync-endpoint", help="Collector URL for background sync.")
@click.option("--sync-token-file", help="File holding the collector's token.")
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
def init(
    output: Path,
    kiosk_id: str | None,
    surveys: tuple[str, ...],
    data: str | None,
    lang: str | None,
    theme: str | None,
    idle_timeout: float | None,
    idle_grace: float | None,
    suspect_seconds: float | None,
    thanks_timeout: float | None,
    pin: str | None,
    no_pin: bool,
    sync_endpoint: str | None,
    sync_token_file: str | None,
    force: bool,
) -> None:
    """Write a kiosk configuration file from flags, asking for what is missing.

    The file holds every setting, defaults included, so it can be read and edited by hand.

    \b
    Examples:
        kiosk init -o kiosk.toml
        kiosk init -o kiosk.toml --kiosk-id gentofte-stand-1 --survey surveys/gentofte-moedes.yaml
    """
    if output.exists() and not force:
        click.echo(f"Error: {output} exists; use --force to overwrite it.", err=True)
        sys.exit(1)
    if kiosk_id is None:
        kiosk_id = click.prompt("Kiosk id", default="kiosk-1")
    if not surveys:
        surveys = (click.prompt("Survey file", default=str(DEFAULT_SURVEY)),)
    if pin is None and not no_pin:
        pin = click.prompt(
            "Organiser PIN (empty for DEMO mode)",
            default="",
            hide_input=True,
            confirmation_prompt=True,
            show_default=False,
        )
    base = output.resolve().parent
    defaults = KioskConfig()
    values: dict[str, Any] = {
        "kiosk_id": kiosk_id,
        "surveys": [_relative(Path(s), base) for s in surveys],
        "data": _relative(Path(data), base) if data else None,
        "lang": lang,
        "theme": theme or defaults.theme,
        "idle_timeout": idle_timeout or defaults.idle_timeout,
        "idle_grace": idle_grace or defaults.idle_grace,
        "suspect_seconds": suspect_seconds or defaults.suspect_seconds,
        "thanks_timeout": thanks_timeout or defaults.thanks_timeout,
        "admin_pin_hash": hash_pin(pin) if pin else None,
    }
    sync = {"endpoint": sync_endpoint, "token_file": sync_token_file}
    text = dump_config(values, sync)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    try:
        load_config(output)
    except ConfigError as exc:  # what we wrote must read back; say so rather than run broken
        click.echo(f"Error: the written config does not load: {exc}", err=True)
        sys.exit(1)
    mode = "with an organiser PIN" if pin else "in DEMO mode (no PIN)"
    click.echo(f"Wrote {output} {mode}. Start the kiosk with: kiosk run --config {output}")


def _relative(path: Path, base: Path) -> str:
    resolved = path.expanduser().resolve()
    try:
        return str(resolved.relative_to(base))
    except ValueError:
        return str(resolved)


@click.command()
@click.argument("survey_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@data_option
@click.option("--visitors", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--seed", type=int, default=None, help="Random seed, for a repeatable rehearsal.")
@click.option(
    "--abandon",
    type=click.FloatRange(0, 1),
    default=0.1,
    show_default=True,
    help="Share of visitors who walk away half way.",
)
def simulate(
    survey_file: Path | None,
    data_dir: Path,
    visitors: int,
    seed: int | None,
    abandon: float,
) -> None:
    """Drive the real app headless through N random visitors, saving as at the event.

    Each saved record prints `saved <record-id>`; the end prints a summary with the
    key-to-screen latency. Rehearse on a data directory of its own, not the event's.

    \b
    Example:
        kiosk simulate --data /tmp/rehearsal --visitors 200 --seed 1
    """
    import asyncio

    from kiosk.app.simulate import Simulation

    surveys = _load_surveys([survey_file or DEFAULT_SURVEY])
    config = KioskConfig(kiosk_id="simulator")
    directory = resolve_data_dir(data_dir)

    def saved(record: dict[str, Any]) -> None:
        click.echo(f"saved {record['id']}")
        sys.stdout.flush()

    app = build_app(config, surveys, directory, on_saved=saved)
    simulation = Simulation(app, seed=seed, abandon=abandon)
    try:
        summary = asyncio.run(simulation.run(visitors))
    finally:
        app.store.close()
    click.echo(summary.text())
