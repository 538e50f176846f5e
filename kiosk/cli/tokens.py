"""The collector token and the ``[sync]`` config, as ``kiosk sync`` and the collector read them.

The token is never printed: every message names the file or variable it came from.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.cli.errors import fail

if TYPE_CHECKING:
    from kiosk.config import SyncConfig

TOKEN_ENV = "KIOSK_TOKEN"


def read_sync_config(path: Path | None) -> SyncConfig:
    """The ``[sync]`` table of a kiosk config, read by the one parser ``kiosk run`` uses."""
    from kiosk.config import ConfigError, SyncConfig, load_config

    if path is None:
        return SyncConfig()
    try:
        return load_config(path).sync
    except ConfigError as exc:
        fail(f"{exc}; fix the file or leave out --config")


def read_token_file(path: Path) -> str:
    from kiosk.sync.protocol import read_token_file as read_token

    try:
        token = read_token(path)
    except OSError as exc:
        fail(f"cannot read the token file {path}: {exc.strerror}")
    except UnicodeDecodeError:
        fail(f"the token file {path} is not text")
    if not token:
        fail(f"the token file {path} is empty")
    return token


def resolve_token(token_file: Path | None, config: SyncConfig) -> str:
    """--token-file, else $KIOSK_TOKEN, else the config's token / token_file. Never printed."""
    token = _find_token(token_file, config)
    check_token(token)
    return token


def check_token(token: str) -> None:
    """Exit 4 for a token HTTP cannot carry (the message never quotes it)."""
    from kiosk.sync.protocol import token_problem

    problem = token_problem(token)
    if problem:
        fail(f"cannot use the token: {problem}")


def _find_token(token_file: Path | None, config: SyncConfig) -> str:
    if token_file is not None:
        return read_token_file(token_file)
    from_env = os.environ.get(TOKEN_ENV, "").strip()
    if from_env:
        return from_env
    if config.token and config.token.strip():
        return config.token.strip()
    if config.token_file is not None:  # already relative to the config file
        return read_token_file(config.token_file)
    fail(f"no token: give --token-file FILE, set {TOKEN_ENV}, or [sync] token_file in the config")
