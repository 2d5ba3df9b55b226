"""Hook implementations of the built-in sqlite plugin: the local outbox.

Its error keys (``storage.*``, ``outbox.*``) are the core's: the core registers them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mailplug.plugin import hookimpl

if TYPE_CHECKING:
    from mailplug.plugin import Outbox, Services


async def _open_outbox(location: Any = None, *, services: Services, **options: Any) -> Outbox:
    # Imported on first use: building a mailer must not load the SQLite outbox code.
    from .outbox import open_outbox

    return await open_outbox(location, services=services, **options)


@hookimpl(trylast=True)
def mailplug_register_storage(register: Callable[[str, Callable[..., object]], None]) -> None:
    register("sqlite", _open_outbox)
