"""The kiosk configuration file (TOML) and the organiser PIN, kept only as a salted hash.

One file per kiosk, written by ``kiosk init`` and read by ``kiosk run``; flags on the
command line override it. Paths in it are relative to the file, so a USB stick with the
config and the survey files works wherever it is mounted. See docs/kiosk.md.

This is the one parser of the config for every command (run, serve, sync, sync-after-event,
init's read-back). It is a dataclass checked by hand rather than a pydantic model on
purpose: ``kiosk run`` draws its first frame before pydantic is imported (survey previews,
kiosk.app.survey_preview), and importing pydantic here would put it on that path.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kiosk.ids import kiosk_id_problem
from kiosk.paths import survey_file
from kiosk.sync.endpoint import endpoint_problem, is_loopback
from kiosk.sync.protocol import read_token_file

PIN_ENV = "KIOSK_ADMIN_PIN"
#: scrypt cost: about 50 ms here, and 16 MiB of memory: slow enough against guessing.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
THEMES = ("default", "high-contrast")


class ConfigError(Exception):
    """The configuration file cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class SyncConfig:
    """Where the background sync sends records; empty endpoint means no sync."""

    endpoint: str | None = None
    token: str | None = None
    token_file: Path | None = None
    interval: float = 60.0
    ca_bundle: Path | None = None
    #: Send the token over plain http:// beyond loopback (a trusted network only).
    insecure_http: bool = False
    #: The collector's address as visitors' phones reach it (its --public-url): follow-up
    #: QR codes of surveys without followup.url lead to {public_url}/f/{ref}.
    public_url: str | None = None

    def followup_base(self) -> str | None:
        """Where visitors follow their idea: public_url, else the endpoint unless it is this
        machine (a phone cannot reach 127.0.0.1); None: the reference code stands alone."""
        if self.public_url:
            return self.public_url
        if self.endpoint:
            host = urlsplit(self.endpoint).hostname or ""
            if not is_loopback(host):
                return self.endpoint
        return None

    def resolved_token(self) -> str | None:
        """The token, read from ``token_file`` when given there (kept out of the config)."""
        if self.token:
            return self.token
        if self.token_file:
            try:
                return read_token_file(self.token_file) or None
            except UnicodeDecodeError as exc:
                raise ConfigError(f"sync.token_file {self.token_file}: not text") from exc
            except OSError as exc:
                raise ConfigError(f"sync.token_file {self.token_file}: {exc.strerror}") from exc
        return None


@dataclass(frozen=True)
class KioskConfig:
    """Everything ``kiosk run`` needs besides the surveys' own contents."""

    kiosk_id: str | None = None
    surveys: tuple[Path, ...] = ()
    data: Path | None = None
    lang: str | None = None
    theme: str = "default"
    idle_timeout: float = 90.0
    idle_grace: float = 15.0
    suspect_seconds: float = 3.0
    thanks_timeout: float = 15.0
    touch: bool = False
    settle_seconds: float = 0.3
    admin_pin_hash: str | None = None
    sync: SyncConfig = field(default_factory=SyncConfig)

    def with_overrides(self, **values: Any) -> KioskConfig:
        """A copy with every value that is not None replaced (flags over the file)."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


_NUMBERS = ("idle_timeout", "idle_grace", "suspect_seconds", "thanks_timeout")


def load_config(path: str | os.PathLike[str]) -> KioskConfig:
    """Read and check a kiosk config file; :class:`ConfigError` names what is wrong."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such file; create one with `kiosk init`") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return parse_config(raw, path)


