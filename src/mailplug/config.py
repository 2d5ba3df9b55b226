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

Older files are upgraded when opened (a copy of the old file is kept as
``accounts.toml.bak-v<N>``, :attr:`Config.migrated_from` says so); a file
from a newer mailplug is refused with ``version.too_new``.  Version 0 is the
flat format of mailplug 0.x, without a ``version`` key::

    language = "pl"
    outbox_file = "/srv/app/outbox.sqlite3"

    [[account]]
    name = "biuro"                 # optional: the address is used
    address = "biuro@firma.pl"
    sender_name = "Biuro Firma"
    smtp_server = "smtp.firma.pl"
    smtp_port = 587
    smtp_ssl = false               # true: TLS from the start (port 465)
    smtp_starttls = true           # false with smtp_ssl false: no encryption
    smtp_user = "biuro@firma.pl"   # no user: no login
    smtp_password_env = "BIURO_PASSWORD"   # or smtp_password = "…"
"""

from __future__ import annotations

import logging
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

log = logging.getLogger("mailplug.config")


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
    #: The file was upgraded from this older version when it was opened.
    migrated_from: int | None = None
    #: Where the file as it was before the upgrade is kept.
    backup: Path | None = None


def _is_v0(data: dict[str, Any]) -> bool:
    """The flat format of mailplug 0.x (no ``version`` key)."""
    return isinstance(data.get("account"), list) or "smtp_server" in data


def _v0_account(entry: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    known = {
        "name", "address", "sender_name", "reply_to", "smtp_server", "smtp_port", "smtp_ssl",
        "smtp_starttls", "smtp_user", "smtp_password", "smtp_password_env", "default",
    }  # fmt: skip
    unknown = sorted(set(entry) - known)
    if unknown:
        raise keys.ACCOUNT_INVALID_SETTINGS.error(
            field=f"account.{unknown[0]}", problem="not a setting of the version 0 format"
        )
    ssl = bool(entry.get("smtp_ssl", False))
    security = "tls" if ssl else ("starttls" if entry.get("smtp_starttls", True) else "none")
    out: dict[str, Any] = {
        "email": entry.get("address", ""),
        "transport": "smtp",
        "settings": {
            "host": entry.get("smtp_server", ""),
            "port": entry.get("smtp_port", 465 if ssl else 587),
            "security": security,
        },
    }
    for old, new in (("sender_name", "display_name"), ("reply_to", "reply_to")):
        if entry.get(old):
            out[new] = entry[old]
    if entry.get("default"):
        out["default"] = True
    if entry.get("smtp_user"):
        auth: dict[str, Any] = {"username": entry["smtp_user"]}
        for old, new in (("smtp_password", "password"), ("smtp_password_env", "password_env")):
            if entry.get(old):
                auth[new] = entry[old]
        out["auth"] = "password"
        out["auth_settings"] = auth
    else:
        out["auth"] = None
    return str(entry.get("name") or entry.get("address") or "account"), out


def _migrate_v0(data: dict[str, Any]) -> dict[str, Any]:
    entries = data.get("account")
    if not isinstance(entries, list):
        single = {k: v for k, v in data.items() if k not in {"language", "outbox_file"}}
        entries = [single]
    accounts: dict[str, Any] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise keys.ACCOUNT_INVALID_SETTINGS.error(field="account", problem="must be a table")
        name, account = _v0_account(entry)
        base, n = name, 2
        while name in accounts:
            name, n = f"{base}-{n}", n + 1
        accounts[name] = account
    new: dict[str, Any] = {"version": 1}
    if data.get("language"):
        new["lang"] = data["language"]
    if data.get("outbox_file"):
        new["outbox"] = data["outbox_file"]
    new["accounts"] = accounts
    return new


#: Upgrades of the accounts file: version → function giving the next version's data.
_MIGRATIONS = {0: _migrate_v0}


def _backup_path(path: Path, version: int) -> Path:
    candidate = path.with_name(f"{path.name}.bak-v{version}")
    n = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.bak-v{version}-{n}")
        n += 1
    return candidate


def _keep_backup(path: Path, raw: bytes, version: int) -> Path:
    backup = _backup_path(path, version)
    fd = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(raw)
        fh.flush()
        os.fsync(fh.fileno())
    return backup


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
    if not p.is_file():
        # A named pipe or a device would block the read (or never end).
        raise keys.CONFIG_UNREADABLE.error(file=str(p), problem="not an ordinary file")
    try:
        raw = p.read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise keys.CONFIG_UNREADABLE.error(file=str(p), problem=str(exc), cause=exc) from exc
    version = data.get("version", 0 if _is_v0(data) else CONFIG_VERSION)
    if not isinstance(version, int) or version > CONFIG_VERSION:
        raise keys.VERSION_TOO_NEW.error(file=str(p), found=version, supported=CONFIG_VERSION)
    migrated_from = version if version < CONFIG_VERSION else None
    while version < CONFIG_VERSION:
        step = _MIGRATIONS.get(version)
        if step is None:
            raise keys.CONFIG_UNREADABLE.error(file=str(p), problem=f"unknown version {version}")
        data = step(data)
        version = data["version"]
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
    config = Config(
        path=p, accounts=accounts, lang=data.get("lang"), outbox=data.get("outbox"), data=data
    )
    if migrated_from is not None:
        config.migrated_from = migrated_from
        _upgrade_file(config, p, raw, migrated_from)
    return config


def _upgrade_file(config: Config, path: Path, raw: bytes, old: int) -> None:
    """Write the upgraded file, keeping the old one beside it; a read-only place only logs."""
    try:
        config.backup = _keep_backup(path, raw, old)
        save_config(config, path, keep_layout=False, backup=False)
    except OSError as exc:
        config.backup = None
        log.warning("accounts file %s (version %d) could not be upgraded: %s", path, old, exc)
        return
    log.warning(
        "accounts file %s upgraded from version %d to %d; the old file is kept as %s",
        path,
        old,
        CONFIG_VERSION,
        config.backup,
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
    if account.auth is None:
        data["auth"] = "none"  # TOML has no null; a missing key would mean "password"
    return data


def save_config(
    config: Config, path: Path | None = None, *, keep_layout: bool = True, backup: bool = True
) -> Path:
    """Write ``config`` atomically with owner-only permissions.

    :param keep_layout: edit the existing file in place, keeping the user's comments
        and layout (see :mod:`mailplug.config_edit`); ``False`` writes it anew (an
        upgrade from an older format, whose layout no longer applies).
    :param backup: keep the previous file as ``accounts.toml.bak``.
    """
    from . import config_edit  # tomlkit: loaded only when a file is written

    p = path or config.path or default_config_path()
    p.parent.mkdir(parents=True, exist_ok=True)
    data = {k: v for k, v in config.data.items() if k != "accounts"}
    data["version"] = CONFIG_VERSION
    if config.lang:
        data["lang"] = config.lang
    data["accounts"] = {a.name: account_to_toml_data(a) for a in config.accounts}
    try:
        previous: str | None = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        previous = None
    if previous is not None and backup:
        config_edit.keep_backup(p, previous)
    accounts = {a.name: a for a in config.accounts}

    def unchanged(name: str, written: dict[str, Any]) -> bool:
        try:
            return Account.model_validate({"name": name, **written}) == accounts.get(name)
        except ValueError:  # pydantic's ValidationError: the program's version wins
            return False

    if keep_layout and previous is not None:
        try:
            text = config_edit.edit(previous, data, unchanged=unchanged)
        except Exception:  # tomlkit refuses what tomllib read: write it anew, the .bak has it
            log.warning("accounts file %s could not be edited in place; rewritten", p)
            text = config_edit.edit(None, data)
    else:
        text = config_edit.edit(None, data) if keep_layout else dumps(data)
    config_edit.write_private(p, text)
    return p
