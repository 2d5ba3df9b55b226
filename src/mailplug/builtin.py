"""The core's own plugin: registers the core error keys and texts."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .errors import ErrorSpec, Text
from .hookspecs import hookimpl
from .keys import CORE_ERRORS
from .texts import CORE_TEXTS

if TYPE_CHECKING:
    from .auth import Authenticator
    from .models import Account
    from .services import Services
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
    for spec in CORE_ERRORS:
        register(spec)
    for text in CORE_TEXTS:
        register(text)
