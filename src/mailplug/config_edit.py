"""Writing the accounts file back without losing what the user wrote in it.

``accounts add`` (and every other change) edits the existing file in place with
tomlkit — chosen because it is the well-kept, style-preserving TOML library
(used by Poetry): comments, blank lines, key order and quoting of untouched
values stay as the user left them; only the values that changed are rewritten.
The previous file is kept as ``accounts.toml.bak`` (owner-only, like the file).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.container import Container
from tomlkit.items import InlineTable, Table

Mapping = Container | Table | InlineTable


def backup_path(path: Path) -> Path:
    """``accounts.toml`` → ``accounts.toml.bak``."""
    return path.with_name(path.name + ".bak")


def _plain(value: Any) -> Any:
    unwrap = getattr(value, "unwrap", None)
    return unwrap() if callable(unwrap) else value


def _item(value: Any, *, inline: bool) -> Any:
    """A new TOML value; tables nested in an account are written inline (``settings = {…}``)."""
    if isinstance(value, dict):
        table = tomlkit.inline_table() if inline else tomlkit.table()
        for key, inner in value.items():
            table[key] = _item(inner, inline=True)
        return table
    return value


def _merge(target: Mapping, data: dict[str, Any], *, inline: bool) -> None:
    """Make ``target`` hold ``data``, touching only keys whose value changed."""
    for key in [k for k in target if k not in data]:
        del target[key]
    for key, value in data.items():
        current = target.get(key)
        if isinstance(value, dict) and isinstance(current, (Table, InlineTable)):
            _merge(current, value, inline=True)
        elif current is None or _plain(current) != value:
            target[key] = _item(value, inline=inline)


def edit(
    existing: str | None,
    data: dict[str, Any],
    *,
    unchanged: Callable[[str, dict[str, Any]], bool] | None = None,
) -> str:
    """The accounts-file text holding ``data``: ``existing`` edited, or a new file.

    ``data`` has the accounts-file shape (top-level scalars, ``accounts`` a table of
    tables).  Only the keys of ``data`` are kept; the rest of ``existing`` (comments,
    layout) is left as it was.

    :param unchanged: ``unchanged(name, written)`` tells whether the account ``name``
        as the file has it (``written``) means the same as ``data`` has it; such an
        account is left exactly as written (``data`` omits default values, which a
        user may have spelled out).
    """
    doc = tomlkit.parse(existing) if existing is not None else tomlkit.document()
    top = {k: v for k, v in data.items() if k != "accounts"}
    for key in [k for k in doc if k != "accounts" and k not in top]:
        del doc[key]
    for key, value in top.items():
        if key not in doc or _plain(doc[key]) != value:
            doc[key] = _item(value, inline=True)
    accounts = data.get("accounts", {})
    if "accounts" not in doc:
        doc.add(tomlkit.nl())
        doc["accounts"] = tomlkit.table(is_super_table=True)
    table = doc["accounts"]
    assert isinstance(table, Table)
    for name in [n for n in table if n not in accounts]:
        del table[name]
    for name, entry in accounts.items():
        current = table.get(name)
        if (
            isinstance(current, Table)
            and unchanged is not None
            and unchanged(name, _plain(current))
        ):
            continue
        if isinstance(current, Table):
            _merge(current, entry, inline=True)
        else:
            new = tomlkit.table()
            for key, value in entry.items():
                new[key] = _item(value, inline=True)
            table[name] = new
    return tomlkit.dumps(doc)


def write_private(path: Path, text: str) -> None:
    """Write ``path`` atomically (a temporary file, then a rename), owner-only."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def keep_backup(path: Path, text: str) -> Path:
    """Keep ``text`` (the file before this change) as ``accounts.toml.bak``, owner-only."""
    backup = backup_path(path)
    write_private(backup, text)
    os.chmod(backup, 0o600)  # an older .bak may have been readable by others
    return backup
