"""``mailplug outbox migrate-schema``: the PostgreSQL outbox's schema, for DBAs.

``--dry-run`` prints the SQL that creates or updates the schema (one
transaction, safe to run twice) without connecting, for databases where the
application's user may not create tables; without it the migrations are
applied (what opening the outbox does anyway).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mailplug.plugin import EX_OK, Command, CommandContext

from . import schema
from .options import parse_location

__all__ = ["MIGRATE_SCHEMA", "MOVE"]


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "url",
        nargs="?",
        help="postgresql://user@host/db?schema=mailplug (default: the configured outbox)",
    )
    p.add_argument("--dry-run", action="store_true", help="print the SQL, change nothing")
    p.add_argument(
        "--since",
        type=int,
        default=0,
        help="with --dry-run: the schema version already applied (default 0: all)",
    )


def migrate_schema(ctx: CommandContext, args: argparse.Namespace) -> int:
    url = args.url or _configured(ctx)
    options = parse_location(url)
    if args.dry_run:
        ctx.out.write(schema.script(options.schema, since=args.since))
        return EX_OK

    async def apply() -> None:
        from .outbox import open_outbox

        box = await open_outbox(url, services=ctx.mailer(outbox=None).services)
        await box.aclose()

    ctx.run(apply())
    ctx.print(f"schema {options.schema}: version {schema.LATEST}")
    return EX_OK


def _configured(ctx: CommandContext) -> Any:
    config = getattr(ctx.mailer(outbox=None), "config", None)
    return getattr(config, "outbox", None) or "postgresql:///"


MIGRATE_SCHEMA = Command(
    name="migrate-schema",
    group="outbox",
    help="create or update the PostgreSQL outbox schema (--dry-run prints the SQL)",
    handler=migrate_schema,
    arguments=_arguments,
)


def _move_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--to", required=True, help="postgresql://user@host/db?schema=mailplug")
    p.add_argument(
        "--from",
        dest="source",
        type=Path,
        help="the SQLite outbox file (default: the configured one)",
    )


def move_outbox(ctx: CommandContext, args: argparse.Namespace) -> int:
    from .move import Moved, move

    target = parse_location(args.to)
    mailer: Any = ctx.mailer(outbox=None)
    source: Path = args.source or _sqlite_file(mailer)

    def report(m: Moved) -> None:
        if not ctx.json:
            ctx.err.write(f"\r{m.moved} moved, {m.skipped} already there")

    async def run() -> Moved:
        from .outbox import open_outbox

        box = await open_outbox(args.to, services=mailer.services)  # creates the schema
        await box.aclose()
        return await move(source, target, progress=report)

    moved = ctx.run(run())
    if ctx.json:
        ctx.print_json(vars(moved) | {"from": str(source), "to": target.where})
    else:
        ctx.err.write("\n")
        ctx.print(
            f"{moved.moved} messages moved ({moved.attempts} attempts), "
            f"{moved.skipped} already in {target.where}, {moved.pauses} account pauses."
        )
    return EX_OK


def _sqlite_file(mailer: Any) -> Path:
    configured = getattr(mailer.config, "outbox", None)
    if configured and "://" not in str(configured):
        return Path(str(configured)).expanduser()
    return Path(mailer.runtime.data_dir) / "outbox.sqlite3"


MOVE = Command(
    name="move",
    group="outbox",
    help="copy the SQLite outbox (waiting mail and history) to PostgreSQL; safe to repeat",
    handler=move_outbox,
    arguments=_move_arguments,
)
