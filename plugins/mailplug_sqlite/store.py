# ruff: noqa: S608 - SQL is built from constants and "?" lists only; every value is a parameter.
"""The SQL of the outbox: plain functions run on the database thread.

Each function takes the connection first and is one transaction.  Writers
use ``BEGIN IMMEDIATE``: the write lock is taken before anything is read, so
two processes claiming at once serialize and never get the same row.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mailplug.plugin import (
    WAITING_STATUSES,
    AccountPause,
    Added,
    Attempt,
    Body,
    Change,
    Claim,
    CopyStatus,
    Envelope,
    ErrorInfo,
    Filter,
    NewEntry,
    OutboxEntry,
    Outcome,
    RecipientState,
    RecipientStatus,
    SentCopy,
    Status,
    as_bytes,
    new_id,
    outbox_keys,
    size_of,
)

from . import bodyfiles

#: Statuses a person may retry.
RETRYABLE = (Status.QUEUED, Status.DEFERRED, Status.UNCERTAIN, Status.FAILED, Status.PARTIAL)
#: Statuses a person may cancel.
CANCELLABLE = (Status.QUEUED, Status.DEFERRED, Status.UNCERTAIN)
_CHUNK = 500  # ids per IN (...) list


def ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


def _dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def _json(info: ErrorInfo | None) -> str | None:
    return json.dumps(info.to_dict(), ensure_ascii=False) if info is not None else None


def _info(text: str | None) -> ErrorInfo | None:
    return ErrorInfo.from_dict(json.loads(text)) if text else None


_STATUS = {str(s): s for s in Status}
_RSTATUS = {str(s): s for s in RecipientStatus}


def _tuples(conn: sqlite3.Connection, sql: str, params: Any = ()) -> sqlite3.Cursor:
    """Plain tuples (hot paths: cheaper than :class:`sqlite3.Row`)."""
    cur = conn.cursor()
    cur.row_factory = None
    return cur.execute(sql, params)


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


@contextlib.contextmanager
def write(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise


@contextlib.contextmanager
def read(conn: sqlite3.Connection) -> Iterator[None]:
    """A consistent snapshot across several SELECTs."""
    conn.execute("BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


# -- adding ---------------------------------------------------------------------


def insert(
    conn: sqlite3.Connection,
    entries: Sequence[NewEntry],
    now: datetime,
    folder: Path | None = None,
    files: dict[str, tuple[str, Body]] | None = None,
) -> list[Added]:
    """Store a batch in one transaction; repeats (Message-ID or dedupe key) are skipped.

    :param files: entry id → (digest, body) of the bodies already written as files
        into ``folder`` (:func:`.bodyfiles.write`); their rows name the file.
    """
    out: list[Added] = []
    files = files or {}
    with write(conn):
        if files:
            assert folder is not None
            bodyfiles.ensure(folder, files)
        existing = _existing(conn, entries)
        fresh: list[NewEntry] = []
        for entry in entries:
            found = existing.get(entry.message_id) or (
                existing.get(f"key:{entry.dedupe_key}") if entry.dedupe_key else None
            )
            if found is None:
                fresh.append(entry)
                # A repeat inside the same batch points at the first one.
                existing[entry.message_id] = entry.id
                if entry.dedupe_key:
                    existing[f"key:{entry.dedupe_key}"] = entry.id
                out.append(Added(entry.id, True, _inserted(entry, entry.id, now)))
            else:
                out.append(Added(found, False))
        if fresh:
            try:
                with _savepoint(conn):
                    _insert_fast(conn, fresh, now, files)
            except sqlite3.IntegrityError:
                # An id drawn twice (astronomically rare): go one by one, redrawing ids.
                out = [_insert_one(conn, entry, now, files) for entry in entries]
    return out


@contextlib.contextmanager
def _savepoint(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("SAVEPOINT batch")
    try:
        yield
    except BaseException:
        # SQLite may already have rolled the whole transaction back (disk full):
        # then there is no savepoint left, and the original error is what counts.
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK TO batch")
                conn.execute("RELEASE batch")
        raise
    conn.execute("RELEASE batch")


def _existing(conn: sqlite3.Connection, entries: Sequence[NewEntry]) -> dict[str, str]:
    found: dict[str, str] = {}
    mids = [e.message_id for e in entries]
    for chunk in _chunks(mids):
        for mid, entry_id in conn.execute(
            f"SELECT message_id, id FROM messages WHERE message_id IN ({_marks(len(chunk))})",
            chunk,
        ):
            found[mid] = entry_id
    keys = [e.dedupe_key for e in entries if e.dedupe_key]
    for chunk in _chunks(keys):
        for key, entry_id in conn.execute(
            f"SELECT dedupe_key, id FROM messages WHERE dedupe_key IN ({_marks(len(chunk))})",
            chunk,
        ):
            found[f"key:{key}"] = entry_id
    return found


def _body_row(
    seq: int, entry: NewEntry, files: dict[str, tuple[str, Body]]
) -> tuple[int, bytes, str | None]:
    stored = files.get(entry.id)
    if stored is not None:
        return seq, b"", stored[0]
    return seq, as_bytes(entry.data), None


_INSERT_BODY = "INSERT INTO bodies (seq, data, file) VALUES (?, ?, ?)"


def _insert_fast(
    conn: sqlite3.Connection,
    entries: Sequence[NewEntry],
    now: datetime,
    files: dict[str, tuple[str, Body]],
) -> None:
    # Holding the write lock, the next rowids are ours: number the rows here so the
    # three tables fill with one executemany each.
    first = int(conn.execute("SELECT coalesce(max(seq), 0) FROM messages").fetchone()[0]) + 1
    stamp = ts(now)
    rows = []
    bodies = []
    rcpts = []
    for seq, entry in enumerate(entries, start=first):
        rows.append((seq, *_message_values(entry, stamp)))
        bodies.append(_body_row(seq, entry, files))
        rstatus = "sent" if entry.status is Status.SENT else "pending"
        rcpts += [
            (seq, i, address, rstatus, stamp) for i, address in enumerate(entry.envelope.recipients)
        ]
    conn.executemany(_INSERT_ROW, rows)
    conn.executemany(_INSERT_BODY, bodies)
    conn.executemany(
        "INSERT INTO recipients (seq, position, address, status, updated_at) VALUES (?,?,?,?,?)",
        rcpts,
    )


_COLUMNS = (
    "id, message_id, dedupe_key, account, status, priority, created_at, updated_at, send_at, "
    "age_from, due_at, sent_at, subject, sender, to_list, envelope_from, smtputf8, size, metadata"
)
_INSERT_ROW = f"INSERT INTO messages (seq, {_COLUMNS}) VALUES (?{',?' * 19})"


def _message_values(entry: NewEntry, stamp: float | None) -> tuple[Any, ...]:
    due = entry.due_at
    return (
        entry.id,
        entry.message_id,
        entry.dedupe_key,
        entry.account,
        str(entry.status),
        entry.priority,
        ts(entry.created_at),
        stamp,
        ts(entry.send_at),
        ts(due or entry.created_at),
        ts(due),
        ts(entry.sent_at),
        entry.subject,
        entry.sender,
        json.dumps(list(entry.to), ensure_ascii=False),
        entry.envelope.sender,
        int(entry.envelope.smtputf8),
        size_of(entry.data),
        json.dumps(entry.metadata, ensure_ascii=False) if entry.metadata else None,
    )


def _insert_one(
    conn: sqlite3.Connection, entry: NewEntry, now: datetime, files: dict[str, tuple[str, Body]]
) -> Added:
    entry_id = entry.id
    for _ in range(3):
        values = (entry_id, *_message_values(entry, ts(now))[1:])
        row = conn.execute(
            f"INSERT INTO messages ({_COLUMNS}) VALUES (?{',?' * 18}) "
            "ON CONFLICT DO NOTHING RETURNING seq",
            values,
        ).fetchone()
        if row is not None:
            break
        existing = conn.execute(
            "SELECT id FROM messages WHERE message_id = ? OR (dedupe_key IS NOT NULL AND "
            "dedupe_key = ?) LIMIT 1",
            (entry.message_id, entry.dedupe_key),
        ).fetchone()
        if existing is not None:
            return Added(existing[0], False)
        entry_id = new_id()
    else:  # pragma: no cover - three id collisions in a row
        raise RuntimeError("could not allocate an outbox id")
    seq = row[0]
    conn.execute(_INSERT_BODY, _body_row(seq, entry, files))
    rstatus = "sent" if entry.status is Status.SENT else "pending"
    conn.executemany(
        "INSERT INTO recipients (seq, position, address, status, updated_at) VALUES (?,?,?,?,?)",
        [(seq, i, a, rstatus, ts(now)) for i, a in enumerate(entry.envelope.recipients)],
    )
    return Added(entry_id, True, _inserted(entry, entry_id, now))


def _inserted(entry: NewEntry, entry_id: str, now: datetime) -> Change:
    return Change(
        entry_id,
        entry.message_id,
        entry.account,
        entry.status,
        None,
        at=now,
        subject=entry.subject,
        recipients=entry.envelope.recipients,
    )


def _stored(folder: Path | None, digest: str, size: int) -> Body:
    assert folder is not None
    return Body(bodyfiles.file_of(folder, digest), length=size, digest=digest)


# -- claiming -------------------------------------------------------------------

_PAUSED = "SELECT name FROM accounts WHERE until IS NULL OR until > :now"


def claim(
    conn: sqlite3.Connection,
    worker_id: str,
    limit: int,
    lease_until: datetime,
    now: datetime,
    accounts: Sequence[str] | None,
    folder: Path | None = None,
) -> list[Claim]:
    params: dict[str, Any] = {"now": ts(now), "limit": limit}
    only = ""
    if accounts is not None:
        if not accounts:
            return []
        names = {f"a{i}": a for i, a in enumerate(accounts)}
        params.update(names)
        only = f" AND account IN ({','.join(':' + k for k in names)})"
    with write(conn):
        # Each list in one row (one step: see _values); the order is restored below.
        due = json.loads(
            conn.execute(
                "SELECT json_group_array(json_array(seq, priority, due_at)) FROM (SELECT seq, "
                "priority, due_at FROM messages WHERE due_at IS NOT NULL AND due_at <= :now"
                f" AND account NOT IN ({_PAUSED}){only} ORDER BY priority, due_at, seq"
                " LIMIT :limit)",
                params,
            ).fetchone()[0]
        )
        stale = json.loads(
            conn.execute(
                "SELECT json_group_array(json_array(seq, priority, lease_until)) FROM (SELECT seq,"
                " priority, lease_until FROM messages WHERE lease_until IS NOT NULL"
                f" AND lease_until <= :now AND account NOT IN ({_PAUSED}){only}"
                " ORDER BY lease_until LIMIT :limit)",
                params,
            ).fetchone()[0]
        )
        picked = sorted((*due, *stale), key=lambda r: (r[1], r[2], r[0]))[:limit]
        if not picked:
            return []
        seqs = [r[0] for r in picked]
        marks = _marks(len(seqs))
        interrupted = {r[0] for r in stale} & set(seqs)
        if interrupted:
            _record_interrupted(conn, sorted(interrupted), now)
        conn.execute(
            "UPDATE messages SET status = 'sending', "
            "previous = CASE WHEN status = 'sending' THEN previous ELSE status END, "
            "lease_owner = ?, lease_until = ?, due_at = NULL, updated_at = ? "
            f"WHERE seq IN ({marks})",
            (worker_id, ts(lease_until), ts(now), *seqs),
        )
        rows = _tuples(
            conn,
            "SELECT m.seq, m.id, m.message_id, m.account, m.previous, m.priority, m.created_at, "
            "m.send_at, m.age_from, m.attempts, m.envelope_from, m.smtputf8, m.subject, b.data, "
            "b.file, m.size "
            f"FROM messages m JOIN bodies b ON b.seq = m.seq WHERE m.seq IN ({marks})",
            seqs,
        ).fetchall()
        rcpts = _recipients(conn, seqs)
    order = {seq: i for i, seq in enumerate(seqs)}
    rows.sort(key=lambda r: order[r[0]])
    out = []
    pending_status = RecipientStatus.PENDING
    for (
        seq,
        entry_id,
        message_id,
        account,
        previous,
        priority,
        created_at,
        send_at,
        age_from,
        attempts,
        envelope_from,
        smtputf8,
        subject,
        data,
        file,
        size,
    ) in rows:
        states = rcpts.get(seq, ())
        pending = tuple(st.address for st in states if st.status is pending_status)
        out.append(
            Claim(
                id=entry_id,
                message_id=message_id,
                account=account,
                envelope=Envelope(envelope_from, pending, message_id, bool(smtputf8)),
                data=data if file is None else _stored(folder, file, size),
                recipients=states,
                attempts=attempts,
                created_at=_dt(created_at),
                send_at=dt(send_at),
                previous=Status.SENDING
                if seq in interrupted
                else _STATUS.get(previous or "queued", Status.QUEUED),
                lease_until=lease_until,
                age_from=_dt(age_from),
                priority=priority,
                subject=subject,
            )
        )
    return out


def due_count(conn: sqlite3.Connection, now: datetime, accounts: Sequence[str] | None) -> int:
    params: dict[str, Any] = {"now": ts(now)}
    only = ""
    if accounts is not None:
        names = {f"a{i}": a for i, a in enumerate(accounts)}
        params.update(names)
        only = f" AND account IN ({','.join(':' + k for k in names) or 'NULL'})"
    with read(conn):
        due = conn.execute(
            "SELECT count(*) FROM messages WHERE due_at IS NOT NULL AND due_at <= :now"
            f" AND account NOT IN ({_PAUSED}){only}",
            params,
        ).fetchone()[0]
        stale = conn.execute(
            "SELECT count(*) FROM messages WHERE lease_until IS NOT NULL"
            f" AND lease_until <= :now AND account NOT IN ({_PAUSED}){only}",
            params,
        ).fetchone()[0]
    return int(due) + int(stale)


def _record_interrupted(conn: sqlite3.Connection, seqs: Sequence[int], now: datetime) -> None:
    """Note in the history that a worker died while sending these (a duplicate is possible)."""
    error = ErrorInfo(outbox_keys.OUTBOX_INTERRUPTED.key)
    conn.executemany(
        "INSERT INTO attempts (seq, at, account, outcome, error_key, error, counted, worker) "
        "SELECT seq, ?, account, 'uncertain', ?, ?, 0, lease_owner FROM messages WHERE seq = ?",
        [(ts(now), error.key, _json(error), seq) for seq in seqs],
    )


def _recipients(
    conn: sqlite3.Connection, seqs: Sequence[int]
) -> dict[int, tuple[RecipientState, ...]]:
    found: dict[int, list[RecipientState]] = {}
    for chunk in _chunks(seqs):
        # One row (one step: see _values); times in whole microseconds, as JSON keeps
        # only 15 digits of a REAL.
        rows = conn.execute(
            "SELECT json_group_array(json_array(seq, address, status, error, "
            "CAST(round(updated_at * 1000000) AS INTEGER))) "
            f"FROM (SELECT * FROM recipients WHERE seq IN ({_marks(len(chunk))}) "
            "ORDER BY seq, position)",
            chunk,
        ).fetchone()[0]
        for seq, address, status, error, updated in json.loads(rows):
            found.setdefault(seq, []).append(
                RecipientState(
                    address,
                    _RSTATUS[status],
                    _info(error) if error else None,
                    None if updated is None else _dt(updated / 1_000_000),
                )
            )
    return {k: tuple(v) for k, v in found.items()}


def renew(conn: sqlite3.Connection, worker_id: str, ids: Sequence[str], until: datetime) -> int:
    count = 0
    with write(conn):
        for chunk in _chunks(ids):
            count += conn.execute(
                "UPDATE messages SET lease_until = ? WHERE lease_owner = ? AND status = 'sending' "
                f"AND id IN ({_marks(len(chunk))})",
                (ts(until), worker_id, *chunk),
            ).rowcount
    return count


def complete(
    conn: sqlite3.Connection, worker_id: str, outcomes: Sequence[Outcome], now: datetime
) -> list[Change]:
    # A statement per batch, not per message: every step of a statement hands the
    # GIL back and forth with the event loop's thread (see _values).
    changes: list[Change] = []
    with write(conn):
        rows: dict[str, list[Any]] = {}
        for chunk in _chunks([o.id for o in outcomes]):
            found = conn.execute(
                "SELECT json_group_array(json_array(id, seq, message_id, account, status, "
                f"lease_owner)) FROM messages WHERE id IN ({_marks(len(chunk))})",
                chunk,
            ).fetchone()[0]
            for row in json.loads(found):
                rows[row[0]] = row
        attempts = []
        updates = []
        rcpt_updates: dict[tuple[int, str], tuple[Any, ...]] = {}
        stamp = ts(now)
        for o in outcomes:
            row = rows.get(o.id)
            if row is None:
                continue  # purged meanwhile
            _, seq, message_id, account, status, owner = row
            attempts.append(_attempt_row(seq, o.attempt))
            if status != "sending" or owner != worker_id:
                continue  # lease lost: someone else owns it now; keep only the history
            error = o.error
            updates.append(
                (
                    seq,
                    str(o.status),
                    ts(o.next_attempt_at),
                    int(o.attempt.counted),
                    _json(error),
                    ts(o.sent_at),
                )
            )
            for r in o.recipients:  # (the same address twice: the last state wins)
                rcpt_updates[seq, r.address] = (
                    seq,
                    r.address,
                    str(r.status),
                    _json(r.error),
                    ts(r.updated_at) if r.updated_at is not None else stamp,
                )
            changes.append(
                Change(
                    o.id,
                    message_id,
                    account,
                    o.status,
                    Status.SENDING,
                    error.key if error else None,
                    o.next_attempt_at,
                    now,
                    error=error,
                )
            )
        for values, params in _values(attempts):
            conn.execute(_INSERT_ATTEMPT + values, params)
        for values, params in _values(updates):
            conn.execute(
                f"WITH v(vseq, vstatus, vdue, vcounted, verror, vsent) AS ({values}) "
                "UPDATE messages SET status = vstatus, previous = NULL, lease_owner = NULL, "
                "lease_until = NULL, due_at = vdue, attempts = attempts + vcounted, "
                "error = verror, sent_at = coalesce(vsent, sent_at), updated_at = ? "
                "FROM v WHERE seq = vseq",
                (*params, stamp),
            )
        for values, params in _values(list(rcpt_updates.values())):
            conn.execute(
                f"WITH v(vseq, vaddress, vstatus, verror, vupdated) AS ({values}) "
                "UPDATE recipients SET status = vstatus, error = verror, updated_at = vupdated "
                "FROM v WHERE seq = vseq AND address = vaddress",
                params,
            )
    return changes


_INSERT_ATTEMPT = """
INSERT INTO attempts (seq, at, account, outcome, host, code, enhanced, text, error_key, error,
    duration, counted, recipients, worker)
