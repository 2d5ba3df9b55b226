"""Outbox benchmark: prints mailplug's figures next to plain-library baselines.

    python bench/run.py                      # full run (several minutes)
    python bench/run.py --quick              # small counts, a few seconds (smoke test)
    python bench/run.py --install-postfix    # apt-get install postfix for smtp-sink first

The SMTP sink is Postfix's ``smtp-sink`` on 127.0.0.1 when installed (a fast
C sink, so the client side is what gets measured), else an aiosmtpd sink in
a separate process.  Figures:

1. drain throughput of N queued 2 KB messages: ``outbox flush`` vs raw
   aiosmtplib sending the same pre-rendered bytes over the same number of
   reused connections (target >= 0.9x) and vs stdlib smtplib over one reused
   connection (target >= 1.3x);
2. the same with 200 KB messages (target >= 0.9x raw aiosmtplib);
3. enqueue throughput (compose + durable store) vs building an
   ``email.message.EmailMessage`` and calling ``as_bytes()`` (target >= 2.5x);
4. peak RSS of a process draining a large queue (target < 150 MB);
5. claim latency and flush start with 1,000,000 rows of history vs an empty
   outbox (target: within 2x).

Throughputs are the best of ``--repeat`` runs (the machine may be shared);
CPU seconds per message are printed alongside.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import smtplib
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT / "src", ROOT / "plugins"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

SENDER = "biuro@firma.example"
BODY_LINE = "Dzień dobry, w załączeniu przesyłamy fakturę za usługi. Zażółć gęślą jaźń. "


# -- the sink ---------------------------------------------------------------------------

AIOSMTPD_SINK = """
import asyncio, sys
from aiosmtpd.smtp import SMTP

class Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 2.0.0 OK"

async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Sink(), data_size_limit=None, hostname="sink"), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


def smtp_sink_path() -> str | None:
    return shutil.which("smtp-sink") or (
        "/usr/sbin/smtp-sink" if Path("/usr/sbin/smtp-sink").exists() else None
    )


