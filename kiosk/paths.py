"""Where Borgerkiosk finds its data directory and its bundled files."""

from __future__ import annotations

import os
from pathlib import Path

#: The repository root: ``assets/`` and ``surveys/`` live beside the package.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = PROJECT_ROOT / "assets"
SURVEYS_DIR = PROJECT_ROOT / "surveys"
DEFAULT_SURVEY = SURVEYS_DIR / "gentofte-moedes.yaml"

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
