"""The PostgreSQL benchmark script runs end to end in its quick mode (figures only)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "postgres.py"


def test_postgres_bench_quick_prints_every_figure(postgres: str) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--sink", "aiosmtpd", "--url", postgres],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("machine: ") and "PostgreSQL" in out.splitlines()[0]
    table = out[out.index("measurement") :].splitlines()[2:]
    expected = [
        "drain 300 × 2 KB, 1 worker: PostgreSQL vs SQLite",
        "drain 300 × 2 KB, 2 worker processes",
        "drain 300 × 2 KB, 4 worker processes",
        "enqueue 40, 1 per call",
        "enqueue 200, 500 per call",
        "claim latency (PostgreSQL), 5,000 rows of history vs empty",
        "claim latency, empty: PostgreSQL vs SQLite",
    ]
    for name in expected:
        (row,) = [line for line in table if line.startswith(name)]
        assert re.search(r"\d[\d,.]*(/s| ms)", row), row
        assert re.search(r"\d+\.\d\dx", row), row
