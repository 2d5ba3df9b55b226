"""What both stores keep for a secret: an entry ``{"value": "…", "meta": {…}}``."""

from __future__ import annotations

import abc
from typing import Any

from pydantic import SecretStr

from mailplug.plugin import SecretStore

__all__ = ["EntrySecretStore", "new_entry"]


def new_entry(value: SecretStr, meta: dict[str, Any] | None) -> dict[str, Any]:
    """The entry to store for ``value`` (``meta``: its non-secret facts)."""
    return {"value": value.get_secret_value(), "meta": dict(meta or {})}


class EntrySecretStore(SecretStore):
    """A secret store that finds one entry per secret (:meth:`_entry`) and reads both halves."""

    @abc.abstractmethod
    async def _entry(self, account: str, key: str) -> dict[str, Any] | None:
        """The stored entry, or ``None``."""

    async def get(self, account: str, key: str) -> SecretStr | None:
        entry = await self._entry(account, key)
        value = entry.get("value") if entry else None
        return SecretStr(value) if isinstance(value, str) else None

    async def meta(self, account: str, key: str) -> dict[str, Any] | None:
        entry = await self._entry(account, key)
        meta = entry.get("meta") if entry else None
        return dict(meta) if isinstance(meta, dict) else None
