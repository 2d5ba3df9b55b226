"""The PostgreSQL outbox beyond the contract: selection by address, schema migrations,
the host's transaction, wake-ups across processes, lost connections and error keys."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
import pytest
from tests.outbox_support import mailer, message
from tests.ports import free_ports
from tests.postgres_server import drop_schema, new_schema, outbox_url

from mailplug.cli import main
from mailplug.errors import MailplugError
from mailplug.storage import Status
from mailplug.testing.outbox_contract import T0, make_entry
from mailplug_postgres import schema as pg_schema
from mailplug_postgres.options import parse_location, redacted
from mailplug_postgres.outbox import PostgresOutbox, open_outbox


def _schema_of(url: str) -> str:
    return parse_location(url).schema


def _services(tmp_path: Path) -> Any:
    return mailer(tmp_path, [], outbox=None).services


# -- choosing the plugin -----------------------------------------------------------


@pytest.mark.parametrize("how", ["outbox", "outbox_path"])
async def test_a_postgresql_address_selects_the_plugin_and_mail_goes_out(
    tmp_path: Path, smtp_server: Any, pg_outbox_url: str, how: str
) -> None:
    srv = smtp_server()
    account = srv.account(name="biuro", email="biuro@firma.pl")
    options = {how: pg_outbox_url}
    async with mailer(tmp_path, [account], **options) as m:
        box = await m.outbox()
        assert isinstance(box, PostgresOutbox)
        ids = await m.enqueue_many([message(i) for i in range(5)])
        report = await m.flush()
        assert report.sent == 5
        assert {(await m.status(i)).status for i in ids} == {Status.SENT}
    assert Counter(r.message_id for r in srv.messages).most_common(1)[0][1] == 1
    assert not (tmp_path / "data" / "outbox.sqlite3").exists()


def test_the_address_is_never_shown_with_its_password() -> None:
    url = "postgresql://app:s3cret@db.example:5433/mail?schema=mailplug&sslmode=require"
    options = parse_location(url)
    assert "s3cret" not in options.where and "s3cret" not in redacted(url)
    assert options.schema == "mailplug" and "sslmode=require" in options.conninfo
    assert "schema=" not in options.conninfo


@pytest.mark.parametrize(
    "url",
    ["postgresql://h/db?schema=Mail-Plug", "postgresql://h/db?schema=x;drop", "mysql://h/db"],
)
def test_a_bad_address_has_its_own_key(url: str) -> None:
    with pytest.raises(MailplugError) as info:
        parse_location(url)
    assert info.value.key == "storage.postgres.bad_address"


# -- schema ----------------------------------------------------------------------------


async def test_open_creates_the_schema_once_even_when_servers_open_together(
    tmp_path: Path, pg_outbox_url: str, postgres: str
) -> None:
    boxes = await asyncio.gather(
        *(open_outbox(pg_outbox_url, services=_services(tmp_path)) for _ in range(4))
    )
    try:
        with psycopg.connect(postgres) as conn:
            versions = conn.execute(
                f'SELECT version FROM "{_schema_of(pg_outbox_url)}".schema_version'
            ).fetchall()
        assert [v for (v,) in versions] == list(range(1, pg_schema.LATEST + 1))
    finally:
        for box in boxes:
            await box.aclose()


def test_migrate_schema_dry_run_prints_sql_a_dba_can_apply(
    tmp_path: Path, postgres: str, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = new_schema()
    url = outbox_url(postgres, schema)
    try:
        assert main(["outbox", "migrate-schema", url, "--dry-run"]) == 0
        sql = capsys.readouterr().out
        assert f'CREATE TABLE IF NOT EXISTS "{schema}".messages' in sql
        with psycopg.connect(postgres, autocommit=True) as conn:
            assert conn.execute("SELECT to_regnamespace(%s)", (schema,)).fetchone() == (None,)
            conn.execute(sql)  # what a DBA does with the printed script
            conn.execute(sql)  # twice is harmless: the versions already applied stay
            rows = conn.execute(f'SELECT version FROM "{schema}".schema_version').fetchall()
        assert [v for (v,) in rows] == list(range(1, pg_schema.LATEST + 1))
        assert main(["outbox", "migrate-schema", url]) == 0
    finally:
        drop_schema(postgres, schema)


async def test_a_version_1_schema_gets_the_send_limits_table_and_keeps_its_mail(
    tmp_path: Path, postgres: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An outbox created by the first release (schema version 1) is migrated on open:
    every later step is applied (Sent copies, body chunks, send slots), queued mail stays;
    the DBA's script has only the steps after 1."""
    schema = new_schema()
    url = outbox_url(postgres, schema)
    try:
        with psycopg.connect(postgres, autocommit=True) as conn:
            first = pg_schema.script(schema).split("-- migration 2")[0] + "COMMIT;"
            conn.execute(first)
            assert conn.execute(
                f'SELECT max(version) FROM "{schema}".schema_version'
            ).fetchone() == (1,)
            assert conn.execute(
                "SELECT to_regclass(%s)", (f'"{schema}".send_limits',)
            ).fetchone() == (None,)
        assert main(["outbox", "migrate-schema", url, "--dry-run", "--since", "1"]) == 0
        sql = capsys.readouterr().out
        assert "-- migration 2" in sql and "-- migration 1" not in sql
        box = await open_outbox(url, services=_services(tmp_path))
        try:
            (added,) = await box.insert([make_entry(1)])
            with psycopg.connect(postgres) as conn:
                rows = conn.execute(f'SELECT version FROM "{schema}".schema_version').fetchall()
                assert [v for (v,) in rows] == list(range(1, pg_schema.LATEST + 1))
                assert conn.execute(f'SELECT count(*) FROM "{schema}".send_limits').fetchone() == (
                    0,
                )
            assert (await box.get(added.id)) is not None
        finally:
            await box.aclose()
    finally:
        drop_schema(postgres, schema)


