"""Outbox care for operators: free a dead sender's messages (``outbox release``).

Kept apart from the everyday commands in :mod:`mailplug.cli.outbox`: these act on
the outbox as a whole, after something went wrong.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from .. import leases
from .. import outbox_keys as k
from ._base import EX_OK, EX_USAGE, Context, command
from .outbox import when_exact


def _release_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "worker",
        nargs="?",
        help="the sender holding the messages (host:pid, or the full name outbox list shows)",
    )
    p.add_argument(
        "--dead", action="store_true", help="every sender on this computer whose process is gone"
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="also a sender on another computer (make sure it is stopped first)",
    )


def _alive_text(ctx: Context, holder: leases.Holder) -> str:
    if holder.alive is None:
        return ctx.t(k.WORKER_ELSEWHERE)
    return ctx.t(k.WORKER_RUNNING if holder.alive else k.WORKER_DEAD)


def _holders_json(holders: list[leases.Holder]) -> list[dict[str, object]]:
    return [
        {
            "worker": h.worker,
            "host": h.host,
            "pid": h.pid,
            "alive": h.alive,
            "until": h.until.isoformat() if h.until else None,
            "entries": list(h.entries),
        }
        for h in holders
    ]


@command(
    "release",
    group="outbox",
    help="free the messages a stopped sender still holds (without arguments: list senders)",
    arguments=_release_args,
)
def outbox_release(ctx: Context, args: argparse.Namespace) -> int:
    mailer = ctx.mailer()
    outbox = ctx.run(mailer.outbox())
    now = datetime.now(UTC)
    if args.worker and args.dead:
        ctx.err.write("give a sender or --dead, not both\n")
        return EX_USAGE
    if args.worker:
        # (Refusals raise: printed localized with their exit code by the CLI's main.)
        released = ctx.run(leases.release(outbox, args.worker, now=now, force=args.force))
    elif args.dead:
        released = ctx.run(leases.release_dead(outbox, now=now, force=args.force))
    else:
        holders = ctx.run(leases.holders(outbox, now=now))
        if ctx.json:
            ctx.print_json({"holders": _holders_json(holders)})
        elif not holders:
            ctx.print(ctx.t(k.NOTHING_HELD))
        else:
            ctx.table(
                [
                    [
                        h.worker,
                        str(len(h.entries)),
                        when_exact(ctx, h.until) if h.until else "-",
                        _alive_text(ctx, h),
                    ]
                    for h in holders
                ],
                [
                    ctx.t(k.COL_WORKER),
                    ctx.t(k.COL_COUNT),
                    ctx.t(k.COL_HELD_UNTIL),
                    ctx.t(k.COL_ALIVE),
                ],
            )
        return EX_OK
    if ctx.json:
        ctx.print_json({"released": _holders_json(released)})
    elif not released:
        ctx.print(ctx.t(k.NO_DEAD_SENDER))
    else:
        for h in released:
            ctx.print(ctx.t(k.RELEASED, n=len(h.entries), worker=h.worker))
    return EX_OK
