"""The core's own plugin: the core's keys, texts and catalogs, the presets, the memory transport.

Every key the core raises is registered here, by the core — the outbox's
``storage.*``/``outbox.*`` keys, the import keys, the account check's keys —
so they render whichever plugins are installed (a PostgreSQL outbox, no
SQLite).  A plugin registers only its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .check_keys import CHECK_ERRORS, CHECK_TEXTS
from .hookspecs import hookimpl
from .i18n import core_catalog_files, language_pack_files
from .importers import IMPORT_ERRORS, IMPORT_TEXTS
from .keys import CORE_ERRORS
from .outbox_keys import OUTBOX_MESSAGES
from .texts import CORE_TEXTS
from .transport import RECIPIENTS_REFUSED

if TYPE_CHECKING:
    from .auth import Authenticator
    from .errors import ErrorSpec
    from .models import Account
    from .presets import Preset
    from .services import Services
    from .text import CatalogFile, Text
    from .transport import Transport, TransportFactory


def _memory_transport(
    account: Account, *, auth: Authenticator | None, services: Services
) -> Transport:
    from .testing import MemoryTransport

    return MemoryTransport(account)


@hookimpl(trylast=True)
def mailplug_register_transports(register: Callable[[str, TransportFactory], None]) -> None:
    register("memory", _memory_transport)


@hookimpl(trylast=True)
def mailplug_register_messages(register: Callable[[ErrorSpec | Text], None]) -> None:
    from .presets import PRESET_TEXTS

    for spec in (*CORE_ERRORS, RECIPIENTS_REFUSED, *OUTBOX_MESSAGES, *IMPORT_ERRORS, *CHECK_ERRORS):
        register(spec)
    for text in (*CORE_TEXTS, *IMPORT_TEXTS, *CHECK_TEXTS, *PRESET_TEXTS):
        register(text)


@hookimpl(trylast=True)
def mailplug_register_catalogs(register: Callable[[str, CatalogFile], None]) -> None:
    # Language packages first: a package may also correct a shipped language.
    for lang, path in (*language_pack_files(), *core_catalog_files()):
        register(lang, path)


@hookimpl(trylast=True)
def mailplug_register_presets(register: Callable[[Preset], None]) -> None:
    from .presets import register_builtin

    register_builtin(register)