async def test_a_schema_newer_than_this_mailplug_is_refused(
    tmp_path: Path, pg_outbox_url: str, postgres: str
) -> None:
    box = await open_outbox(pg_outbox_url, services=_services(tmp_path))
    await box.aclose()
    with psycopg.connect(postgres, autocommit=True) as conn:
        conn.execute(
            f'INSERT INTO "{_schema_of(pg_outbox_url)}".schema_version (version) VALUES (%s)',
            (pg_schema.LATEST + 1,),
        )
    with pytest.raises(MailplugError) as info:
        await open_outbox(pg_outbox_url, services=_services(tmp_path))
    assert info.value.key == "storage.postgres.schema_too_new"


# -- the host's transaction ---------------------------------------------------------------


async def test_enqueue_in_the_hosts_transaction_exists_only_if_it_commits(
    tmp_path: Path, smtp_server: Any, pg_outbox_url: str, postgres: str
) -> None:
    srv = smtp_server()
    account = srv.account(name="biuro", email="biuro@firma.pl")
    async with mailer(tmp_path, [account], outbox_path=pg_outbox_url) as m:
        conn = await psycopg.AsyncConnection.connect(postgres)
        async with conn:
            await conn.execute("CREATE TEMP TABLE orders (n int)")
            await conn.commit()
            # Rolled back: neither the order nor its mail.
            await conn.execute("INSERT INTO orders VALUES (1)")
            await m.enqueue(message(1), connection=conn)
            await conn.rollback()
            assert await m.waiting() == 0
            # Committed: both.
            await conn.execute("INSERT INTO orders VALUES (2)")
            kept = await m.enqueue(message(2), connection=conn)
            assert await m.waiting() == 0  # not visible before the host commits
            await conn.commit()
            assert await m.waiting() == 1
        report = await m.flush()
        assert report.sent == 1
        assert (await m.status(kept)).status is Status.SENT
    assert len(srv.messages) == 1


def test_enqueue_in_a_synchronous_hosts_transaction(
    tmp_path: Path, smtp_server: Any, pg_outbox_url: str, postgres: str
) -> None:
    """Django and other synchronous hosts hand their ``psycopg.Connection`` (or a cursor)."""
    from mailplug import Mailer

    account = smtp_server().account(name="biuro", email="biuro@firma.pl")
    with (
        Mailer(
            [account], data_dir=tmp_path / "data", outbox_path=pg_outbox_url, entry_points=False
        ) as m,
        psycopg.connect(postgres) as conn,
    ):
        with pytest.raises(RuntimeError), conn.transaction():
            m.enqueue(message(1), connection=conn)
            raise RuntimeError("the view failed")
        with conn.transaction():
            m.enqueue(message(2), connection=conn)
            cursor = conn.cursor()
            m.enqueue(message(3), connection=cursor)
        assert m.waiting() == 2


