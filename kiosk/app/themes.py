"""The kiosk's colour palettes, read from ``assets/themes/<name>.toml``.

The .tcss files use only these ``$k-*`` variables for colours, so the contrast test can
check every text/background pair of every theme (tests/app/test_app_contrast.py).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from kiosk.paths import ASSETS_DIR

THEMES_DIR = ASSETS_DIR / "themes"


def theme_names(directory: Path = THEMES_DIR) -> list[str]:
    return sorted(path.stem for path in directory.glob("*.toml"))


def load_palette(name: str, directory: Path = THEMES_DIR) -> dict[str, str]:
    """``{"k-text": "#ffffff", ...}``: CSS variables of one theme."""
    path = directory / f"{name}.toml"
    with path.open("rb") as handle:
        colors = tomllib.load(handle)["colors"]
    return {f"k-{key}": str(value) for key, value in colors.items()}
