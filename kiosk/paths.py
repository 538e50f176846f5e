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
