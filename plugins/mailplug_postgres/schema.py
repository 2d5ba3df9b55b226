# ruff: noqa: S608 - SQL is built from constants and the checked schema name.
"""The outbox schema and its versioned migrations.

Every table lives in one schema (``?schema=`` in the outbox address,
``mailplug`` by default), so the outbox shares a database with the host's
own tables and is backed up with them.  ``schema_version`` holds one row
per applied migration.  Opening an outbox applies what is missing, under a
transaction-level advisory lock so servers starting together migrate once;
:func:`script` prints the same SQL for a DBA who applies it by hand
(``mailplug outbox migrate-schema --dry-run``).

Tables mirror the SQLite outbox's (``messages``, ``bodies``, ``recipients``,
``attempts``, ``accounts``; a big message's bytes are rows of ``body_chunks``, 1 MB each,
where SQLite keeps a file); ``due_at`` is set only while a message may be
claimed and ``lease_until`` only while a worker holds it, both with partial
indexes, so a claim costs the same beside a million rows of history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import keys

if TYPE_CHECKING:
    from psycopg import AsyncConnection

__all__ = ["LATEST", "MIGRATIONS", "migrate", "qualify", "script"]

#: Each migration: statements with ``{s}`` standing for the quoted schema name.  Written
#: to be run twice harmlessly (``IF NOT EXISTS``): a DBA may apply the printed script
#: to a schema that already has some of it.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: the first schema.
    (
        """CREATE TABLE IF NOT EXISTS {s}.messages (
    seq bigserial PRIMARY KEY,
    id text COLLATE "C" NOT NULL UNIQUE,
    message_id text NOT NULL UNIQUE,
    dedupe_key text,
    account text NOT NULL,
    status text NOT NULL,
    previous text,
    priority integer NOT NULL DEFAULT 3,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    send_at timestamptz,
    age_from timestamptz NOT NULL,
    due_at timestamptz,
    sent_at timestamptz,
    attempts integer NOT NULL DEFAULT 0,
    lease_owner text,
    lease_until timestamptz,
    error jsonb,
    subject text NOT NULL DEFAULT '',
    sender text NOT NULL DEFAULT '',
    to_list jsonb NOT NULL DEFAULT '[]',
    envelope_from text NOT NULL,
    smtputf8 boolean NOT NULL DEFAULT false,
    size integer NOT NULL DEFAULT 0,
    metadata jsonb
)""",
        "CREATE UNIQUE INDEX IF NOT EXISTS messages_dedupe ON {s}.messages (dedupe_key) "
        "WHERE dedupe_key IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS messages_due ON {s}.messages (priority, due_at, seq) "
        "WHERE due_at IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS messages_lease ON {s}.messages (lease_until) "
        "WHERE lease_until IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS messages_status ON {s}.messages (status, account)",
        "CREATE INDEX IF NOT EXISTS messages_created ON {s}.messages (created_at, seq)",
        """CREATE TABLE IF NOT EXISTS {s}.bodies (
    seq bigint PRIMARY KEY REFERENCES {s}.messages (seq) ON DELETE CASCADE,
    data bytea NOT NULL
)""",
        """CREATE TABLE IF NOT EXISTS {s}.recipients (
    seq bigint NOT NULL REFERENCES {s}.messages (seq) ON DELETE CASCADE,
    position integer NOT NULL,
    address text NOT NULL,
    status text NOT NULL,
    error jsonb,
    updated_at timestamptz,
    PRIMARY KEY (seq, position)
)""",
        "CREATE INDEX IF NOT EXISTS recipients_address ON {s}.recipients (lower(address))",
        """CREATE TABLE IF NOT EXISTS {s}.attempts (
    n bigserial PRIMARY KEY,
    seq bigint NOT NULL REFERENCES {s}.messages (seq) ON DELETE CASCADE,
    at timestamptz NOT NULL,
    account text NOT NULL,
    outcome text NOT NULL,
    host text,
    code integer,
    enhanced text,
    text text,
    error_key text,
    error jsonb,
    duration double precision NOT NULL DEFAULT 0,
    counted boolean NOT NULL DEFAULT true,
    recipients jsonb,
    worker text
)""",
        "CREATE INDEX IF NOT EXISTS attempts_seq ON {s}.attempts (seq)",
        """CREATE TABLE IF NOT EXISTS {s}.accounts (
    name text PRIMARY KEY,
    since timestamptz NOT NULL,
    until timestamptz,
    fingerprint text,
    error jsonb
)""",
    ),
    # 2: copies of sent mail for the Sent folder (mailplug_postgres.tracking).
    (
        """CREATE TABLE IF NOT EXISTS {s}.sent_copies (
    seq bigint PRIMARY KEY REFERENCES {s}.messages (seq) ON DELETE CASCADE,
    status text NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    due_at timestamptz,
    lease_owner text,
    lease_until timestamptz,
    error jsonb,
    folder text,
    saved_at timestamptz
)""",
        "CREATE INDEX IF NOT EXISTS sent_copies_due ON {s}.sent_copies (due_at) "
        "WHERE due_at IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS sent_copies_lease ON {s}.sent_copies (lease_until) "
        "WHERE lease_until IS NOT NULL",
    ),
    # 3: big messages in 1 MB rows (bodies.data is then empty): never whole in memory.
    (
        """CREATE TABLE IF NOT EXISTS {s}.body_chunks (
    seq bigint NOT NULL REFERENCES {s}.messages (seq) ON DELETE CASCADE,
    n integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (seq, n)
)""",
    ),
    # 4: send slots of rate-limited accounts, shared by every worker (rate_limit_per_minute
    # as the next free time of a token bucket, daily_limit as a count per day).
    (
        """CREATE TABLE IF NOT EXISTS {s}.send_limits (
    account text PRIMARY KEY,
    tat timestamptz,
    day_end timestamptz,
    day_count integer NOT NULL DEFAULT 0
)""",
    ),
)

LATEST = len(MIGRATIONS)

_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS {s}.schema_version "
    "(version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
)


def qualify(sql: str, schema: str) -> str:
    """``sql`` with ``{s}`` replaced by the quoted schema name.

    The name was checked against ``[a-z_][a-z0-9_]*`` when the address was
    parsed, so quoting it is all that is needed.
    """
    return sql.replace("{s}", f'"{schema}"')


def _lock_key(schema: str) -> str:
    return f"SELECT pg_advisory_xact_lock(hashtext('mailplug.migrate.{schema}'))"


def script(schema: str, *, since: int = 0) -> str:
    """The SQL that brings a schema at version ``since`` to :data:`LATEST`, as one transaction."""
    lines = ["BEGIN;", _lock_key(schema) + ";"]
    lines.append(qualify("CREATE SCHEMA IF NOT EXISTS {s}", schema) + ";")
    lines.append(qualify(_VERSION_TABLE, schema) + ";")
    for number in range(since, LATEST):
        lines.append(f"-- migration {number + 1}")
        lines += [qualify(statement, schema) + ";" for statement in MIGRATIONS[number]]
        insert = (
            f"INSERT INTO {{s}}.schema_version (version) VALUES ({number + 1}) "
            "ON CONFLICT DO NOTHING;"
        )
        lines.append(qualify(insert, schema))
    lines.append("COMMIT;")
    return "\n".join(lines) + "\n"


async def version(conn: AsyncConnection[Any], schema: str) -> int:
    """The schema's version (0: not created yet)."""
    cur = await conn.execute(
        "SELECT to_regclass(%s) IS NOT NULL", (qualify("{s}.schema_version", schema),)
    )
    row = await cur.fetchone()
    if not row or not row[0]:
        return 0
    cur = await conn.execute(
        qualify("SELECT coalesce(max(version), 0) FROM {s}.schema_version", schema)
    )
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def migrate(conn: AsyncConnection[Any], schema: str, where: str) -> int:
    """Bring ``schema`` to :data:`LATEST` in one transaction; returns the version found.

    :raises mailplug.errors.StorageError: the schema is newer than this mailplug
        (``storage.postgres.schema_too_new``).
    """
    found = await version(conn, schema)
    if found == LATEST:
        return found
    if found > LATEST:
        raise keys.POSTGRES_SCHEMA_TOO_NEW.error(where=where, found=found, supported=LATEST)
    async with conn.transaction():
        await conn.execute(_lock_key(schema))
        # Another server may have migrated while this one waited for the lock.
        await conn.execute(qualify("CREATE SCHEMA IF NOT EXISTS {s}", schema))
        await conn.execute(qualify(_VERSION_TABLE, schema))
        current = await version(conn, schema)
        for number in range(current, LATEST):
            for statement in MIGRATIONS[number]:
                await conn.execute(qualify(statement, schema))
            await conn.execute(
                qualify("INSERT INTO {s}.schema_version (version) VALUES (%s)", schema),
                (number + 1,),
            )
    return found
