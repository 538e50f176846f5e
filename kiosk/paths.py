"""Where Borgerkiosk finds its data directory and its bundled files.

The bundled files (translations, styles, themes, the demo surveys) ship inside the package
and are found with :mod:`importlib.resources`, so an installed wheel works from any
directory. In the checkout they are edited in the top-level ``assets/`` and ``surveys/``
folders, the documented places; ``kiosk/assets`` and ``kiosk/surveys`` are links to them,
which the build follows (see ``[tool.setuptools.package-data]`` in pyproject.toml).
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path


def bundled_dir(name: str) -> Path:
    """A folder of files shipped in the package, as a real path (Textual reads CSS by path)."""
    resource = files("kiosk").joinpath(name)
    path = Path(str(resource)).resolve()  # in the checkout: the top-level folder it links to
    if not path.is_dir():  # e.g. a zipped install, or a wheel built without its data
        raise FileNotFoundError(
            f"Borgerkiosk's bundled folder {name!r} is missing from {path.parent}; "
            "reinstall the package (pip install --force-reinstall borgerkiosk)"
        )
    return path


ASSETS_DIR = bundled_dir("assets")
SURVEYS_DIR = bundled_dir("surveys")
DEFAULT_SURVEY = SURVEYS_DIR / "gentofte-moedes.yaml"

#: How a config names a survey shipped with Borgerkiosk (``bundled:gentofte-moedes.yaml``):
#: found in the installed package when the config is read, so the config outlives an
#: upgrade, a new Python or a moved virtualenv, which all move the package's folder.
BUNDLED_PREFIX = "bundled:"


def bundled_surveys() -> list[str]:
    """The names of the surveys shipped in the package, for messages."""
    return sorted(p.name for p in SURVEYS_DIR.glob("*.yaml"))


def bundled_survey(name: str) -> Path | None:
    """The bundled survey called ``name`` (a file name in the bundled folder), or None."""
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        return None
    path = SURVEYS_DIR / name
    return path if path.is_file() else None


def bundled_name(path: Path) -> str | None:
    """``bundled:NAME`` for a file of the bundled surveys folder itself, else None."""
    resolved = path.expanduser().resolve()
    if resolved.parent != SURVEYS_DIR or bundled_survey(resolved.name) is None:
        return None
    return BUNDLED_PREFIX + resolved.name


def survey_file(text: str, base: Path | None = None) -> Path:
    """A survey file as a config or a command line names it: ``bundled:NAME``, else a path
    (relative to ``base`` when given). ValueError for a bundled name that is not one."""
    if text.startswith(BUNDLED_PREFIX):
        name = text.removeprefix(BUNDLED_PREFIX)
        found = bundled_survey(name)
        if found is None:
            raise ValueError(
                f"no bundled survey {name!r}; the bundled ones: "
                + ", ".join(BUNDLED_PREFIX + n for n in bundled_surveys())
            )
        return found
    return Path(text).expanduser() if base is None else (base / text).resolve()


#: The checkout's root, for tests, benchmarks and scripts only: nothing at run time reads it.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

DATA_ENV = "KIOSK_DATA"


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: ``--data``, else ``$KIOSK_DATA``, else the user data dir."""
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get(DATA_ENV)
    if from_env:
        return Path(from_env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("borgerkiosk", appauthor=False)
