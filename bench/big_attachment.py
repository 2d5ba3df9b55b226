"""Peak memory of enqueueing and sending one big attachment, two checkouts side by side.

    python bench/big_attachment.py [BEFORE_DIR] [--size-mb 200] [--after DIR]
                                   [--postgres postgresql://postgres@127.0.0.1:5432/test]

For each checkout (BEFORE_DIR, e.g. a worktree of ``main``: ``git worktree add
/tmp/before main``; and this one), a fresh process with that checkout's ``src``
and ``plugins`` first on ``sys.path``:

1. opens a mailer on a new data folder and sends one small message through it
   (modules imported, outbox open, session pool warm): its resident memory
   then is the **idle** figure;
2. resets the kernel's peak (``/proc/self/clear_refs``), enqueues a message with
   a ``--size-mb`` attachment (a file of random bytes), and reads the peak
   (``VmHWM``): **enqueue**;
3. resets it again and flushes the message to an SMTP sink in another process
   (one that reads the data and throws it away, counting the bytes): **flush**.

Prints, per checkout, the peak above idle for each phase, the outbox file's
growth and what reached the sink.  Linux only (``/proc``).  Without
BEFORE_DIR only this checkout is measured.  With ``--postgres`` the outbox is a
fresh schema in that database (dropped afterwards) instead of the SQLite file.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
TREE = HERE.parent

SINK = r"""
import asyncio, sys

async def session(reader, writer):
    def say(line):
        writer.write(line.encode() + b"\r\n")
    say("220 sink ESMTP")
    await writer.drain()
    while True:
        line = await reader.readline()
        if not line:
            break
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            writer.write(b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 0\r\n")
        elif verb == b"DATA":
            say("354 go on")
            await writer.drain()
            size = 0
            while True:
                chunk = await reader.readline()  # (limit: a line of 64 KB at most)
                if not chunk or chunk == b".\r\n":
                    break
                size += len(chunk)
            say("250 2.0.0 OK")
            print(size, flush=True)
        elif verb == b"QUIT":
            say("221 bye")
            await writer.drain()
            break
        else:
            say("250 OK")
        await writer.drain()
    writer.close()

async def main():
    server = await asyncio.start_server(session, "127.0.0.1", 0, limit=1 << 16)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()

asyncio.run(main())
"""

CHILD = r"""
import asyncio, gc, json, sys, time
from pathlib import Path
tree, data_dir, attachment, port = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
options = {"outbox": sys.argv[5]} if sys.argv[5] else {}
for p in (tree + "/src", tree + "/plugins"):
    sys.path.insert(0, p)
import mailplug
from mailplug import AsyncMailer, Attachment, Message

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise LookupError(field)

def reset_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")

account = {
    "name": "bench", "email": "biuro@firma.example", "transport": "smtp", "auth": None,
    "settings": {"host": "127.0.0.1", "port": port, "security": "none",
                 "max_connections": 1, "timeout": 120},
}

def outbox_bytes():
    return sum(f.stat().st_size for f in data_dir.rglob("*") if f.is_file())

async def main():
    async with AsyncMailer([account], data_dir=data_dir, entry_points=False,
                           max_message_size=None, **options) as m:
        await m.enqueue(Message(to="klient@klient.example", subject="warm", text="hello\n"))
        await m.flush()
        gc.collect()
        time.sleep(0.2)
        idle = status("VmRSS")
        before = outbox_bytes()
        reset_peak()
        t0 = time.perf_counter()
        await m.enqueue(Message(to="klient@klient.example", subject="big",
                                text="Attached.\n", attachments=[Attachment(path=attachment)]))
        enqueue_s = time.perf_counter() - t0
        enqueue_peak = status("VmHWM")
        grown = outbox_bytes() - before
        gc.collect()
        reset_peak()
        t0 = time.perf_counter()
        report = await m.flush()
        flush_s = time.perf_counter() - t0
        flush_peak = status("VmHWM")
    print(json.dumps({
        "version": mailplug.__file__, "idle": idle, "enqueue_peak": enqueue_peak,
        "flush_peak": flush_peak, "grown": grown, "sent": report.sent,
        "enqueue_s": enqueue_s, "flush_s": flush_s,
    }))

asyncio.run(main())
"""

MB = 1_000_000


def measure(tree: Path, attachment: Path, port: int, postgres: str | None) -> dict[str, float]:
    schema = f"mp_bench_{uuid.uuid4().hex[:12]}"
    outbox = f"{postgres}{'&' if '?' in postgres else '?'}schema={schema}" if postgres else ""
    try:
        with tempfile.TemporaryDirectory(prefix="mailplug-bench-") as data:
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(tree), data, str(attachment), str(port), outbox],
                check=True,
                capture_output=True,
                text=True,
                timeout=1800,
            )
    finally:
        if postgres:
            import psycopg

            with psycopg.connect(postgres, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path, nargs="?")
    parser.add_argument("--after", type=Path, default=TREE)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--postgres", metavar="URL", help="measure a PostgreSQL outbox instead")
    args = parser.parse_args()
    trees = [("after", args.after)]
    if args.before is not None:
        trees.insert(0, ("before", args.before))
    sink = subprocess.Popen([sys.executable, "-c", SINK], stdout=subprocess.PIPE, text=True)
    try:
        assert sink.stdout is not None
        port = int(sink.stdout.readline())
        with tempfile.TemporaryDirectory(prefix="mailplug-bench-file-") as work:
            attachment = Path(work) / "duzy-zalacznik.bin"
            with open(attachment, "wb") as f:
                for _ in range(args.size_mb):
                    f.write(os.urandom(MB))
            where = "PostgreSQL" if args.postgres else "SQLite"
            print(
                f"attachment: {args.size_mb} MB of random bytes; {where} outbox; "
                f"load: {os.getloadavg()[0]:.2f}"
            )
            for name, tree in trees:
                r = measure(tree.resolve(), attachment, port, args.postgres)
                sink.stdout.readline()  # the warm-up message
                received = int(sink.stdout.readline())
                print(
                    f"{name:6} ({tree}): idle {r['idle'] / MB:.0f} MB; peak above idle: "
                    f"enqueue {(r['enqueue_peak'] - r['idle']) / MB:.0f} MB "
                    f"({r['enqueue_s']:.1f} s), flush {(r['flush_peak'] - r['idle']) / MB:.0f} MB "
                    f"({r['flush_s']:.1f} s); "
                    + ("" if args.postgres else f"outbox grew {r['grown'] / MB:.0f} MB; ")
                    + f"sent {int(r['sent'])}, sink got {received / MB:.0f} MB"
                )
    finally:
        sink.terminate()
        sink.wait(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
