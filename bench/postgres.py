"""PostgreSQL outbox benchmark: its figures beside the SQLite outbox's, in the same run.

    python bench/postgres.py                 # full run (a few minutes)
    python bench/postgres.py --quick         # small counts (smoke test)
    python bench/postgres.py --url postgresql://postgres@127.0.0.1:5432/test

The database is ``--url``, else ``MAILPLUG_TEST_POSTGRES``, else the server on
127.0.0.1:5432 (database ``test``, user ``postgres``); every run works in a
schema of its own, dropped at the end.  The SMTP sink is the one of
``bench/run.py`` (Postfix's ``smtp-sink`` when installed, else aiosmtpd in a
separate process).  Figures:

1. drain of N queued 2 KB messages by one worker process (target >= 0.8x SQLite);
2. the same drained by 2 and 4 worker processes sharing the PostgreSQL outbox;
3. enqueue rate (compose + durable store), one message per call and 500 per call;
4. claim latency with H rows of history vs an empty outbox (target: within 2x).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from run import (
    SENDER,
    Table,
    Timing,
    account,
    add_history,
    best,
    fill_outbox,
    rate,
    rendered,
    sink,
)

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def services(tmp: Path) -> Any:
    from mailplug import AsyncMailer

    return AsyncMailer((), data_dir=tmp, outbox=None, entry_points=False).services


def entries(count: int, size: int, *, start: int = 0) -> list[Any]:
    from mailplug.outbox import NewEntry, new_id
    from mailplug.transport import Envelope

    now = datetime.now(UTC) - timedelta(seconds=1)
    out = []
    for i in range(start, start + count):
        mid = f"<bench-{i}-{size}-{new_id()}@firma.example>"
        out.append(
            NewEntry(
                id=new_id(),
                message_id=mid,
                account="bench",
                envelope=Envelope(SENDER, (f"klient{i}@klient.example",), mid),
                data=rendered(i, size),
                subject=f"Faktura {i}/2026",
                sender=SENDER,
                to=(f"klient{i}@klient.example",),
                created_at=now,
            )
        )
    return out


def fill_postgres(url: str, count: int, size: int, *, start: int = 0) -> None:
    """Queue ``count`` pre-rendered messages (not timed)."""
    from mailplug_postgres.outbox import open_outbox

    async def go() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            box = await open_outbox(url, services=services(Path(tmp)))
            try:
                for first in range(start, start + count, 1000):
                    await box.insert(entries(min(1000, start + count - first), size, start=first))
            finally:
                await box.aclose()

    asyncio.run(go())


class Schema:
    """A schema of this run's own on the benchmark database."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.name = f"mp_bench_{uuid.uuid4().hex[:10]}"
        self.url = f"{base}{'&' if '?' in base else '?'}schema={self.name}"

    def drop(self) -> None:
        with psycopg.connect(self.base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')


def drain(port: int, count: int, connections: int, *, url: str | None) -> Timing:
    """One worker process (this one) drains ``count`` messages from SQLite or ``url``."""
    from mailplug import AsyncMailer

    with tempfile.TemporaryDirectory(prefix="mailplug-bench-") as tmp:
        data_dir = Path(tmp)
        if url is None:
            fill_outbox(data_dir, count, 2000)
        else:
            fill_postgres(url, count, 2000)

        async def go() -> Timing:
            async with AsyncMailer(
                [account(port, connections)],
                data_dir=data_dir,
                outbox_path=url,
                entry_points=False,
            ) as m:
                await m.outbox()
                wall, cpu = time.perf_counter(), time.process_time()
                report = await m.flush(batch=128)
                timing = Timing(time.perf_counter() - wall, time.process_time() - cpu, count)
                assert report.sent == count, report.counts
                return timing

        return asyncio.run(go())


WORKER = """
import asyncio, json, sys
from mailplug import AsyncMailer
cfg = json.loads(sys.argv[1])
async def main():
    async with AsyncMailer([cfg["account"]], data_dir=cfg["data_dir"], outbox_path=cfg["url"],
                           entry_points=False) as m:
        await m.outbox()
        print("ready", flush=True)
        sys.stdin.readline()
        sent = 0
        while True:
            report = await m.flush(batch=128)
            sent += report.sent
            if report.claimed == 0:
                break
        print(json.dumps({"sent": sent}), flush=True)
asyncio.run(main())
"""


def drain_processes(port: int, count: int, connections: int, workers: int, url: str) -> Timing:
    """``workers`` processes drain ``count`` messages from one PostgreSQL outbox (wall time
    from the start signal until the last worker found nothing left)."""
    fill_postgres(url, count, 2000)
    with tempfile.TemporaryDirectory(prefix="mailplug-bench-") as tmp:
        procs = []
        for n in range(workers):
            cfg = {
                "account": account(port, connections),
                "data_dir": str(Path(tmp) / str(n)),
                "url": url,
            }
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-c", WORKER, json.dumps(cfg)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        wall = time.perf_counter()
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        sent = 0
        for p in procs:
            out, _ = p.communicate(timeout=3600)
            sent += json.loads(out.strip().splitlines()[-1])["sent"]
        seconds = time.perf_counter() - wall
    assert sent == count, sent
    return Timing(seconds, 0.0, count)


def enqueue(count: int, per_call: int, *, url: str | None) -> Timing:
    from mailplug import AsyncMailer, Message

    body = "Dzień dobry, w załączeniu przesyłamy fakturę. " * 40
    with tempfile.TemporaryDirectory(prefix="mailplug-bench-") as tmp:
        messages = [
            Message(
                sender=f"Biuro Firma <{SENDER}>",
                to=f"Jan Kowalski <klient{i}@klient.example>",
                subject=f"Faktura nr {i}/2026",
                text=body[:2000],
            )
            for i in range(count)
        ]

        async def go() -> Timing:
            async with AsyncMailer(
                [account(25, 1)], data_dir=Path(tmp), outbox_path=url, entry_points=False
            ) as m:
                await m.outbox()
                wall, cpu = time.perf_counter(), time.process_time()
                for first in range(0, count, per_call):
                    await m.enqueue_many(messages[first : first + per_call])
                return Timing(time.perf_counter() - wall, time.process_time() - cpu, count)

        return asyncio.run(go())


def add_postgres_history(url: str, schema: str, base: str, rows: int) -> None:
    """``rows`` sent messages with a body, a recipient and an attempt each, by SQL (fast)."""
    with psycopg.connect(base, autocommit=True) as conn:
        s = f'"{schema}"'
        conn.execute(
            f"INSERT INTO {s}.messages (id, message_id, account, status, priority, created_at, "
            "updated_at, age_from, sent_at, attempts, subject, sender, to_list, envelope_from, "
            "size) SELECT 'h' || lpad(to_hex(i), 15, '0'), '<history-' || i || "
            "'@firma.example>', 'bench', 'sent', 3, now() - interval '1 day', now(), now(), "
            "now(), 1, 'Stara faktura ' || i, %s, '[]', %s, 2000 "
            "FROM generate_series(1, %s) AS i",
            (SENDER, SENDER, rows),
        )
        conn.execute(
            f"INSERT INTO {s}.bodies (seq, data) SELECT seq, '\\x00'::bytea FROM {s}.messages "
            "WHERE status = 'sent'"
        )
        conn.execute(
            f"INSERT INTO {s}.recipients (seq, position, address, status) SELECT seq, 0, "
            f"'klient' || seq || '@klient.example', 'sent' FROM {s}.messages "
            "WHERE status = 'sent'"
        )
        conn.execute(
            f"INSERT INTO {s}.attempts (seq, at, account, outcome, code, text) SELECT seq, "
            f"now(), 'bench', 'sent', 250, 'OK' FROM {s}.messages WHERE status = 'sent'"
        )
        conn.execute(f"ANALYZE {s}.messages")


def claim_latency(history: int, *, base: str | None) -> float:
    """Median milliseconds of a claim of 64 among 500 queued, with ``history`` rows."""
    from mailplug import AsyncMailer

    with tempfile.TemporaryDirectory(prefix="mailplug-bench-") as tmp:
        data_dir = Path(tmp)
        schema = Schema(base) if base else None
        try:
            if schema is None:
                fill_outbox(data_dir, 1, 2000)
                if history:
                    add_history(data_dir / "outbox.sqlite3", history)
                fill_outbox(data_dir, 500, 2000, start=10)
            else:
                fill_postgres(schema.url, 1, 2000)
                if history:
                    add_postgres_history(schema.url, schema.name, schema.base, history)
                fill_postgres(schema.url, 500, 2000, start=10)

            async def go() -> float:
                async with AsyncMailer(
                    [account(25, 1)],
                    data_dir=data_dir,
                    outbox_path=schema.url if schema else None,
                    entry_points=False,
                ) as m:
                    outbox = await m.outbox()
                    times = []
                    for _ in range(25):
                        now = datetime.now(UTC)
                        t = time.perf_counter()
                        got = await outbox.claim("bench", limit=64, lease=60, now=now)
                        times.append(time.perf_counter() - t)
                        await outbox.release("bench", [c.id for c in got], now=now)
                    return statistics.median(times) * 1000

            return asyncio.run(go())
        finally:
            if schema is not None:
                schema.drop()


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "  -  "


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small counts (smoke test)")
    parser.add_argument("--url", help="postgresql:// database (default: see above)")
    parser.add_argument("--messages", type=int, help="2 KB messages to drain (default 20000)")
    parser.add_argument("--enqueue", type=int, help="messages to enqueue (default 5000)")
    parser.add_argument("--history", type=int, help="rows of history (default 1000000)")
    parser.add_argument("--connections", type=int, default=3, help="connections (default 3)")
    parser.add_argument("--sink", choices=["auto", "postfix", "aiosmtpd"], default="auto")
    parser.add_argument("--repeat", type=int, help="runs per drain figure (best counts)")
    parser.add_argument(
        "--only",
        choices=["drain", "workers", "enqueue", "claim"],
        action="append",
        help="run only these figures (repeatable; default: all)",
    )
    args = parser.parse_args(argv)
    base = args.url or os.environ.get("MAILPLUG_TEST_POSTGRES") or DEFAULT_URL
    n = args.messages or (300 if args.quick else 20_000)
    n_enqueue = args.enqueue or (200 if args.quick else 5_000)
    n_history = args.history or (5_000 if args.quick else 1_000_000)
    repeat = args.repeat or (1 if args.quick else 2)
    conns = args.connections
    with psycopg.connect(base) as conn:
        server = conn.execute("SHOW server_version").fetchone()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPU(s), load {os.getloadavg()[0]:.2f}, "
        f"Python {platform.python_version()}, PostgreSQL {server[0] if server else '?'}"
    )
    only = set(args.only or ("drain", "workers", "enqueue", "claim"))
    table = Table()
    with sink(args.sink) as (port, sink_name):
        print(f"sink: {sink_name} on 127.0.0.1:{port}; {conns} connection(s) per worker\n")

        def fresh_drain(url_needed: bool) -> Timing:
            schema = Schema(base) if url_needed else None
            try:
                return drain(port, n, conns, url=schema.url if schema else None)
            finally:
                if schema is not None:
                    schema.drop()

        lite = best(repeat, lambda: fresh_drain(False))
        pg = best(repeat, lambda: fresh_drain(True)) if "drain" in only else lite
        table.add(
            f"drain {n:,} × 2 KB, 1 worker: PostgreSQL vs SQLite",
            rate(pg),
            rate(lite),
            ratio(pg.rate, lite.rate),
            ">= 0.80x",
            "yes" if pg.rate >= 0.8 * lite.rate else "NO",
        )
        for workers in (2, 4) if "workers" in only else ():
            schema = Schema(base)
            try:
                multi = drain_processes(port, n, conns, workers, schema.url)
            finally:
                schema.drop()
            table.add(
                f"drain {n:,} × 2 KB, {workers} worker processes (PostgreSQL) vs 1 (SQLite)",
                f"{multi.rate:,.0f}/s",
                f"{lite.rate:,.0f}/s",
                ratio(multi.rate, lite.rate),
                "-",
                "-",
            )
        for per_call in (1, 500) if "enqueue" in only else ():
            count = n_enqueue if per_call > 1 else max(1, n_enqueue // 5)
            schema = Schema(base)
            try:
                pg_e = enqueue(count, per_call, url=schema.url)
            finally:
                schema.drop()
            lite_e = enqueue(count, per_call, url=None)
            table.add(
                f"enqueue {count:,}, {per_call} per call: PostgreSQL vs SQLite",
                rate(pg_e),
                rate(lite_e),
                ratio(pg_e.rate, lite_e.rate),
                "-",
                "-",
            )
        if "claim" not in only:
            table.print()
            return 0
        empty = claim_latency(0, base=base)
        full = claim_latency(n_history, base=base)
        table.add(
            f"claim latency (PostgreSQL), {n_history:,} rows of history vs empty",
            f"{full:.2f} ms",
            f"{empty:.2f} ms",
            ratio(full, empty),
            "<= 2.00x",
            "yes" if full <= 2 * empty else "NO",
        )
        lite_empty = claim_latency(0, base=None)
        table.add(
            "claim latency, empty: PostgreSQL vs SQLite",
            f"{empty:.2f} ms",
            f"{lite_empty:.2f} ms",
            ratio(empty, lite_empty),
            "-",
            "-",
        )
    table.print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