async def test_what_is_not_a_connection_and_a_storage_without_transactions_have_keys(
    tmp_path: Path, pg_outbox_url: str
) -> None:
    async with mailer(tmp_path, [], outbox_path=pg_outbox_url) as m:
        box = await m.outbox()
        with pytest.raises(MailplugError) as info:
            await box.insert_within(object(), [make_entry(1)])
        assert info.value.key == "storage.postgres.not_a_connection"
    async with mailer(tmp_path, []) as m:  # the SQLite outbox
        box = await m.outbox()
        with pytest.raises(MailplugError) as info:
            await box.insert_within(object(), [make_entry(1)])
        assert info.value.key == "outbox.no_host_transaction"


# -- wake-ups across processes ------------------------------------------------------------


async def test_a_watching_worker_wakes_when_another_server_queues_or_retries(
    tmp_path: Path, pg_outbox_url: str
) -> None:
    watcher = await open_outbox(pg_outbox_url, services=_services(tmp_path))
    other = await open_outbox(pg_outbox_url, services=_services(tmp_path))
    wake = asyncio.Event()
    unwatch = watcher.watch(wake)
    try:
        await asyncio.wait_for(wake.wait(), 10)  # set once listening (nothing missed)
        latencies = []
        for n in range(3):
            wake.clear()
            started = time.monotonic()
            assert (await other.insert([make_entry(n)]))[0].created
            await asyncio.wait_for(wake.wait(), 10)
            latencies.append(time.monotonic() - started)
        wake.clear()
        (claim,) = await other.claim("w", limit=1, lease=60, now=T0)
        await other.release("w", [claim.id], now=T0)
        await asyncio.wait_for(wake.wait(), 10)
        assert max(latencies) < 5
    finally:
        unwatch()
        await watcher.aclose()
        await other.aclose()


async def test_a_worker_on_another_server_sends_what_this_one_queued(
    tmp_path: Path, smtp_server: Any, pg_outbox_url: str
) -> None:
    """``work`` sleeps with a long poll interval, yet mail queued elsewhere goes out at once."""
    srv = smtp_server()
    account = srv.account(name="biuro", email="biuro@firma.pl")
    async with (
        mailer(tmp_path / "a", [account], outbox_path=pg_outbox_url) as worker,
        mailer(tmp_path / "b", [account], outbox_path=pg_outbox_url) as web,
    ):
        stop = asyncio.Event()
        task = asyncio.ensure_future(worker.work(stop=stop, poll_interval=60))
        try:
            await asyncio.sleep(0.5)
            await web.enqueue(message(1))
            deadline = time.monotonic() + 15
            while not srv.messages:
                assert time.monotonic() < deadline, "the worker was not woken"
                await asyncio.sleep(0.05)
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)


# -- failures ------------------------------------------------------------------------------


async def test_server_down_has_its_key_and_the_address_keeps_its_secret(tmp_path: Path) -> None:
    (port,) = free_ports(1)
    url = f"postgresql://app:s3cret@127.0.0.1:{port}/mail"
    with pytest.raises(MailplugError) as info:
        await open_outbox(url, services=_services(tmp_path))
    assert info.value.key == "storage.postgres.unreachable"
    assert "s3cret" not in str(info.value) and "s3cret" not in repr(info.value)


async def test_a_missing_database_has_its_key(tmp_path: Path, postgres: str) -> None:
    url = postgres.rsplit("/", 1)[0] + "/mailplug_no_such_database"
    with pytest.raises(MailplugError) as info:
        await open_outbox(url, services=_services(tmp_path))
    assert info.value.key == "storage.cannot_open"


