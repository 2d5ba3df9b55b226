"""``mailplug outbox migrate-schema``: the PostgreSQL outbox's schema, for DBAs.

``--dry-run`` prints the SQL that creates or updates the schema (one
transaction, safe to run twice) without connecting, for databases where the
application's user may not create tables; without it the migrations are
applied (what opening the outbox does anyway).
"""

from __future__ import annotations

import argparse
from typing import Any

from mailplug.plugin import EX_OK, Command, CommandContext

from . import schema
from .options import parse_location

__all__ = ["MIGRATE_SCHEMA"]


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
