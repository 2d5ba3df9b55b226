"""The boundary between psycopg and mailplug: database errors → ``storage.*`` keys.

A table, not a ladder: the SQLSTATE (exact, then its class) names the key.
Errors without a SQLSTATE come from the connection itself (refused, timed
out, dropped) and are told apart by whether a connection was ever made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mailplug.plugin import ErrorSpec, MailplugError, outbox_keys

from . import keys

if TYPE_CHECKING:
    import psycopg

__all__ = ["RETRY_SQLSTATES", "storage_error"]

#: Transactions that lost a race with another worker: run again as they are.
RETRY_SQLSTATES = frozenset({"40001", "40P01"})

_BY_SQLSTATE: dict[str, ErrorSpec] = {
    "53100": outbox_keys.STORAGE_DISK_FULL,  # disk_full
    "25006": outbox_keys.STORAGE_READ_ONLY,  # read_only_sql_transaction (a standby)
    "28P01": keys.POSTGRES_AUTH_FAILED,  # invalid_password
    "28000": keys.POSTGRES_AUTH_FAILED,  # invalid_authorization_specification
    "42501": outbox_keys.STORAGE_CANNOT_OPEN,  # insufficient_privilege
    "3D000": outbox_keys.STORAGE_CANNOT_OPEN,  # invalid_catalog_name (no such database)
    "40001": keys.POSTGRES_CONFLICT,  # serialization_failure
    "40P01": keys.POSTGRES_CONFLICT,  # deadlock_detected
    "57P01": keys.POSTGRES_CONNECTION_LOST,  # admin_shutdown
    "57P02": keys.POSTGRES_CONNECTION_LOST,  # crash_shutdown
    "57P03": keys.POSTGRES_UNREACHABLE,  # cannot_connect_now (starting up)
    "08001": keys.POSTGRES_UNREACHABLE,  # sqlclient_unable_to_establish_sqlconnection
    "08004": keys.POSTGRES_UNREACHABLE,  # sqlserver_rejected_establishment_of_sqlconnection
}
_BY_CLASS: dict[str, ErrorSpec] = {
    "08": keys.POSTGRES_CONNECTION_LOST,  # connection exception
    "53": outbox_keys.STORAGE_IO,  # insufficient resources (out of memory, too many connections)
    "57": keys.POSTGRES_CONNECTION_LOST,  # operator intervention
    "58": outbox_keys.STORAGE_IO,  # system error (I/O)
    "XX": outbox_keys.STORAGE_CORRUPT,  # internal error (data corrupted)
}
#: Connection failures carry no SQLSTATE: the server's words tell them apart.
_CONNECT_WORDS: dict[str, ErrorSpec] = {
    "password authentication failed": keys.POSTGRES_AUTH_FAILED,
    "no password supplied": keys.POSTGRES_AUTH_FAILED,
    "no pg_hba.conf entry": keys.POSTGRES_AUTH_FAILED,
    "does not exist": outbox_keys.STORAGE_CANNOT_OPEN,  # database or role
}


def _problem(exc: BaseException) -> str:
    # The first line only: libpq's later lines repeat the host; never a password.
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def storage_error(exc: psycopg.Error, where: str, *, connecting: bool = False) -> MailplugError:
    """The error a person can act on for a psycopg error on the outbox at ``where``."""
    state = exc.sqlstate or ""
    problem = _problem(exc)
    spec = _BY_SQLSTATE.get(state) or _BY_CLASS.get(state[:2])
    if spec is None:
        import psycopg

        text = str(exc)
        worded = [s for words, s in _CONNECT_WORDS.items() if words in text]
        if worded and isinstance(exc, psycopg.OperationalError) and not state:
            spec = worded[0]
        elif isinstance(exc, psycopg.OperationalError) and not state:
            spec = keys.POSTGRES_UNREACHABLE if connecting else keys.POSTGRES_CONNECTION_LOST
        else:
            spec = outbox_keys.STORAGE_IO
    return spec.error(where=where, file=where, problem=problem, cause=exc)


def is_connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` means the connection broke (the step can run again on another)."""
    import psycopg

    if not isinstance(exc, psycopg.OperationalError):
        return False
    state = exc.sqlstate or ""
    return not state or state[:2] in {"08", "57"}