def parse_config(raw: dict[str, Any], path: Path) -> KioskConfig:
    base = path.parent
    known = {f.name for f in fields(KioskConfig)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key {unknown[0]!r}; known keys: {', '.join(sorted(known))}"
        )
    values: dict[str, Any] = {}
    for key in ("kiosk_id", "lang", "theme", "admin_pin_hash"):
        if key in raw:
            values[key] = _string(raw[key], key, path)
    if "kiosk_id" in values and (problem := kiosk_id_problem(values["kiosk_id"])):
        raise ConfigError(f"{path}: kiosk_id: {problem} (the collector refuses any other)")
    if "theme" in values and values["theme"] not in THEMES:
        raise ConfigError(f"{path}: theme {values['theme']!r} is not one of {', '.join(THEMES)}")
    for key in _NUMBERS:
        if key in raw:
            value = raw[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ConfigError(f"{path}: {key} must be a number of seconds above 0")
            values[key] = float(value)
    if "settle_seconds" in raw:
        value = raw["settle_seconds"]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 5:
            raise ConfigError(f"{path}: settle_seconds must be a number of seconds from 0 to 5")
        values["settle_seconds"] = float(value)
    if "touch" in raw:
        if not isinstance(raw["touch"], bool):
            raise ConfigError(f"{path}: touch must be true or false")
        values["touch"] = raw["touch"]
    if "surveys" in raw:
        surveys = raw["surveys"]
        if not isinstance(surveys, list) or not all(isinstance(s, str) for s in surveys):
            raise ConfigError(f'{path}: surveys must be a list of file paths, e.g. ["a.yaml"]')
        try:  # "bundled:NAME" is found in the installed package, a path beside this file
            values["surveys"] = tuple(survey_file(s, base) for s in surveys)
        except ValueError as exc:
            raise ConfigError(f"{path}: surveys: {exc}") from None
    if "data" in raw:
        values["data"] = (base / _string(raw["data"], "data", path)).resolve()
    if "sync" in raw:
        values["sync"] = _sync(raw["sync"], path)
    return KioskConfig(**values)


def _string(value: Any, key: str, path: Path) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{path}: {key} must be a text in quotes")
    return value


def _sync(raw: Any, path: Path) -> SyncConfig:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: [sync] must be a table")
    known = {f.name for f in fields(SyncConfig)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key sync.{unknown[0]}; known: {', '.join(sorted(known))}"
        )
    values: dict[str, Any] = {}
    for key in ("endpoint", "token", "public_url"):
        if key in raw:
            values[key] = _string(raw[key], f"sync.{key}", path)
    if "public_url" in values and not re.match(
        r"https?://[^\s/?#]+[^\s?#]*\Z", values["public_url"]
    ):
        raise ConfigError(
            f"{path}: sync.public_url must be a web address such as https://kiosk.example.dk"
        )
    for key in ("token_file", "ca_bundle"):
        if key in raw:
            values[key] = (path.parent / _string(raw[key], f"sync.{key}", path)).resolve()
    if "interval" in raw:
        interval = raw["interval"]
        if isinstance(interval, bool) or not isinstance(interval, int | float) or interval <= 0:
            raise ConfigError(f"{path}: sync.interval must be a number of seconds above 0")
        values["interval"] = float(interval)
    if "insecure_http" in raw:
        if not isinstance(raw["insecure_http"], bool):
            raise ConfigError(f"{path}: sync.insecure_http must be true or false")
        values["insecure_http"] = raw["insecure_http"]
    if "endpoint" in values:
        problem = endpoint_problem(
            values["endpoint"], allow_plain_http=values.get("insecure_http", False)
        )
        if problem:
            raise ConfigError(f"{path}: sync.endpoint: {problem}")
    return SyncConfig(**values)


def dump_config(values: dict[str, Any], sync: dict[str, Any] | None = None) -> str:
    """TOML text of a config; None values are left out (they take their defaults).

    Written by tomli-w, which escapes every string (a kiosk id or path holding a quote, a
    backslash or a line break) so that what is written reads back as given.
    """
    import tomli_w

    document = {key: list(v) if isinstance(v, tuple) else v for key, v in values.items()}
    document = {key: v for key, v in document.items() if v is not None}
    sync_values = {k: v for k, v in (sync or {}).items() if v is not None}
    if sync_values:
        document["sync"] = sync_values
    return "# Borgerkiosk kiosk configuration: see docs/kiosk.md\n\n" + tomli_w.dumps(document)


def write_config(path: Path, text: str) -> KioskConfig:
    """Write ``text`` to ``path`` atomically, only if it loads as a config; the loaded config.

    The text goes to a temporary file beside ``path`` (so relative paths in it resolve as
    they will), is read back with :func:`load_config`, and only then replaces ``path``:
    a config that would not load is never left behind. Raises ConfigError or OSError.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        try:
            config = load_config(temporary)
        except ConfigError as exc:  # name the file the user asked for, not the temporary one
            raise ConfigError(str(exc).replace(str(temporary), str(path))) from None
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return config


def hash_pin(pin: str) -> str:
    """``scrypt$n$r$p$salt$hash`` of a PIN with a fresh random salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        pin.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    """Whether ``pin`` matches a stored hash; a malformed hash matches nothing."""
    try:
        scheme, n, r, p, salt_hex, hash_hex = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = bytes.fromhex(hash_hex)
        digest = hashlib.scrypt(
            pin.encode("utf-8"),
            salt=bytes.fromhex(salt_hex),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)


@dataclass(frozen=True)
class PinCheck:
    """How the organiser screen is guarded: by a hash, a session PIN, or nothing (demo)."""

    pin_hash: str | None = None
    session_pin: str | None = None

    @property
    def demo(self) -> bool:
        return not self.pin_hash and not self.session_pin

    def matches(self, pin: str) -> bool:
        if self.session_pin is not None:
            return hmac.compare_digest(pin.encode(), self.session_pin.encode())
        if self.pin_hash:
            return verify_pin(pin, self.pin_hash)
        return True

    @classmethod
    def from_config(cls, config: KioskConfig, environ: dict[str, str] | None = None) -> PinCheck:
        """``KIOSK_ADMIN_PIN`` (for this session) wins over the config's hash."""
        env = os.environ if environ is None else environ
        session = env.get(PIN_ENV) or None
        return cls(pin_hash=config.admin_pin_hash, session_pin=session)


KIOSK_ID_FILE = "kiosk-id"
_ID_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_kiosk_id() -> str:
    """``kiosk-`` and six random characters: two kiosks set up alike still get their own id."""
    return "kiosk-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(6))


def stable_kiosk_id(data_dir: Path) -> str:
    """This kiosk's id, made once ("kiosk-" + 6 random characters) and kept in the data dir."""
    path = data_dir / KIOSK_ID_FILE
    try:
        existing = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        existing = ""
    if existing:
        return existing
    data_dir.mkdir(parents=True, exist_ok=True)
    kiosk_id = new_kiosk_id()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(kiosk_id + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return kiosk_id