async def test_a_connection_lost_mid_claim_loses_nothing(
    tmp_path: Path, pg_outbox_url: str, postgres: str
) -> None:
    """The server kills the claiming connection while it waits: the claim runs again on a
    new connection, and every entry is handed out exactly once."""
    box = await open_outbox(pg_outbox_url, services=_services(tmp_path))
    schema = _schema_of(pg_outbox_url)
    try:
        ids = [a.id for a in await box.insert([make_entry(i) for i in range(3)])]
        blocker = await psycopg.AsyncConnection.connect(postgres)
        # (pg_stat_activity is read once per transaction: watch from another connection.)
        admin = await psycopg.AsyncConnection.connect(postgres, autocommit=True)
        async with blocker, admin:
            # Holding the accounts table makes the claim wait inside its transaction.
            await blocker.execute(f'LOCK TABLE "{schema}".accounts IN ACCESS EXCLUSIVE MODE')
            claiming = asyncio.ensure_future(box.claim("w1", limit=10, lease=60, now=T0))
            deadline = time.monotonic() + 10
            while True:
                cur = await admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query LIKE %s",
                    (f'%"{schema}".messages%',),
                )
                pids = [p for (p,) in await cur.fetchall()]
                if pids:
                    break
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            await admin.execute("SELECT pg_terminate_backend(%s)", (pids[0],))
            await blocker.rollback()
        claims = await asyncio.wait_for(claiming, 30)
        assert sorted(c.id for c in claims) == sorted(ids)
        assert await box.claim("w2", limit=10, lease=60, now=T0) == []
    finally:
        await box.aclose()


async def test_every_connection_dropped_between_steps_is_replaced(
    tmp_path: Path, pg_outbox_url: str, postgres: str
) -> None:
    # Its own application name: the server is shared, only this test's sessions are cut.
    name = _schema_of(pg_outbox_url)
    url = f"{pg_outbox_url}&application_name={name}&pool_min=2"
    box = await open_outbox(url, services=_services(tmp_path))
    try:
        await box.insert([make_entry(1)])
        with psycopg.connect(postgres, autocommit=True) as admin:
            (killed,) = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = %s",
                (name,),
            ).fetchone() or (0,)
        assert killed >= 1
        assert (await box.counts())["queued"] == 1
        await box.insert([make_entry(2)])
        assert (await box.counts())["queued"] == 2
    finally:
        await box.aclose()


def test_errors_are_mapped_by_sqlstate() -> None:
    """The table the boundary uses: a disk-full or read-only server names the core's keys."""
    from psycopg import errors as pg

    from mailplug_postgres.errors import storage_error

    where = "postgresql://127.0.0.1/mail (schema mailplug)"
    cases = {
        pg.DiskFull: "storage.disk_full",
        pg.ReadOnlySqlTransaction: "storage.read_only",
        pg.InvalidPassword: "storage.postgres.auth_failed",
        pg.SerializationFailure: "storage.postgres.conflict",
        pg.DeadlockDetected: "storage.postgres.conflict",
        pg.AdminShutdown: "storage.postgres.connection_lost",
        pg.InsufficientPrivilege: "storage.cannot_open",
    }
    for cls, key in cases.items():
        error = storage_error(cls("boom"), where)
        assert error.key == key, cls


def test_the_storage_is_chosen_by_the_addresses_scheme() -> None:
    from mailplug.runtime import storage_name

    storages = {"sqlite": object(), "postgresql": object(), "postgres": object()}
    assert storage_name("sqlite", "postgresql://db/app", storages) == "postgresql"
    assert storage_name("sqlite", "postgres://db/app", storages) == "postgres"
    assert storage_name("sqlite", "sqlite:///tmp/o.sqlite3", storages) == "sqlite"
    assert storage_name("sqlite", "/srv/app/outbox.sqlite3", storages) == "sqlite"
    assert storage_name("sqlite", Path("/srv/app/o.sqlite3"), storages) == "sqlite"
    assert storage_name("sqlite", "mysql://db/app", storages) == "sqlite"  # nobody's: kept
    assert storage_name(None, "postgresql://db/app", storages) is None  # no outbox wanted


def test_a_host_without_the_postgres_extra_still_works(tmp_path: Path) -> None:
    """psycopg is imported only when a PostgreSQL outbox is opened."""
    import subprocess
    import sys

    script = f"""
import asyncio, sys
sys.modules["psycopg"] = None  # as if the extra were not installed
sys.modules["psycopg_pool"] = None
from mailplug import AsyncMailer
from mailplug.errors import MailplugError

async def main():
    async with AsyncMailer([], data_dir={str(tmp_path / "a")!r}, entry_points=False) as m:
        assert await m.waiting() == 0  # the SQLite outbox
    async with AsyncMailer([], data_dir={str(tmp_path / "b")!r}, entry_points=False,
                           outbox_path="postgresql://127.0.0.1/app") as m:
        try:
            await m.waiting()
        except MailplugError as exc:
            print(exc.key)

asyncio.run(main())
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["storage.postgres.driver_missing"]
