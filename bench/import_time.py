"""Cold import time of mailplug next to ``import pydantic, pluggy``, in one run.

    python bench/import_time.py [--runs 30]

Each figure is the median wall time of fresh interpreters (``-c`` code), with the time of
an empty interpreter (``-c pass``) subtracted.  Target (issue 2): the full public API
(``mailplug.AsyncMailer``, ``Message``) adds no more than 50% on top of pydantic + pluggy.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time

CASES = {
    "python -c pass": "pass",
    "import pydantic, pluggy (baseline)": "import pydantic, pluggy",
    "pydantic, pluggy + one BaseModel defined": (
        "import pydantic, pluggy\nclass M(pydantic.BaseModel):\n    x: int"
    ),
    "import mailplug": "import mailplug",
    "mailplug: AsyncMailer + Message": (
        "import mailplug; mailplug.AsyncMailer; mailplug.Message; mailplug.Account"
    ),
    "mailplug: AsyncMailer() built (plugins, catalogs)": (
        "import mailplug; mailplug.AsyncMailer(outbox=None, entry_points=False)"
    ),
}


def measure(code: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    results = {name: measure(code, args.runs) for name, code in CASES.items()}
    empty = results["python -c pass"]
    base = results["import pydantic, pluggy (baseline)"] - empty
    print(
        f"machine: {platform.machine()} {platform.python_implementation()} "
        f"{platform.python_version()}, runs={args.runs}, median wall time"
    )
    print(f"{'case':52} {'total ms':>9} {'net ms':>8} {'vs baseline':>12}")
    for name, total in results.items():
        net = total - empty
        ratio = f"{net / base:.2f}x" if name != "python -c pass" else ""
        print(f"{name:52} {total * 1000:9.1f} {net * 1000:8.1f} {ratio:>12}")


if __name__ == "__main__":
    main()
