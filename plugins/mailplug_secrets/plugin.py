"""Hook implementations of the built-in secret-store plugin: ``file`` and ``keyring``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mailplug.plugin import hookimpl

from .filestore import FileSecretStore
from .keyringstore import KeyringSecretStore
from .keys import SECRETS_ERRORS

if TYPE_CHECKING:
    from mailplug.plugin import ErrorSpec, SecretStoreFactory, Text


@hookimpl(trylast=True)
def mailplug_register_secret_stores(register: Callable[[str, SecretStoreFactory], None]) -> None:
    register("file", FileSecretStore.factory)
    register("keyring", KeyringSecretStore.factory)


@hookimpl(trylast=True)
def mailplug_register_messages(register: Callable[[ErrorSpec | Text], None]) -> None:
    for spec in SECRETS_ERRORS:
        register(spec)
