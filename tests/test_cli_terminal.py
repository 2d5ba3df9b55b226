"""Tables fit the terminal they are printed on: a real pseudo-terminal of 80 columns."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Any

from tests.test_cli_outbox import write_accounts

from mailplug.cli import main
from mailplug.cli._base import format_table, text_width

LONG = "Faktura 7/2026 za usługi serwisowe — zestawienie godzin, materiałów i dojazdów 会議の議事録"
WIDE_TO = "bardzo.dlugi.adres.odbiorcy.w.dziale.ksiegowosci@oddzial-poludniowy.example.com"


def _run_in_pty(argv: list[str], columns: int) -> str:
    """Run the CLI with stdout on a terminal ``columns`` wide; return what it printed."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {**os.environ, "COLUMNS": "", "LINES": ""}
    env.pop("COLUMNS")
    env.pop("LINES")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailplug", *argv],
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=subprocess.PIPE,
        env=env,
    )
    os.close(terminal)
    chunks = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.5)
        if ready:
            try:
                data = os.read(controller, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    proc.wait(timeout=30)
    os.close(controller)
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def test_outbox_list_fits_an_80_column_terminal(
    tmp_path: Path, smtp_server: Any, capsys: Any
) -> None:
    srv = smtp_server()
    write_accounts(Path(os.environ["MAILPLUG_CONFIG"]), srv)
    args = ["send", "--subject", LONG, "--text", "…", "--to", WIDE_TO, "--json"]
    assert main(args) == 0
    capsys.readouterr()

    shown = _run_in_pty(["outbox", "list", "--lang", "pl"], columns=80)
    lines = [line for line in shown.splitlines() if line.strip()]
    assert len(lines) >= 3  # header, rule, the message
    assert all(text_width(line) <= 80 for line in lines), shown
    assert "…" in shown and LONG not in shown

    # Into a pipe (a file, grep) rows are not fitted to any width.
    piped = subprocess.run(
        [sys.executable, "-m", "mailplug", "outbox", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert max(text_width(line) for line in piped.splitlines()) > 80


def test_wide_characters_count_twice_and_short_columns_stay_whole() -> None:
    rows = [["3f2a9c1b", "czeka", "会議の議事録" * 6, WIDE_TO]]
    lines = format_table(rows, ["ID", "STATUS", "TEMAT", "DO"], width=60)
    assert all(text_width(line) <= 60 for line in lines)
    assert lines[2].startswith("3f2a9c1b  czeka")
    assert format_table(rows, ["ID", "STATUS", "TEMAT", "DO"])[2].endswith(WIDE_TO)


def test_flush_progress_shows_rate_and_time_left() -> None:
    import argparse

    from mailplug.cli._base import Context
    from mailplug.cli.outbox import _progress_line
    from mailplug.dispatch import FlushProgress

    progress = FlushProgress(total=100, done=25, started=time.monotonic() - 5.0)
    assert 4.0 < progress.rate <= 5.0
    left = progress.seconds_left
    assert left is not None and 14.0 < left <= 15.1
    ctx = Context(argparse.Namespace(lang="pl"))
    line = _progress_line(ctx, progress)
    assert "/s, zostało około 0:1" in line and "25" in line and "100" in line
    assert FlushProgress(total=10).seconds_left is None  # nothing done yet: no estimate
