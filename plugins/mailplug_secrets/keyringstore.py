"""The ``keyring`` secret store: the operating system's keyring, through the ``keyring`` package.

Each secret is one keyring item: service ``mailplug``, user name
``<account>/<key>``, and as password a small JSON object ``{"value": …,
"meta": {…}}`` so the non-secret facts (when it was stored) travel with it.

Used only when the package is installed (``pip install 'mailplug[keyring]'``)
and a real backend is configured; otherwise building the store raises
``secrets.keyring_missing`` or ``secrets.keyring_unavailable`` instead of
silently falling back to a weaker place.  Keyring calls may block (an unlock
prompt), so they run in a worker thread.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from mailplug.plugin import MailplugError

from . import keys
from .entries import EntrySecretStore, new_entry

if TYPE_CHECKING:
    from pydantic import SecretStr

    from mailplug.plugin import Services

__all__ = ["SERVICE", "KeyringSecretStore"]

SERVICE = "mailplug"


def _load_keyring() -> Any:
    try:
        import keyring
    except ImportError as exc:
        raise keys.KEYRING_MISSING.error(cause=exc) from exc
    return keyring


class KeyringSecretStore(EntrySecretStore):
    """Secrets in the OS keyring.

    :param backend: a keyring backend object; default: the one ``keyring``
        selects from the system and its configuration.
    :param service: the service name items are filed under.
    :raises mailplug.ConfigurationError: the package is missing or no
        usable backend is configured.
    """

    name = "keyring"

    def __init__(self, *, backend: Any = None, service: str = SERVICE) -> None:
        module = _load_keyring()
        self._errors: tuple[type[BaseException], ...] = (module.errors.KeyringError,)
        self._absent: type[BaseException] = module.errors.PasswordDeleteError
        if backend is None:
            try:
                backend = module.get_keyring()
            except self._errors as exc:
                raise keys.KEYRING_UNAVAILABLE.error(problem=str(exc), cause=exc) from exc
        if _unusable(backend):
            raise keys.KEYRING_UNAVAILABLE.error(
                problem=f"no usable backend ({type(backend).__module__}.{type(backend).__name__})"
            )
        self.backend = backend
        self.service = service

    @classmethod
    def factory(cls, *, services: Services) -> KeyringSecretStore:
        return cls()

    def __repr__(self) -> str:
        return f"<KeyringSecretStore {type(self.backend).__name__} service={self.service!r}>"

    async def _call(self, method: str, *args: str) -> Any:
        def run() -> Any:
            return getattr(self.backend, method)(self.service, *args)

        try:
            return await asyncio.to_thread(run)
        except self._errors as exc:
            raise keys.KEYRING_UNAVAILABLE.error(
                problem=type(exc).__name__ + (f": {exc}" if str(exc) else ""), cause=exc
            ) from exc

    async def _entry(self, account: str, key: str) -> dict[str, Any] | None:
        raw = await self._call("get_password", f"{account}/{key}")
        if raw is None:
            return None
        try:
            entry = json.loads(raw)
        except json.JSONDecodeError:
            entry = None
        if not isinstance(entry, dict):
            # An item someone stored by hand: the whole password is the secret.
            return {"value": raw, "meta": {}}
        return entry

    async def set(
        self, account: str, key: str, value: SecretStr, *, meta: dict[str, Any] | None = None
    ) -> None:
        payload = json.dumps(new_entry(value, meta))
        await self._call("set_password", f"{account}/{key}", payload)

    async def delete(self, account: str, key: str) -> None:
        try:
            await self._call("delete_password", f"{account}/{key}")
        except MailplugError as exc:
            if isinstance(exc.__cause__, self._absent):
                return  # absent: nothing to forget
            raise


def _unusable(backend: Any) -> bool:
    """The ``fail`` backend (nothing found) or the ``null`` one (disabled by configuration)."""
    kind = f"{type(backend).__module__}.{type(backend).__name__}"
    if kind in {"keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"}:
        return True
    chained = getattr(backend, "backends", None)
    return chained is not None and not list(chained)