def install_postfix() -> None:
    if smtp_sink_path():
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(
        ["debconf-set-selections"],
        input=b"postfix postfix/main_mailer_type select No configuration\n",
        check=False,
    )
    subprocess.run(
        ["apt-get", "install", "-y", "--no-install-recommends", "postfix"], env=env, check=False
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def sink(kind: str = "auto") -> Iterator[tuple[int, str]]:
    path = smtp_sink_path() if kind in ("auto", "postfix") else None
    if kind == "postfix" and not path:
        raise SystemExit("smtp-sink not found: install postfix (--install-postfix)")
    if path:
        port = free_port()
        cmd = [path, f"127.0.0.1:{port}", "1000"]
        if os.geteuid() == 0:
            cmd[1:1] = ["-u", "nobody"]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        name = "postfix smtp-sink"
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    proc.kill()
                    raise
                time.sleep(0.05)
    else:
        proc = subprocess.Popen(
            [sys.executable, "-c", AIOSMTPD_SINK], stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        name = "aiosmtpd sink (separate process)"
    try:
        yield port, name
    finally:
        proc.terminate()
        proc.wait(10)


# -- messages ---------------------------------------------------------------------------


def rendered(i: int, size: int) -> bytes:
    head = (
        f"From: Biuro Firma <{SENDER}>\r\nTo: klient{i}@klient.example\r\n"
        f"Subject: Faktura {i}/2026\r\nMessage-ID: <bench-{i}-{size}@firma.example>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode()
    line = BODY_LINE.encode() + b"\r\n"
    body = line * max(1, (size - len(head)) // len(line) + 1)
    return head + body[: max(0, size - len(head))] + b"\r\n"


def account(port: int, connections: int) -> dict[str, Any]:
    return {
        "name": "bench",
        "email": SENDER,
        "transport": "smtp",
        "auth": None,
        "settings": {
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "max_connections": connections,
            "timeout": 60,
        },
    }


def fill_outbox(data_dir: Path, count: int, size: int, *, start: int = 0) -> None:
    """Queue ``count`` pre-rendered messages straight into the outbox file (not timed)."""
    from mailplug.outbox import NewEntry, new_id
    from mailplug.transport import Envelope
    from mailplug_sqlite import store
    from mailplug_sqlite.database import Database, Options

    db = Database(Options(data_dir / "outbox.sqlite3"))
    try:
        conn = db.submit_sync(lambda c: c)
        del conn
        now = datetime.now(UTC) - timedelta(seconds=1)
        for first in range(start, start + count, 1000):
            entries = []
            for i in range(first, min(first + 1000, start + count)):
                mid = f"<bench-{i}-{size}-{new_id()}@firma.example>"
                entries.append(
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
            db.submit_sync(store.insert, entries, now)
    finally:
        asyncio.run(db.aclose())


# -- measurements ---------------------------------------------------------------------------


@dataclass
class Timing:
    seconds: float
    cpu: float
    count: int

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else float("inf")

    @property
    def cpu_per_message(self) -> float:
        return self.cpu / self.count * 1e6 if self.count else 0.0


def timed(count: int, run: Callable[[], Any]) -> Timing:
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return Timing(time.perf_counter() - wall, time.process_time() - cpu, count)


def best(repeat: int, measure: Callable[[], Timing]) -> Timing:
    return max((measure() for _ in range(repeat)), key=lambda t: t.rate)


def drain_mailplug(port: int, count: int, size: int, connections: int) -> Timing:
    from mailplug import AsyncMailer

    with tempfile.TemporaryDirectory(prefix="mailplug-bench-") as tmp:
        data_dir = Path(tmp)
        fill_outbox(data_dir, count, size)

        async def go() -> Timing:
            async with AsyncMailer(
                [account(port, connections)], data_dir=data_dir, entry_points=False
            ) as m:
                await m.outbox()  # opening the file and loading plugins is not draining
                wall, cpu = time.perf_counter(), time.process_time()
                report = await m.flush(batch=128)
                timing = Timing(time.perf_counter() - wall, time.process_time() - cpu, count)
                assert report.sent == count, report.counts
                return timing

        return asyncio.run(go())


def drain_aiosmtplib(port: int, count: int, size: int, connections: int) -> Timing:
    import aiosmtplib

    payloads = [rendered(i, size) for i in range(count)]

    async def go() -> None:
        todo = iter(range(count))

        async def worker() -> None:
            smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False, timeout=60)
            await smtp.connect()
            for i in todo:
                await smtp.sendmail(SENDER, [f"klient{i}@klient.example"], payloads[i])
            await smtp.quit()

        await asyncio.gather(*(worker() for _ in range(connections)))

    return timed(count, lambda: asyncio.run(go()))


def drain_smtplib(port: int, count: int, size: int) -> Timing:
    payloads = [rendered(i, size) for i in range(count)]

    def go() -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
            for i in range(count):
                smtp.sendmail(SENDER, [f"klient{i}@klient.example"], payloads[i])

    return timed(count, go)


def enqueue_mailplug(count: int) -> Timing:
    from mailplug import AsyncMailer, Message

    body = (BODY_LINE * 30)[:2000]
    with tempfile.TemporaryDirectory(prefix="mailplug-bench-") as tmp:
        messages = [
            Message(
                sender=f"Biuro Firma <{SENDER}>",
                to=f"Jan Kowalski <klient{i}@klient.example>",
                subject=f"Faktura nr {i}/2026 – przypomnienie",
                text=body,
            )
            for i in range(count)
        ]
        acc = {**account(25, 1), "name": "bench"}

        async def go() -> Timing:
            async with AsyncMailer([acc], data_dir=Path(tmp), entry_points=False) as m:
                await m.outbox()
                wall, cpu = time.perf_counter(), time.process_time()
                for first in range(0, count, 500):
                    await m.enqueue_many(messages[first : first + 500])
                return Timing(time.perf_counter() - wall, time.process_time() - cpu, count)

        return asyncio.run(go())


def enqueue_email_package(count: int) -> Timing:
    from email.message import EmailMessage

    body = (BODY_LINE * 30)[:2000]

    def go() -> None:
        for i in range(count):
            msg = EmailMessage()
            msg["From"] = f"Biuro Firma <{SENDER}>"
            msg["To"] = f"Jan Kowalski <klient{i}@klient.example>"
            msg["Subject"] = f"Faktura nr {i}/2026 – przypomnienie"
            msg.set_content(body)
            msg.as_bytes()

    return timed(count, go)


RSS_CHILD = """
import asyncio, json, resource, sys
sys.path[:0] = {paths!r}
from mailplug import AsyncMailer

def vm_hwm():
    # The high-water mark of this process image only; ru_maxrss also counts the
    # parent's size at fork time (Linux keeps maxrss across execve).
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None

async def main():
    acc = json.loads(sys.argv[1])
    async with AsyncMailer([acc], data_dir=sys.argv[2], entry_points=False) as m:
        await m.outbox()
        before = vm_hwm() or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        report = await m.flush(batch=128)
    print(json.dumps({{
        "sent": report.sent,
        "before_kb": before,
        "hwm_kb": vm_hwm(),
        "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }}))

asyncio.run(main())
"""


def peak_rss(port: int, count: int, size: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="mailplug-bench-") as tmp:
        fill_outbox(Path(tmp), count, size)
        code = RSS_CHILD.format(paths=[str(ROOT / "src"), str(ROOT / "plugins")])
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", code, json.dumps(account(port, 3)), tmp],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        result["seconds"] = time.perf_counter() - started
        return result


def add_history(path: Path, rows: int) -> None:
    """``rows`` sent messages with a recipient and an attempt each, written by SQL (fast)."""
    conn = sqlite3.connect(path)
    now = time.time() - 86400
    with conn:
        conn.execute(
            """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
            INSERT INTO messages (id, message_id, account, status, priority, created_at,
                updated_at, age_from, sent_at, attempts, subject, sender, to_list,
                envelope_from, size)
            SELECT printf('h%015x', i), printf('<history-%d@firma.example>', i), 'bench', 'sent',
                3, ? - i, ? - i, ? - i, ? - i, 1, printf('Stara faktura %d', i), ?,
                printf('["klient%d@klient.example"]', i), ?, 2000
            FROM n
            """,
            (rows, now, now, now, now, SENDER, SENDER),
        )
        conn.execute(
            "INSERT INTO bodies (seq, data) SELECT seq, zeroblob(200) FROM messages "
            "WHERE status = 'sent'"
        )
        conn.execute(
            "INSERT INTO recipients (seq, position, address, status, updated_at) "
            "SELECT seq, 0, 'klient' || seq || '@klient.example', 'sent', sent_at FROM messages "
            "WHERE status = 'sent'"
        )
        conn.execute(
            "INSERT INTO attempts (seq, at, account, outcome, host, code, enhanced, text, "
            "duration, counted) SELECT seq, sent_at, 'bench', 'sent', '127.0.0.1', 250, '2.0.0', "
            "'OK', 0.01, 1 FROM messages WHERE status = 'sent'"
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def start_latency(port: int, history: int, queued: int) -> dict[str, float]:
    """Median claim latency and the wall time of a flush of ``queued`` messages."""
    from mailplug import AsyncMailer

    with tempfile.TemporaryDirectory(prefix="mailplug-bench-") as tmp:
        data_dir = Path(tmp)
        fill_outbox(data_dir, 1, 2000)  # creates the schema
        if history:
            add_history(data_dir / "outbox.sqlite3", history)
        fill_outbox(data_dir, queued, 2000, start=10)

        async def go() -> dict[str, float]:
            async with AsyncMailer([account(port, 3)], data_dir=data_dir, entry_points=False) as m:
                outbox = await m.outbox()
                claims = []
                for _ in range(25):
                    now = datetime.now(UTC)
                    t = time.perf_counter()
                    got = await outbox.claim("bench", limit=64, lease=60, now=now)
                    claims.append(time.perf_counter() - t)
                    await outbox.release("bench", [c.id for c in got], now=now)
                counts_t = time.perf_counter()
                await m.waiting()
                waiting = time.perf_counter() - counts_t
                t = time.perf_counter()
                report = await m.flush()
                flush = time.perf_counter() - t
                assert report.sent == queued + 1, report.counts
                return {
                    "claim_ms": statistics.median(claims) * 1000,
                    "waiting_ms": waiting * 1000,
                    "flush_s": flush,
                }

        return asyncio.run(go())


# -- report ---------------------------------------------------------------------------


@dataclass
class Table:
    rows: list[list[str]] = field(default_factory=list)

    def add(self, *cells: Any) -> None:
        self.rows.append([str(c) for c in cells])
        print("  " + " | ".join(str(c) for c in cells), flush=True)

    def print(self) -> None:
        headers = ["measurement", "mailplug", "baseline", "ratio", "target", "ok"]
        widths = [max(len(r[i]) for r in [headers, *self.rows]) for i in range(len(headers))]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        print()
        print(fmt.format(*headers))
        print(fmt.format(*("-" * w for w in widths)))
        for row in self.rows:
            print(fmt.format(*row))


def rate(t: Timing) -> str:
    return f"{t.rate:,.0f}/s ({t.cpu_per_message:.0f} µs CPU/msg)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small counts (smoke test)")
    parser.add_argument("--install-postfix", action="store_true", help="apt-get install postfix")
    parser.add_argument("--messages", type=int, help="2 KB messages to drain (default 20000)")
    parser.add_argument("--big", type=int, help="200 KB messages to drain (default 2000)")
    parser.add_argument("--enqueue", type=int, help="messages to enqueue (default 5000)")
    parser.add_argument("--rss", type=int, help="messages drained for peak RSS (default 100000)")
    parser.add_argument("--history", type=int, help="rows of history (default 1000000)")
    parser.add_argument("--connections", type=int, default=3, help="connections (default 3)")
    parser.add_argument(
        "--sink",
        choices=["auto", "postfix", "aiosmtpd"],
        default="auto",
        help="SMTP sink: postfix smtp-sink when installed (auto), or aiosmtpd",
    )
    parser.add_argument("--repeat", type=int, help="runs per throughput figure (best counts)")
    args = parser.parse_args(argv)
    quick = args.quick
    n_small = args.messages or (300 if quick else 20_000)
    n_big = args.big or (20 if quick else 2_000)
    n_enqueue = args.enqueue or (300 if quick else 5_000)
    n_rss = args.rss or (1_000 if quick else 100_000)
    n_history = args.history or (5_000 if quick else 1_000_000)
    repeat = args.repeat or (1 if quick else 3)
    conns = args.connections
    if args.install_postfix:
        install_postfix()

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPU(s), "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{platform.system()} {platform.release()}"
    )
    table = Table()
    with sink(args.sink) as (port, sink_name):
        print(f"sink: {sink_name} on 127.0.0.1:{port}; {conns} connection(s)\n")

        # First, while this process is still small: ru_maxrss of a child starts at the
        # parent's size when it forked.
        rss = peak_rss(port, n_rss, 2_000)
        peak_mb = (rss["hwm_kb"] or rss["maxrss_kb"]) / 1024
        table.add(
            f"peak RSS draining {n_rss:,} queued",
            f"{peak_mb:.0f} MB (getrusage {rss['maxrss_kb'] / 1024:.0f} MB; "
            f"{rss['sent']:,} sent in {rss['seconds']:.0f} s)",
            f"{rss['before_kb'] / 1024:.0f} MB before flush",
            "-",
            "< 150 MB",
            "yes" if peak_mb < 150 else "NO",
        )

        ours = best(repeat, lambda: drain_mailplug(port, n_small, 2_000, conns))
        raw = best(repeat, lambda: drain_aiosmtplib(port, n_small, 2_000, conns))
        std = best(repeat, lambda: drain_smtplib(port, n_small, 2_000))
        table.add(
            f"drain {n_small:,} × 2 KB vs raw aiosmtplib ({conns} conn.)",
            rate(ours),
            rate(raw),
            f"{ours.rate / raw.rate:.2f}x",
            ">= 0.9x",
            "yes" if ours.rate >= 0.9 * raw.rate else "NO",
        )
        table.add(
            f"drain {n_small:,} × 2 KB vs smtplib (1 conn.)",
            rate(ours),
            rate(std),
            f"{ours.rate / std.rate:.2f}x",
            ">= 1.3x",
            "yes" if ours.rate >= 1.3 * std.rate else "NO",
        )

        big = best(repeat, lambda: drain_mailplug(port, n_big, 200_000, conns))
        big_raw = best(repeat, lambda: drain_aiosmtplib(port, n_big, 200_000, conns))
        table.add(
            f"drain {n_big:,} × 200 KB vs raw aiosmtplib",
            rate(big),
            rate(big_raw),
            f"{big.rate / big_raw.rate:.2f}x",
            ">= 0.9x",
            "yes" if big.rate >= 0.9 * big_raw.rate else "NO",
        )

        enq = best(repeat, lambda: enqueue_mailplug(n_enqueue))
        email = best(repeat, lambda: enqueue_email_package(n_enqueue))
        table.add(
            f"enqueue {n_enqueue:,} (compose + store) vs EmailMessage.as_bytes()",
            rate(enq),
            rate(email),
            f"{enq.rate / email.rate:.2f}x",
            ">= 2.5x",
            "yes" if enq.rate >= 2.5 * email.rate else "NO",
        )

        empty = start_latency(port, 0, 100)
        full = start_latency(port, n_history, 100)
        table.add(
            f"claim latency, {n_history:,} rows of history vs empty",
            f"{full['claim_ms']:.2f} ms",
            f"{empty['claim_ms']:.2f} ms",
            f"{full['claim_ms'] / empty['claim_ms']:.2f}x",
            "<= 2x",
            "yes" if full["claim_ms"] <= 2 * empty["claim_ms"] else "NO",
        )
        table.add(
            f"flush of 100 queued, {n_history:,} rows of history vs empty",
            f"{full['flush_s'] * 1000:.0f} ms",
            f"{empty['flush_s'] * 1000:.0f} ms",
            f"{full['flush_s'] / empty['flush_s']:.2f}x",
            "<= 2x",
            "yes" if full["flush_s"] <= 2 * empty["flush_s"] else "NO",
        )
        table.add(
            f"'mail waiting' count, {n_history:,} rows of history vs empty",
            f"{full['waiting_ms']:.2f} ms",
            f"{empty['waiting_ms']:.2f} ms",
            f"{full['waiting_ms'] / max(empty['waiting_ms'], 1e-6):.2f}x",
            "-",
            "-",
        )
    table.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