"""
#: Parameters in one statement (SQLite allows 32766 since 3.32).
_MAX_PARAMS = 30_000


def _values(rows: Sequence[tuple[Any, ...]]) -> Iterator[tuple[str, list[Any]]]:
    """``VALUES (?,?), (?,?) …`` and the flat parameters, as few statements as allowed.

    One statement for many rows instead of ``executemany``: sqlite3 releases
    the GIL for every step, and while the event loop's thread is busy each
    release costs both threads a hand-over.
    """
    if not rows:
        return
    width = len(rows[0])
    group = "(" + ",".join("?" * width) + ")"
    size = max(1, _MAX_PARAMS // width)
    for start in range(0, len(rows), size):
        part = rows[start : start + size]
        yield "VALUES " + ",".join([group] * len(part)), [v for row in part for v in row]


def _attempt_row(seq: int, a: Attempt) -> tuple[Any, ...]:
    recipients = (
        json.dumps([r.to_dict() for r in a.recipients], ensure_ascii=False)
        if a.recipients
        else None
    )
    return (
        seq,
        ts(a.at),
        a.account,
        str(a.outcome),
        a.host,
        a.code,
        a.enhanced,
        a.text,
        a.error_key,
        _json(a.error),
        a.duration,
        int(a.counted),
        recipients,
        a.worker,
    )


def release(
    conn: sqlite3.Connection, worker_id: str, ids: Sequence[str], now: datetime
) -> list[Change]:
    changes = []
    with write(conn):
        rows = []
        for chunk in _chunks(ids):
            rows += conn.execute(
                "UPDATE messages SET status = coalesce(previous, 'queued'), previous = NULL, "
                "lease_owner = NULL, lease_until = NULL, due_at = ?, updated_at = ? "
                f"WHERE lease_owner = ? AND status = 'sending' AND id IN ({_marks(len(chunk))}) "
                "RETURNING seq, id, message_id, account, status, error, subject",
                (ts(now), ts(now), worker_id, *chunk),
            ).fetchall()
        addresses = _addresses(conn, [row["seq"] for row in rows])
        for row in rows:
            info = _info(row["error"])
            changes.append(
                Change(
                    row["id"],
                    row["message_id"],
                    row["account"],
                    Status(row["status"]),
                    Status.SENDING,
                    info.key if info else None,
                    now,
                    now,
                    error=info,
                    subject=row["subject"],
                    recipients=addresses.get(row["seq"], ()),
                )
            )
    return changes


def _addresses(conn: sqlite3.Connection, seqs: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """The envelope recipients of each message, in envelope order (for :class:`Change` rows)."""
    found: dict[int, list[str]] = {}
    for chunk in _chunks(seqs):
        rows = conn.execute(
            "SELECT json_group_array(json_array(seq, address)) FROM (SELECT seq, address "
            f"FROM recipients WHERE seq IN ({_marks(len(chunk))}) ORDER BY seq, position)",
            chunk,
        ).fetchone()[0]
        for seq, address in json.loads(rows):
            found.setdefault(seq, []).append(address)
    return {k: tuple(v) for k, v in found.items()}


def next_due(
    conn: sqlite3.Connection, now: datetime, accounts: Sequence[str] | None
) -> datetime | None:
    params: dict[str, Any] = {"now": ts(now)}
    only = ""
    if accounts is not None:
        names = {f"a{i}": a for i, a in enumerate(accounts)}
        params.update(names)
        only = f" AND m.account IN ({','.join(':' + k for k in names) or 'NULL'})"
    with read(conn):
        due = conn.execute(
            "SELECT min(max(m.due_at, coalesce(a.until, 0))) FROM messages m "
            "LEFT JOIN accounts a ON a.name = m.account "
            f"WHERE m.due_at IS NOT NULL AND NOT (a.name IS NOT NULL AND a.until IS NULL){only}",
            params,
        ).fetchone()[0]
        lease = conn.execute(
            "SELECT min(lease_until) FROM messages m WHERE lease_until IS NOT NULL" + only,
            params,
        ).fetchone()[0]
    found = [v for v in (due, lease) if v is not None]
    return _dt(min(found)) if found else None


# -- accounts ---------------------------------------------------------------------


def pause_account(conn: sqlite3.Connection, pause: AccountPause) -> None:
    with write(conn):
        current = conn.execute(
            "SELECT until FROM accounts WHERE name = ?", (pause.account,)
        ).fetchone()
        if current is not None and current[0] is None and pause.until is not None:
            return  # a pause until resumed outranks a timed hold
        conn.execute(
            "INSERT INTO accounts (name, since, until, fingerprint, error) VALUES (?,?,?,?,?) "
            "ON CONFLICT(name) DO UPDATE SET since = excluded.since, until = excluded.until, "
            "fingerprint = excluded.fingerprint, error = excluded.error",
            (
                pause.account,
                ts(pause.since),
                ts(pause.until),
                pause.fingerprint,
                _json(pause.error),
            ),
        )


def resume_account(conn: sqlite3.Connection, account: str) -> bool:
    with write(conn):
        return conn.execute("DELETE FROM accounts WHERE name = ?", (account,)).rowcount > 0


def paused_accounts(conn: sqlite3.Connection) -> dict[str, AccountPause]:
    return {
        name: AccountPause(name, _dt(since), dt(until), fingerprint, _info(error))
        for name, since, until, fingerprint, error in conn.execute(
            "SELECT name, since, until, fingerprint, error FROM accounts"
        )
    }


# -- queries ------------------------------------------------------------------------

_ENTRY_COLUMNS = (
    "seq, id, message_id, account, status, subject, sender, to_list, priority, created_at, "
    "updated_at, send_at, due_at, sent_at, attempts, size, error, metadata, lease_owner, "
    "lease_until, dedupe_key"
)


def _entry(
    row: sqlite3.Row,
    recipients: tuple[RecipientState, ...] = (),
    history: tuple[Attempt, ...] = (),
    sent_copy: SentCopy | None = None,
) -> OutboxEntry:
    return OutboxEntry(
        id=row["id"],
        message_id=row["message_id"],
        account=row["account"],
        status=Status(row["status"]),
        subject=row["subject"],
        sender=row["sender"],
        to=tuple(json.loads(row["to_list"])),
        priority=row["priority"],
        created_at=_dt(row["created_at"]),
        updated_at=_dt(row["updated_at"]),
        send_at=dt(row["send_at"]),
        next_attempt_at=dt(row["due_at"]),
        sent_at=dt(row["sent_at"]),
        attempts=row["attempts"],
        size=row["size"],
        error=_info(row["error"]),
        recipients=recipients,
        history=history,
        metadata=json.loads(row["metadata"]) if row["metadata"] else {},
        lease_owner=row["lease_owner"],
        lease_until=dt(row["lease_until"]),
        dedupe_key=row["dedupe_key"],
        sent_copy=sent_copy,
    )


def _sent_copies(conn: sqlite3.Connection, seqs: Sequence[int]) -> dict[int, SentCopy]:
    """The Sent-folder copies of the entries ``seqs`` (inside the caller's read)."""
    found: dict[int, SentCopy] = {}
    for chunk in _chunks(list(seqs)):
        for row in conn.execute(
            "SELECT seq, status, attempts, coalesce(due_at, lease_until), error, folder, "
            f"saved_at FROM sent_copies WHERE seq IN ({_marks(len(chunk))})",
            list(chunk),
        ):
            found[row[0]] = SentCopy(
                status=CopyStatus(row[1]),
                attempts=row[2],
                next_attempt_at=dt(row[3]) if row[1] == "pending" else None,
                error=_info(row[4]),
                folder=row[5],
                saved_at=dt(row[6]),
            )
    return found


def find(conn: sqlite3.Connection, ref: str) -> OutboxEntry | None:
    ref = ref.strip()
    with read(conn):
        row = _find_row(conn, ref)
        if row is None:
            return None
        seq = row["seq"]
        recipients = _recipients(conn, [seq]).get(seq, ())
        history = tuple(
            Attempt(
                at=_dt(a["at"]),
                account=a["account"],
                outcome=Status(a["outcome"]),
                host=a["host"],
                code=a["code"],
                enhanced=a["enhanced"],
                text=a["text"] or "",
                error=_info(a["error"]),
                duration=a["duration"],
                counted=bool(a["counted"]),
                recipients=tuple(
                    RecipientState(
                        r["address"],
                        RecipientStatus(r["status"]),
                        ErrorInfo.from_dict(r.get("error")),
                        datetime.fromisoformat(r["updated_at"]) if r.get("updated_at") else None,
                    )
                    for r in json.loads(a["recipients"] or "[]")
                ),
                worker=a["worker"],
            )
            for a in conn.execute("SELECT * FROM attempts WHERE seq = ? ORDER BY at, rowid", (seq,))
        )
        copy = _sent_copies(conn, [seq]).get(seq)
        return _entry(row, recipients, history, copy)


def _find_row(conn: sqlite3.Connection, ref: str) -> sqlite3.Row | None:
    if not ref:
        return None
    row: sqlite3.Row | None = conn.execute(
        f"SELECT {_ENTRY_COLUMNS} FROM messages WHERE id = ?", (ref,)
    ).fetchone()
    if row is not None:
        return row
    mid = ref if ref.startswith("<") else f"<{ref}>"
    row = conn.execute(
        f"SELECT {_ENTRY_COLUMNS} FROM messages WHERE message_id = ?", (mid,)
    ).fetchone()
    if row is not None:
        return row
    if len(ref) < 4:
        return None
    rows = conn.execute(
        f"SELECT {_ENTRY_COLUMNS} FROM messages WHERE id >= ? AND id < ? LIMIT 2",
        (ref.lower(), ref.lower() + "\x7f"),
    ).fetchall()
    if len(rows) > 1:
        raise outbox_keys.OUTBOX_AMBIGUOUS.error(ref=ref)
    return rows[0] if rows else None


def query(conn: sqlite3.Connection, f: Filter) -> list[OutboxEntry]:
    where: list[str] = []
    params: list[Any] = []
    if f.statuses:
        where.append(f"status IN ({_marks(len(f.statuses))})")
        params += [str(s) for s in f.statuses]
    if f.account:
        where.append("account = ?")
        params.append(f.account)
    if f.recipient:
        where.append("seq IN (SELECT seq FROM recipients WHERE instr(mp_fold(address), ?) > 0)")
        params.append(f.recipient.casefold())
    if f.text:
        where.append(
            "instr(mp_fold(subject) || char(10) || mp_fold(sender) || char(10) || "
            "mp_fold(to_list), ?) > 0"
        )
        params.append(f.text.casefold())
    if f.since is not None:
        where.append("coalesce(sent_at, created_at) >= ?")
        params.append(ts(f.since))
    if f.until is not None:
        where.append("coalesce(sent_at, created_at) < ?")
        params.append(ts(f.until))
    sql = f"SELECT {_ENTRY_COLUMNS} FROM messages"
    if where:
        sql += " WHERE " + " AND ".join(where)
    way = "DESC" if f.newest_first else "ASC"
    # Queue time, not insertion: imported old mail sorts where it belongs (messages_created).
    sql += f" ORDER BY created_at {way}, seq {way} LIMIT ? OFFSET ?"
    params += [max(0, f.limit), max(0, f.offset)]
    with read(conn):
        rows = conn.execute(sql, params).fetchall()
        recipients = _recipients(conn, [r["seq"] for r in rows])
        copies = _sent_copies(conn, [r["seq"] for r in rows])
    return [_entry(r, recipients.get(r["seq"], ()), (), copies.get(r["seq"])) for r in rows]


def counts(conn: sqlite3.Connection, account: str | None) -> dict[str, int]:
    out = {str(s): 0 for s in Status}
    sql = "SELECT status, count(*) FROM messages"
    params: tuple[Any, ...] = ()
    if account is not None:
        sql += " WHERE account = ?"
        params = (account,)
    for status, n in conn.execute(sql + " GROUP BY status", params):
        out[status] = n
    return out


def waiting(conn: sqlite3.Connection, account: str | None) -> int:
    statuses = [str(s) for s in WAITING_STATUSES]
    sql = f"SELECT count(*) FROM messages WHERE status IN ({_marks(len(statuses))})"
    params: list[Any] = list(statuses)
    if account is not None:
        sql += " AND account = ?"
        params.append(account)
    return int(conn.execute(sql, params).fetchone()[0])


# -- people's actions ------------------------------------------------------------


def _seqs(conn: sqlite3.Connection, refs: Sequence[str]) -> list[sqlite3.Row]:
    """The rows ``refs`` name, each once (an id and its Message-ID name the same row)."""
    rows: dict[int, sqlite3.Row] = {}
    for ref in refs:
        row = _find_row(conn, ref)
        if row is not None:
            rows.setdefault(row["seq"], row)
    return list(rows.values())


def retry(conn: sqlite3.Connection, refs: Sequence[str], now: datetime) -> list[Change]:
    changes = []
    with write(conn):
        rows = [r for r in _seqs(conn, refs) if Status(r["status"]) in RETRYABLE]
        addresses = _addresses(conn, [r["seq"] for r in rows])
        for row in rows:
            status = Status(row["status"])
            seq = row["seq"]
            conn.execute(
                "UPDATE recipients SET status = 'pending', updated_at = ? "
                "WHERE seq = ? AND status = 'failed'",
                (ts(now), seq),
            )
            conn.execute(
                "UPDATE messages SET status = 'queued', due_at = ?, age_from = ?, attempts = 0, "
                "send_at = CASE WHEN send_at > ? THEN NULL ELSE send_at END, updated_at = ? "
                "WHERE seq = ?",
                (ts(now), ts(now), ts(now), ts(now), seq),
            )
            changes.append(
                Change(
                    row["id"],
                    row["message_id"],
                    row["account"],
                    Status.QUEUED,
                    status,
                    at=now,
                    subject=row["subject"],
                    recipients=addresses.get(seq, ()),
                )
            )
    return changes


def cancel(
    conn: sqlite3.Connection, refs: Sequence[str], now: datetime, folder: Path | None = None
) -> list[Change]:
    """Cancel entries; a cancelled message's body file goes (it is never sent)."""
    changes = []
    files: list[str] = []
    with write(conn):
        rows = [r for r in _seqs(conn, refs) if Status(r["status"]) in CANCELLABLE]
        addresses = _addresses(conn, [r["seq"] for r in rows])
        seqs = [r["seq"] for r in rows]
        for chunk in _chunks(seqs):
            marks = _marks(len(chunk))
            files += [
                r[0]
                for r in conn.execute(
                    f"SELECT file FROM bodies WHERE file IS NOT NULL AND seq IN ({marks})", chunk
                )
            ]
            conn.execute(f"UPDATE bodies SET file = NULL WHERE seq IN ({marks})", chunk)
        for row in rows:
            status = Status(row["status"])
            seq = row["seq"]
            conn.execute(
                "UPDATE recipients SET status = 'cancelled', updated_at = ? "
                "WHERE seq = ? AND status = 'pending'",
                (ts(now), seq),
            )
            conn.execute(
                "UPDATE messages SET status = 'cancelled', due_at = NULL, updated_at = ? "
                "WHERE seq = ?",
                (ts(now), seq),
            )
            changes.append(
                Change(
                    row["id"],
                    row["message_id"],
                    row["account"],
                    Status.CANCELLED,
                    status,
                    at=now,
                    subject=row["subject"],
                    recipients=addresses.get(seq, ()),
                )
            )
    if files and folder is not None:
        collect_files(conn, folder, files)
    return changes


def purge(
    conn: sqlite3.Connection,
    before: datetime,
    statuses: Sequence[Status],
    folder: Path | None = None,
) -> int:
    """Delete old entries; then their body files no row names any more, and orphans
    (see :mod:`.bodyfiles`)."""
    if not statuses:
        return 0
    where = (
        f"status IN ({_marks(len(statuses))}) AND coalesce(sent_at, created_at) < ?",
        (*[str(s) for s in statuses], ts(before)),
    )
    with write(conn):
        files = [
            r[0]
            for r in conn.execute(
                "SELECT b.file FROM bodies b JOIN messages m ON m.seq = b.seq "
                f"WHERE b.file IS NOT NULL AND m.{where[0]}",
                where[1],
            )
        ]
        count = conn.execute(f"DELETE FROM messages WHERE {where[0]}", where[1]).rowcount
    if folder is not None:
        collect_files(conn, folder, files)
    return count


def collect_files(conn: sqlite3.Connection, folder: Path, candidates: Sequence[str]) -> int:
    """Remove body files no row names (``candidates``, and orphans past their grace),
    holding the write lock: returns how many went."""
    with write(conn):
        removed = bodyfiles.collect(conn, folder, candidates)
        for path in bodyfiles.orphans(conn, folder, grace=bodyfiles.ORPHAN_GRACE):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
    return removed
