"""Import throughput and peak memory for a large mbox.

Builds an mbox of N messages (default 10,000) as Thunderbird writes it — a
mix of Outlook, Thunderbird, Gmail, Apple Mail and Outlook Express messages,
one in five with a PDF attached, some without a Message-ID — then imports it
into a fresh SQLite outbox in a child process and prints messages per second
and the child's peak RSS (``ru_maxrss``).  A second child imports the same
file again (every message a duplicate), and a baseline child only starts the
mailer and opens the outbox, so the memory the import itself takes is visible.
RSS also counts the outbox's SQLite page cache and memory-mapped database
pages, which grow with the database; the Python heap peak (tracemalloc) of an
import of N and of 3×N messages shows that the importer itself streams.

    python bench/import_mbox.py [--messages 10000] [--keep] [--code CHECKOUT] [--no-traced]

``--code`` runs the children on another checkout's ``src/`` and ``plugins/`` (e.g. the
``main`` branch), so a baseline is measured in the same session on the same mbox.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_mbox(path: Path, count: int) -> int:
    """Write ``count`` messages to ``path``, one at a time; returns the file size."""
    sys.path.insert(0, str(ROOT))
    from tests import legacy_fixtures as fx

    pdf = fx.fake_pdf(20_000)
    makers = [
        lambda n: fx.outlook_2016(
            msgid=f"<bench-{n}@outlook.example>",
            attachment=pdf if n % 5 == 0 else fx.fake_pdf(400, str(n)),
        ),
        lambda n: fx.thunderbird(
            msgid=f"<bench-{n}@firma.pl>", subject=f"Umowa {n} – poprawki", status="0001"
        ),
        lambda n: fx.gmail(sender="jan@firma.pl", msgid=f"<bench-{n}@mail.gmail.com>"),
        lambda n: fx.apple_mail(sender="jan@firma.pl", msgid=f"<bench-{n}@icloud.com>"),
        lambda n: fx.outlook_express(sender="jan@firma.pl", msgid=f"<bench-{n}@oe.example>"),
        lambda n: fx.no_message_id(subject=f"Skan {n}"),
    ]
    with path.open("wb") as fh:
        for n in range(count):
            msg = makers[n % len(makers)](n)
            fh.write(fx.mbox_bytes([msg], from_lines=["From - Mon Oct  2 10:00:00 2023"]))
    return path.stat().st_size


def child(mbox: Path, data_dir: Path, mode: str) -> None:
    """Runs in the child process: import (or just open) and print one JSON line."""
    from mailplug.config import Config
    from mailplug.mailer import AsyncMailer
    from mailplug.testing import memory_account

    async def go() -> dict[str, object]:
        account = memory_account("jan", "jan@firma.pl")
        async with AsyncMailer([account], config=Config(), data_dir=data_dir) as mailer:
            await mailer.outbox()
            if mode == "baseline":
                return {"seconds": 0.0, "counts": {}}
            if mode == "traced":
                tracemalloc.start()
            started = time.perf_counter()
            report = await mailer.import_path(mbox, account="jan")
            seconds = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1] if mode == "traced" else None
            return {"seconds": seconds, "counts": report.counts, "python_peak": peak}

    result = asyncio.run(go())
    result["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(result))


def run_child(mbox: Path, data_dir: Path, mode: str, code: Path = ROOT) -> dict[str, object]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(code / "src"), str(code / "plugins")]))
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(mbox), str(data_dir)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    ).stdout
    data: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "MBOX", "DATA_DIR"))
    parser.add_argument(
        "--code", type=Path, default=ROOT, help="checkout whose src/ and plugins/ to measure"
    )
    parser.add_argument(
        "--no-traced", action="store_true", help="skip the (slow) tracemalloc runs of N and 3×N"
    )
    args = parser.parse_args()
    if args.child:
        mode, mbox, data_dir = args.child
        child(Path(mbox), Path(data_dir), mode)
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="mailplug-bench-import-"))
    try:
        mbox = tmp / "Sent"
        started = time.perf_counter()
        size = build_mbox(mbox, args.messages)
        built = time.perf_counter() - started
        python = sys.version.split()[0]
        print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {python}")
        print(f"mbox: {args.messages} messages, {size / 1e6:.1f} MB (built in {built:.1f} s)")
        print(f"code measured: {args.code.resolve()}")
        big = tmp / "Sent-x3"
        if not args.no_traced:
            build_mbox(big, args.messages * 3)
        base = run_child(mbox, tmp / "baseline", "baseline", args.code)
        first = run_child(mbox, tmp / "data", "import", args.code)
        again = run_child(mbox, tmp / "data", "import", args.code)
        rows = [
            ("baseline (mailer + outbox)", base),
            ("import into empty outbox", first),
            ("import again (all duplicates)", again),
        ]
        print(f"{'run':32} {'msg/s':>9} {'MB/s':>7} {'seconds':>8} {'peak RSS':>10}")
        for label, r in rows:
            secs = float(r["seconds"])  # type: ignore[arg-type]
            rate = f"{args.messages / secs:9.0f}" if secs else f"{'-':>9}"
            mbs = f"{size / 1e6 / secs:7.1f}" if secs else f"{'-':>7}"
            rss = int(r["maxrss_kb"]) / 1024  # type: ignore[call-overload]
            print(f"{label:32} {rate} {mbs} {secs:8.2f} {rss:8.1f} MB")
        traced = {
            n: run_child(path, tmp / f"traced-{n}", "traced", args.code)
            for n, path in ((args.messages, mbox), (args.messages * 3, big))
            if not args.no_traced
        }
        for n, r in traced.items():
            peak = int(r["python_peak"]) / 1e6  # type: ignore[call-overload]
            print(
                f"Python heap peak during the import of {n} messages (tracemalloc): {peak:.1f} MB"
            )
        print(f"counts, first import: {first['counts']}")
        print(f"counts, second import: {again['counts']}")
        extra = (int(first["maxrss_kb"]) - int(base["maxrss_kb"])) / 1024  # type: ignore[call-overload]
        print(f"memory the import adds: {extra:.1f} MB (for a {size / 1e6:.0f} MB mbox)")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
