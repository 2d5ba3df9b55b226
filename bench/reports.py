"""Report parser throughput: python bench/reports.py [--repeat N].

Parses (and classifies) every message of ``tests/corpus/reports`` N times and
prints reports per second, beside the baseline of merely parsing the same
bytes with the standard library (``email.message_from_bytes``), which any
parser has to pay.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import time
from pathlib import Path

from mailplug import AsyncMailer

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus" / "reports" / "messages"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    raws = [p.read_bytes() for p in sorted(CORPUS.rglob("*.eml"))]
    mailer = AsyncMailer(outbox=None, entry_points=False)
    mailer.parse_report(raws[0])  # warm up: plugins, regexes, the reply table

    def best(fn: object) -> float:
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            for raw in raws:
                fn(raw)  # type: ignore[operator]
            times.append(time.perf_counter() - start)
        return min(times)

    baseline = best(lambda raw: email.message_from_bytes(raw, policy=email.policy.compat32))
    ours = best(mailer.parse_report)
    size = sum(len(r) for r in raws) / 1e6
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"corpus: {len(raws)} reports, {size:.1f} MB; load average {load:.2f}")
    print(f"mailplug parse_report (parse + classify): {len(raws) / ours:8.0f} reports/s")
    print(f"baseline email.message_from_bytes only:   {len(raws) / baseline:8.0f} reports/s")
    print(f"mailplug takes {ours / baseline:.1f}x the time of the stdlib parse alone")


if __name__ == "__main__":
    main()
