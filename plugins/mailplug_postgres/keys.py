"""Error keys of the PostgreSQL outbox (``storage.postgres.*``).

Failures every storage shares (disk full, read-only) reuse the core's
``storage.*`` keys from :mod:`mailplug.plugin.outbox_keys`; these are the
ones only a database server has: it is down, it refuses the password, the
connection drops, two workers' transactions collide.  Every text says that
the mail already stored is safe: nothing is lost by these failures.
"""

from __future__ import annotations

from mailplug.plugin import Category, ErrorSpec, StorageError

C = Category

_KEPT = "Messages already in the outbox are kept."

POSTGRES_UNREACHABLE = ErrorSpec(
    "storage.postgres.unreachable",
    C.CONNECTION,
    True,
    "The outbox database {where} cannot be reached ({problem}).",
    "Check that the PostgreSQL server is running and that its host name and port in the "
    "outbox address are right; sending resumes when it answers again. " + _KEPT,
    exception=StorageError,
)
POSTGRES_AUTH_FAILED = ErrorSpec(
    "storage.postgres.auth_failed",
    C.AUTHENTICATION,
    False,
    "The outbox database {where} refused the user name or password.",
    "Check the user and password in the outbox address (or in ~/.pgpass) and that the "
    "server's pg_hba.conf lets this user connect from here. " + _KEPT,
    exception=StorageError,
)
POSTGRES_CONNECTION_LOST = ErrorSpec(
    "storage.postgres.connection_lost",
    C.CONNECTION,
    True,
    "The connection to the outbox database {where} was lost ({problem}).",
    "Nothing needs to be done: the unfinished step is repeated on a new connection, and "
    "messages that were being sent are sent again after their lease expires. " + _KEPT,
    exception=StorageError,
)
POSTGRES_CONFLICT = ErrorSpec(
    "storage.postgres.conflict",
    C.FILE,
    True,
    "The outbox database {where} kept refusing a change because other workers changed the "
    "same messages at the same time ({problem}).",
    "Try again in a moment; if it keeps happening, run fewer workers at once. " + _KEPT,
    exception=StorageError,
)
POSTGRES_BAD_ADDRESS = ErrorSpec(
    "storage.postgres.bad_address",
    C.CONFIGURATION,
    False,
    "The outbox address is not a valid PostgreSQL address: {problem}.",
    "Write it as postgresql://user@host:5432/database?schema=mailplug (the schema name in "
    "lower-case letters, digits and _).",
    exception=StorageError,
)
POSTGRES_DRIVER_MISSING = ErrorSpec(
    "storage.postgres.driver_missing",
    C.CONFIGURATION,
    False,
    "The outbox is in PostgreSQL, but the PostgreSQL driver is not installed ({problem}).",
    "Install mailplug with its PostgreSQL extra: pip install 'mailplug[postgres]'.",
    exception=StorageError,
)
POSTGRES_SCHEMA_TOO_NEW = ErrorSpec(
    "storage.postgres.schema_too_new",
    C.VERSION,
    False,
    "The outbox schema in {where} has version {found}, newer than this mailplug knows "
    "({supported}).",
    "Update mailplug on this machine to the version the other servers run. " + _KEPT,
    exception=StorageError,
)
POSTGRES_NOT_A_CONNECTION = ErrorSpec(
    "storage.postgres.not_a_connection",
    C.CONFIGURATION,
    False,
    "The connection given for storing mail in the application's transaction is not a "
    "PostgreSQL connection ({kind}).",
    "Pass the psycopg 3 connection the application's data is written through (Django: "
    "django.db.connection), inside its open transaction.",
    exception=StorageError,
)

POSTGRES_ERRORS: tuple[ErrorSpec, ...] = (
    POSTGRES_UNREACHABLE,
    POSTGRES_AUTH_FAILED,
    POSTGRES_CONNECTION_LOST,
    POSTGRES_CONFLICT,
    POSTGRES_BAD_ADDRESS,
    POSTGRES_DRIVER_MISSING,
    POSTGRES_SCHEMA_TOO_NEW,
    POSTGRES_NOT_A_CONNECTION,
)
