"""What ``mailplug outbox salvage`` rescues from a damaged outbox.

    python bench/salvage.py                 # 300 messages, 100 of them sent
    python bench/salvage.py --messages 2000 --share 0.05

Builds a real outbox (bodies from a few hundred bytes to ~15 KB, so some span
overflow pages), then damages copies of it: the first page (4 KB: header and
schema) overwritten with random bytes, and a share of random pages overwritten.
Prints, for each, what ``outbox check`` says and what salvage rescued, lost and
rebuilt, beside the baseline: how many messages (row and body) plain SQLite
still reads from the damaged file, row by row, which is all one could get
before salvage existed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sqlite3
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT / "src", ROOT / "plugins"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from mailplug import AsyncMailer, Message  # noqa: E402
from mailplug_sqlite import care  # noqa: E402


async def build(root: Path, n: int) -> None:
    account = {"name": "biuro", "email": "biuro@firma.pl", "transport": "memory"}
    async with AsyncMailer([account], data_dir=root, entry_points=False) as m:
        await m.enqueue_many(
            [
                Message(
                    to=f"odbiorca{i}@example.com", subject=f"Faktura {i}", text="x" * (i % 300 * 50)
                )
                for i in range(n)
            ]
        )
        await m.flush(limit=n // 3)


def bodies(path: Path) -> dict[str, bytes]:
    """Message-ID → message bytes of an outbox SQLite can read."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT message_id, data FROM messages JOIN bodies USING (seq)"
        ).fetchall()
    finally:
        conn.close()
    return {str(m): bytes(d) for m, d in rows}


def readable_by_sqlite(path: Path, original: dict[str, bytes]) -> tuple[int, int]:
    """Messages whose row and body plain SQLite can still read, one by one, and how
    many of those bodies are intact (SQLite does not notice an overwritten last
    overflow page: it returns those bytes)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.DatabaseError:
        return 0, 0
    count = intact = 0
    try:
        seqs = [r[0] for r in conn.execute("SELECT seq FROM messages")]
    except sqlite3.DatabaseError:
        seqs = []
    for seq in seqs:
        try:
            row = conn.execute("SELECT message_id FROM messages WHERE seq = ?", (seq,)).fetchone()
            body = conn.execute("SELECT data FROM bodies WHERE seq = ?", (seq,)).fetchone()
        except sqlite3.DatabaseError:
            continue
        if row is not None and body is not None:
            count += 1
            intact += original.get(str(row[0])) == bytes(body[0])
    conn.close()
    return count, intact


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--share", type=float, default=0.1, help="share of pages overwritten")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} CPUs, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    with tempfile.TemporaryDirectory(prefix="mailplug-salvage-bench-") as tmp:
        root = Path(tmp)
        asyncio.run(build(root, args.messages))
        source = root / "outbox.sqlite3"
        original = bodies(source)
        pages = source.stat().st_size // 4096
        print(f"outbox: {args.messages} messages, {pages} pages of 4 KB")
        rng = random.Random(args.seed)
        chosen = rng.sample(range(1, pages), max(1, int(pages * args.share)))
        cases = {
            "first page overwritten": [0],
            f"{len(chosen)} random pages overwritten": chosen,
        }
        for name, damaged_pages in cases.items():
            damaged = root / "damaged.sqlite3"
            shutil.copyfile(source, damaged)
            with damaged.open("r+b") as f:
                for page in damaged_pages:
                    f.seek(page * 4096)
                    f.write(os.urandom(4096))
            verdict = care.check(damaged)
            baseline, baseline_intact = readable_by_sqlite(damaged, original)
            target = root / "rescued.sqlite3"
            report = care.salvage(damaged, target, now=datetime.now(UTC))
            got = bodies(target)
            intact = sum(original.get(m) == d for m, d in got.items())
            rescued = ", ".join(f"{k} {v}" for k, v in sorted(report.rescued.items()))
            print(
                f"{name:32}  check: {'sound' if verdict.ok else 'damaged'}  "
                f"rescued {report.total}/{args.messages} ({rescued}; rebuilt from content "
                f"{report.reconstructed}; intact {intact})  lost {len(report.lost)}  "
                f"unreadable {report.unreadable_bodies}  |  baseline, plain SQLite row by row: "
                f"{baseline} read, {baseline_intact} intact"
            )
            damaged.unlink()
            target.unlink()
            for suffix in ("-wal", "-shm"):
                target.with_name(target.name + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
