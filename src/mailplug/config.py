"""The accounts file (TOML): where it is, reading it safely, writing it back.

Default location: ``$MAILPLUG_CONFIG``, else ``accounts.toml`` in the
platform's user config directory.  A file that holds a password must be
readable by its owner only; otherwise it is refused.

Example::

    version = 1
    lang = "pl"

    [accounts.biuro]
    email = "biuro@firma.pl"
    display_name = "Biuro Firma"
    transport = "smtp"
    settings = { host = "smtp.firma.pl", port = 587, security = "starttls" }
    auth = "password"
    auth_settings = { username = "biuro@firma.pl", password_env = "BIURO_PASSWORD" }
"""

from __future__ import annotations

import os
import stat
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import keys
from .models import Account, redact

__all__ = ["CONFIG_VERSION", "Config", "default_config_path", "default_data_dir", "load_config"]

#: Schema version of the accounts file this mailplug writes and understands.
CONFIG_VERSION = 1


def default_config_path() -> Path:
    env = os.environ.get("MAILPLUG_CONFIG")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir("mailplug", appauthor=False)) / "accounts.toml"


def default_data_dir() -> Path:
    env = os.environ.get("MAILPLUG_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("mailplug", appauthor=False))


@dataclass
class Config:
    """What the accounts file says."""

    path: Path | None = None
    accounts: list[Account] = field(default_factory=list)
    lang: str | None = None
    outbox: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def _holds_secret(data: Any) -> bool:
    return bool(redact(data) != data)


def load_config(path: Path | str | None = None, *, missing_ok: bool = True) -> Config:
    """Read the accounts file.

    :raises mailplug.errors.ConfigurationError: unreadable, invalid, or a
        secret in a file other users can read.
    :raises mailplug.errors.VersionError: written by a newer mailplug.
    """
    explicit = path is not None
    p = Path(path) if path is not None else default_config_path()
    if not p.exists():
        if missing_ok and not explicit:
            return Config(path=p)
        raise keys.CONFIG_UNREADABLE.error(file=str(p), problem="file not found")
    try:
        raw = p.read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise keys.CONFIG_UNREADABLE.error(file=str(p), problem=str(exc), cause=exc) from exc
    version = data.get("version", CONFIG_VERSION)
    if not isinstance(version, int) or version > CONFIG_VERSION:
        raise keys.VERSION_TOO_NEW.error(file=str(p), found=version, supported=CONFIG_VERSION)
    accounts_data = data.get("accounts", {})
    if not isinstance(accounts_data, dict):
        raise keys.CONFIG_UNREADABLE.error(file=str(p), problem="[accounts] must be a table")
    if sys.platform != "win32" and _holds_secret(accounts_data):
        mode = p.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise keys.CONFIG_SECRET_EXPOSED.error(file=str(p))
    accounts = []
    for name, entry in accounts_data.items():
        if not isinstance(entry, dict):
            raise keys.ACCOUNT_INVALID_SETTINGS.error(
                field=f"accounts.{name}", problem="must be a table"
            )
        accounts.append(Account.model_validate({"name": name, **entry}))
    return Config(
        path=p, accounts=accounts, lang=data.get("lang"), outbox=data.get("outbox"), data=data
    )


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        escaped = (
            value.replace("\\", "\\\\")
            .replace('"', '\\"')
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
        return f'"{escaped}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _toml_key(key: str) -> str:
    return (
        key
        if key.replace("_", "").replace("-", "").isalnum() and key.isascii()
        else (_toml_value(key))
    )


def dumps(data: dict[str, Any]) -> str:
    """Write the accounts-file shape as TOML (top-level scalars, then ``[accounts.NAME]``)."""
    lines = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in data.items() if k != "accounts"]
    for name, entry in data.get("accounts", {}).items():
        lines += ["", f"[accounts.{_toml_key(name)}]"]
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in entry.items() if v is not None]
    return "\n".join(lines) + "\n"


def account_to_toml_data(account: Account) -> dict[str, Any]:
    data = account.model_dump(mode="json", exclude={"name"}, exclude_defaults=True)
    data["email"] = str(account.email)
    return data


def save_config(config: Config, path: Path | None = None) -> Path:
    """Write ``config`` atomically with owner-only permissions."""
    p = path or config.path or default_config_path()
    p.parent.mkdir(parents=True, exist_ok=True)
    data = {k: v for k, v in config.data.items() if k != "accounts"}
    data["version"] = CONFIG_VERSION
    if config.lang:
        data["lang"] = config.lang
    data["accounts"] = {a.name: account_to_toml_data(a) for a in config.accounts}
    tmp = p.with_name(p.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(dumps(data))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, p)
    return p
