"""``mailplug import``: mail and send settings from older programs."""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path
from typing import Any, TextIO

from ._base import EX_DATAERR, EX_OK, Context, command

_BAR_WIDTH = 30


def _import_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "path",
        type=Path,
        help="an .eml file or a folder of them, an mbox file, a Maildir folder or a "
        "Thunderbird profile folder",
    )
    p.add_argument(
        "--format",
        help="eml, mbox, maildir, thunderbird (or a plugin's format); default: recognised "
        "from the path",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="show what would be imported; change nothing"
    )
    p.add_argument("--account", help="account for messages whose From address matches no account")
    p.add_argument(
        "--as",
        dest="kind",
        choices=["queued", "sent"],
        help="treat every message as unsent (queued) or sent (history)",
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )


class ProgressBar:
    """A one-line progress bar on a terminal stream, redrawn at most ten times a second."""

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream = stream
        self.label = label
        self._lock = threading.Lock()
        self._last = 0.0
        self._drawn = False

    def __call__(self, progress: Any) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last < 0.1 and progress.done < progress.total:
                return
            self._last = now
            total = max(progress.total, 1)
            share = min(progress.done / total, 1.0)
            filled = int(share * _BAR_WIDTH)
            bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
            self.stream.write(f"\r{self.label} [{bar}] {share:4.0%} {progress.items}")
            self.stream.flush()
            self._drawn = True

    def close(self) -> None:
        with self._lock:
            if self._drawn:
                self.stream.write("\n")
                self.stream.flush()


@command(
    "import",
    help="import mail and send settings from an older program (exit 65 when some items failed)",
    arguments=_import_args,
)
def import_command(ctx: Context, args: argparse.Namespace) -> int:
    from ..importing import PROGRESS, import_path

    mailer = ctx.mailer()
    show = args.progress if args.progress is not None else (ctx.err.isatty() and not ctx.json)
    bar = ProgressBar(ctx.err, ctx.t(PROGRESS, source=args.path.name)) if show else None
    try:
        report = ctx.run(
            import_path(
                mailer,
                args.path,
                format=args.format,
                dry_run=args.dry_run,
                account=args.account,
                kind=args.kind,
                progress=bar,
            )
        )
    finally:
        if bar is not None:
            bar.close()
    if ctx.json:
        ctx.print_json(report.to_dict(mailer.translator, ctx.lang))
    else:
        ctx.print(*report.summary(mailer.translator, ctx.lang))
    return EX_OK if report.ok else EX_DATAERR
