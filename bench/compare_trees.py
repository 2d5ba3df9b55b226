"""Drain throughput of two checkouts of mailplug, side by side, in one run.

    python bench/compare_trees.py BEFORE_DIR AFTER_DIR [--messages 20000] [--rounds 5]

Each round drains the same queue of 2 KB messages through ``bench/run.py``'s
``drain_mailplug`` of each checkout in turn (a fresh process each, the
checkout's ``src``/``plugins`` first on ``sys.path``), against one shared
SMTP sink (Postfix ``smtp-sink`` when installed, else aiosmtpd).  Rounds
alternate the order, so a machine that drifts slows both alike.  Prints each
round and the medians with the ratio AFTER/BEFORE.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import sink  # noqa: E402 - bench/run.py, beside this script

CHILD = """
import json, sys
tree = sys.argv[1]
for p in (tree + "/src", tree + "/plugins", tree + "/bench"):
    sys.path.insert(0, p)
from run import drain_mailplug
t = drain_mailplug(int(sys.argv[2]), int(sys.argv[3]), 2_000, int(sys.argv[4]))
print(json.dumps({"rate": t.rate, "cpu": t.cpu / t.count}))
"""


def drain(tree: Path, port: int, count: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(tree), str(port), str(count), str(connections)],
        check=True,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=3)
    parser.add_argument("--sink", choices=["auto", "postfix", "aiosmtpd"], default="auto")
    args = parser.parse_args()
    rates: dict[str, list[float]] = {"before": [], "after": []}
    with sink(args.sink) as (port, sink_name):
        print(f"sink: {sink_name}; {args.messages:,} × 2 KB; {args.connections} connections")
        for i in range(args.rounds):
            order = [("before", args.before), ("after", args.after)]
            if i % 2:
                order.reverse()
            line = []
            for name, tree in order:
                r = drain(tree.resolve(), port, args.messages, args.connections)
                rates[name].append(r["rate"])
                line.append(f"{name} {r['rate']:,.0f} msg/s ({r['cpu'] * 1e6:.0f} µs CPU/msg)")
            print(f"round {i + 1}: " + "; ".join(line))
    before, after = statistics.median(rates["before"]), statistics.median(rates["after"])
    print(
        f"median: before {before:,.0f} msg/s, after {after:,.0f} msg/s, "
        f"after/before {after / before:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
