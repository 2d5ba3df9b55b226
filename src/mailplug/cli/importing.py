"""``mailplug import``: mail and send settings from older programs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ._base import EX_DATAERR, EX_OK, Context, bar_text, command, progress_option

if TYPE_CHECKING:
    from ..importers import Progress


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
    progress_option(p)


def _progress_line(label: str, progress: Progress) -> str:
    """``Importing Sent [######--------] 45% 120``."""
    share = min(progress.done / max(progress.total, 1), 1.0)
    bar = bar_text(progress.done, progress.total, 30, empty="-")
    return f"{label} [{bar}] {share:4.0%} {progress.items}"


@command(
    "import",
    help="import mail and send settings from an older program (exit 65 when some items failed)",
    arguments=_import_args,
)
def import_command(ctx: Context, args: argparse.Namespace) -> int:
    from ..importers import PROGRESS

    mailer = ctx.mailer()
    label = ctx.t(PROGRESS, source=args.path.name)
    bar = ctx.progress_bar(args.progress, lambda p: _progress_line(label, p))
    try:
        report = ctx.run(
            mailer.import_path(
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
