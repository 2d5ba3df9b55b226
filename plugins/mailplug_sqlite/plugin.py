"""Hook implementations of the built-in sqlite plugin: the local outbox and its messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mailplug.hookspecs import hookimpl

if TYPE_CHECKING:
    from mailplug.errors import ErrorSpec, Text


@hookimpl(trylast=True)
def mailplug_register_storage(register: Callable[[str, Callable[..., object]], None]) -> None:
    from .outbox import open_outbox

    register("sqlite", open_outbox)


@hookimpl(trylast=True)
def mailplug_register_messages(register: Callable[[ErrorSpec | Text], None]) -> None:
    from mailplug.outbox_keys import OUTBOX_MESSAGES

    for item in OUTBOX_MESSAGES:
        register(item)
