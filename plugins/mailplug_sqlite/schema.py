"""The outbox schema and its migrations (``PRAGMA user_version`` holds the version).

Tables:

``messages``
    One row per message: metadata shown in lists and the state machine
    columns.  ``due_at`` is set only while the message may be claimed
    (queued, deferred, uncertain under the retry policy); ``lease_until`` only
    while a worker holds it.  Both have partial indexes, so claiming costs
    the same with a million rows of history as with none.
``bodies``
    The rendered bytes, kept apart so scans of ``messages`` stay small; a big
    message's bytes are a file beside the database instead (``file`` holds its
    SHA-256, ``data`` is empty: see :mod:`.bodyfiles`).
``recipients``
    Per-recipient state and the server's last word.
``attempts``
    The full attempt history (append-only).
``accounts``
    Paused and held accounts.
``sent_copies``
    The copy of a sent message for the account's Sent folder: pending (``due_at``
    set while it may be claimed), saved or given up.

Times are stored as UNIX seconds (UTC, REAL).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from mailplug.plugin import keys as core_keys

__all__ = ["LATEST", "MIGRATIONS", "migrate"]

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: the first schema.
    (
        """
        CREATE TABLE messages (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            message_id TEXT NOT NULL UNIQUE,
            dedupe_key TEXT,
            account TEXT NOT NULL,
            status TEXT NOT NULL,
            previous TEXT,
            priority INTEGER NOT NULL DEFAULT 3,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            send_at REAL,
            age_from REAL NOT NULL,
            due_at REAL,
            sent_at REAL,
            attempts INTEGER NOT NULL DEFAULT 0,
            lease_owner TEXT,
            lease_until REAL,
            error TEXT,
            subject TEXT NOT NULL DEFAULT '',
            sender TEXT NOT NULL DEFAULT '',
            to_list TEXT NOT NULL DEFAULT '[]',
            envelope_from TEXT NOT NULL,
            smtputf8 INTEGER NOT NULL DEFAULT 0,
            size INTEGER NOT NULL DEFAULT 0,
            metadata TEXT
        )
        """,
        "CREATE UNIQUE INDEX messages_dedupe ON messages(dedupe_key) WHERE dedupe_key IS NOT NULL",
        "CREATE INDEX messages_due ON messages(priority, due_at) WHERE due_at IS NOT NULL",
        "CREATE INDEX messages_lease ON messages(lease_until) WHERE lease_until IS NOT NULL",
        "CREATE INDEX messages_status ON messages(status)",
        """
        CREATE TABLE bodies (
            seq INTEGER PRIMARY KEY REFERENCES messages(seq) ON DELETE CASCADE,
            data BLOB NOT NULL
        )
        """,
        """
        CREATE TABLE recipients (
            seq INTEGER NOT NULL REFERENCES messages(seq) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            address TEXT NOT NULL,
            status TEXT NOT NULL,
            error TEXT,
            updated_at REAL,
            PRIMARY KEY (seq, position)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX recipients_address ON recipients(address COLLATE NOCASE)",
        """
        CREATE TABLE attempts (
            seq INTEGER NOT NULL REFERENCES messages(seq) ON DELETE CASCADE,
            at REAL NOT NULL,
            account TEXT NOT NULL,
            outcome TEXT NOT NULL,
            host TEXT,
            code INTEGER,
            enhanced TEXT,
            text TEXT,
            error_key TEXT,
            error TEXT,
            duration REAL NOT NULL DEFAULT 0,
            counted INTEGER NOT NULL DEFAULT 1,
            recipients TEXT,
            worker TEXT
        )
        """,
        "CREATE INDEX attempts_seq ON attempts(seq)",
        """
        CREATE TABLE accounts (
            name TEXT PRIMARY KEY,
            since REAL NOT NULL,
            until REAL,
            fingerprint TEXT,
            error TEXT
        )
        """,
    ),
    # 2: copies of sent mail for the Sent folder (kept apart: a sent message that wants
    # none has no row, and the hot paths never read the table).
    (
        """
        CREATE TABLE sent_copies (
            seq INTEGER PRIMARY KEY REFERENCES messages(seq) ON DELETE CASCADE,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            due_at REAL,
            lease_owner TEXT,
            lease_until REAL,
            error TEXT,
            folder TEXT,
            saved_at REAL
        )
        """,
        "CREATE INDEX sent_copies_due ON sent_copies(due_at) WHERE due_at IS NOT NULL",
    ),
    # 3: big bodies in files (bodies.file); lists ordered by queue time use an index.
    (
        "ALTER TABLE bodies ADD COLUMN file TEXT",
        "CREATE INDEX bodies_file ON bodies(file) WHERE file IS NOT NULL",
        "CREATE INDEX messages_created ON messages(created_at, seq)",
    ),
)

LATEST = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, path: Path, *, read_only: bool = False) -> int:
    """Bring the schema to :data:`LATEST`; returns the version found.

    Each step runs in its own ``BEGIN IMMEDIATE`` transaction and re-reads the
    version inside it, so two processes opening a new outbox at once do not
    both migrate.

    :raises mailplug.errors.VersionError: the file was written by a newer mailplug.
    """
    found = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if found > LATEST:
        raise core_keys.VERSION_TOO_NEW.error(file=str(path), found=found, supported=LATEST)
    if found == LATEST or read_only:
        return found
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version >= LATEST:
                conn.execute("COMMIT")
                return found
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
