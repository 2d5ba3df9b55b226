"""The benchmark script runs end to end in its quick mode (figures only; no timing asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "run.py"


def test_bench_quick_prints_every_figure() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--sink", "aiosmtpd"],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("machine: ")
    assert "sink: aiosmtpd sink" in out
    table = out[out.index("measurement") :].splitlines()
    rows = {line.split("  ")[0]: line for line in table[2:] if line.strip()}
    expected = [
        "drain 300 × 2 KB vs raw aiosmtplib",
        "drain 300 × 2 KB vs smtplib",
        "drain 20 × 200 KB vs raw aiosmtplib",
        "enqueue 300 (compose + store) vs EmailMessage.as_bytes()",
        "peak RSS draining 1,000 queued",
        "claim latency, 5,000 rows of history vs empty",
        "flush of 100 queued, 5,000 rows of history vs empty",
    ]
    for name in expected:
        (row,) = [line for key, line in rows.items() if key.startswith(name)]
        assert re.search(r"\d[\d,.]*(/s| MB| ms)", row), row
        assert re.search(r"\d+\.\d\dx|  -  ", row), row
