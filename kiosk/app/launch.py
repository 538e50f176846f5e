"""Building the kiosk app for a config: surveys, data directory, store, kiosk id and PIN.

Shared by ``kiosk run``, ``kiosk simulate``, the benchmarks and the tests. Problems are
raised as :class:`LaunchError` with a message that names the file or folder and what to
do; the command line reports them, this module never exits the process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.config import KioskConfig, stable_kiosk_id
from kiosk.ids import kiosk_id_problem

if TYPE_CHECKING:
    from kiosk.app.app import KioskApp
    from kiosk.app.survey_preview import SurveyPreview
    from kiosk.store import RecordStore
    from kiosk.survey.model import Survey


class LaunchError(Exception):
    """The kiosk cannot start: a survey, the data directory or the kiosk id is unusable."""


def load_surveys(paths: list[Path]) -> list[Survey]:
    """Every survey, validated; LaunchError lists every problem of the first bad file."""
    from kiosk.survey import SurveyError, load_survey

    surveys = []
    for path in paths:
        try:
            surveys.append(load_survey(path))
        except SurveyError as exc:
            raise LaunchError(str(exc)) from None
    return surveys


def surveys_for_run(paths: list[Path], data_dir: Path) -> list[Survey | SurveyPreview]:
    """Previews of surveys that validated before and are unchanged, else validated now.

    A preview lets the first screen be drawn before the survey models (pydantic) load.
    """
    from kiosk.app.survey_preview import PreviewCache

    cache = PreviewCache(data_dir)
    surveys: list[Survey | SurveyPreview] = []
    for path in paths:
        preview = cache.get(path) if path.is_file() else None
        if preview is None:
            (survey,) = load_surveys([path])
            cache.put(path, survey)
            surveys.append(survey)
        else:
            surveys.append(preview)
    return surveys


def check_language(lang: str | None, survey: Survey | SurveyPreview) -> None:
    """LaunchError unless ``lang`` is one the survey and the kiosk's translations both have."""
    from kiosk.i18n import available_languages

    if lang is None:
        return
    have = [code for code in survey.languages if code in available_languages()]
    if lang not in have:
        raise LaunchError(f"language {lang!r} is not one of this kiosk's: {', '.join(have)}")


def build_app(
    config: KioskConfig,
    surveys: Sequence[Survey | SurveyPreview],
    data_dir: Path,
    on_saved: Callable[[dict[str, Any]], None] | None = None,
    *,
    open_store_later: bool = False,
    app_class: type[KioskApp] | None = None,
) -> KioskApp:
    """The kiosk app for a config: the store, the kiosk id and the PIN settled.

    ``open_store_later``: the store (TinyDB) is opened right after the first screen is
    drawn; the directory is checked here. ``app_class``: a KioskApp subclass (``kiosk serve``'s
    sessions).
    """
    from kiosk.app.app import KioskApp
    from kiosk.config import PinCheck

    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        if not os.access(data_dir, os.W_OK):
            raise PermissionError(f"no permission to write in {data_dir}")
        kiosk_id = config.kiosk_id or stable_kiosk_id(data_dir)
        store: RecordStore | Callable[[], RecordStore] = (
            (lambda: open_store(data_dir)) if open_store_later else open_store(data_dir)
        )
    except OSError as exc:
        raise LaunchError(f"cannot use the data directory {data_dir}: {exc}") from None
    problem = kiosk_id_problem(kiosk_id) if config.kiosk_id is None else None
    if problem:  # a hand-edited kiosk-id file: only one the collector takes
        raise LaunchError(f"{data_dir / 'kiosk-id'}: {problem}; fix it or give --kiosk-id")
    settings = replace(config, kiosk_id=kiosk_id)  # the config is the app's settings
    return (app_class or KioskApp)(
        surveys,
        store,
        settings=settings,
        pin=PinCheck.from_config(config),
        sync=config.sync,
        on_saved=on_saved,
    )


def open_store(data_dir: Path) -> RecordStore:
    """The data directory's store; OSError (with the store's message) when it cannot open."""
    from kiosk.store import RecordStore
    from kiosk.store.errors import StoreError

    try:
        return RecordStore(data_dir)
    except StoreError as exc:
        raise OSError(str(exc)) from exc
