"""The host's own connection, for enqueueing inside the host's transaction.

A host hands :meth:`~mailplug_postgres.outbox.PostgresOutbox.insert_within`
the connection its business data is written through: a psycopg 3
``AsyncConnection`` (async hosts), a ``Connection`` (Django and other
synchronous hosts), a cursor of either, or Django's connection wrapper.
The SQL is written once, against the async interface; a synchronous
connection is seen through :class:`SyncConnection`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any, cast

import psycopg

from . import keys

__all__ = ["SyncConnection", "host_connection"]


class _Cursor:
    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()


class SyncConnection:
    """A synchronous psycopg connection behind the async methods the outbox's SQL uses.

    Its calls block the event loop while they run: they are the host's own
    statements on the host's own connection, as short as any the host makes.
    """

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    async def execute(self, query: Any, params: Any = None) -> _Cursor:
        return _Cursor(self._conn.execute(query, params))

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        # Inside the host's transaction this is a savepoint; the host commits.
        with self._conn.transaction():
            yield


def host_connection(connection: Any) -> psycopg.AsyncConnection[Any]:
    """The connection to write through, from what the host handed over.

    :raises mailplug.errors.StorageError: ``storage.postgres.not_a_connection``.
    """
    if isinstance(connection, psycopg.AsyncCursor | psycopg.Cursor):
        connection = connection.connection
    if not isinstance(connection, psycopg.AsyncConnection | psycopg.Connection):
        ensure = getattr(connection, "ensure_connection", None)
        if callable(ensure):  # Django's DatabaseWrapper: its psycopg connection
            ensure()
            connection = getattr(connection, "connection", None)
    if isinstance(connection, psycopg.AsyncConnection):
        return connection
    if isinstance(connection, psycopg.Connection):
        return cast("psycopg.AsyncConnection[Any]", SyncConnection(connection))
    raise keys.POSTGRES_NOT_A_CONNECTION.error(kind=type(connection).__name__)
