"""Hook implementations of the built-in postgres plugin: the shared outbox.

Registered as the storage ``postgresql`` (and ``postgres``): an outbox
address ``postgresql://…`` selects it by its scheme.  psycopg is imported on
first use, so a host without the ``postgres`` extra loads this plugin fine
and only hears about the missing driver (``storage.postgres.driver_missing``)
when it points the outbox at PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mailplug.plugin import hookimpl

if TYPE_CHECKING:
    from mailplug.plugin import Command, ErrorSpec, Outbox, Services, Text


async def _open_outbox(location: Any = None, *, services: Services, **options: Any) -> Outbox:
    try:
        from .outbox import open_outbox
    except ImportError as exc:
        from .keys import POSTGRES_DRIVER_MISSING

        raise POSTGRES_DRIVER_MISSING.error(problem=str(exc), cause=exc) from exc
    return await open_outbox(location, services=services, **options)


@hookimpl(trylast=True)
def mailplug_register_storage(register: Callable[[str, Callable[..., object]], None]) -> None:
    from .options import SCHEMES

    for scheme in SCHEMES:
        register(scheme, _open_outbox)


@hookimpl(trylast=True)
def mailplug_register_messages(register: Callable[[ErrorSpec | Text], None]) -> None:
    from .keys import POSTGRES_ERRORS

    for spec in POSTGRES_ERRORS:
        register(spec)


@hookimpl(trylast=True)
def mailplug_register_commands(register: Callable[[Command], None]) -> None:
    from .cli import MIGRATE_SCHEMA, MOVE

    register(MIGRATE_SCHEMA)
    register(MOVE)
