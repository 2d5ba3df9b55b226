"""Hook implementations of the built-in sqlite plugin: the local outbox.

Its error keys (``storage.*``, ``outbox.*``) are the core's: the core registers them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mailplug.plugin import hookimpl

if TYPE_CHECKING:
    from mailplug.plugin import Command, ErrorSpec, Outbox, Services, Text


async def _open_outbox(location: Any = None, *, services: Services, **options: Any) -> Outbox:
    # Imported on first use: building a mailer must not load the SQLite outbox code.
    from .outbox import open_outbox

    return await open_outbox(location, services=services, **options)


@hookimpl(trylast=True)
def mailplug_register_storage(register: Callable[[str, Callable[..., object]], None]) -> None:
    register("sqlite", _open_outbox)


@hookimpl(trylast=True)
def mailplug_register_commands(register: Callable[[Command], None]) -> None:
    from .cli import COMMANDS

    for command in COMMANDS:
        register(command)


@hookimpl(trylast=True)
def mailplug_register_messages(register: Callable[[ErrorSpec | Text], None]) -> None:
    from .texts import SQLITE_TEXTS

    for text in SQLITE_TEXTS:
        register(text)
