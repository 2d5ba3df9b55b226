"""``mailplug bounces fetch ACCOUNT``: read the inbox over IMAP, record the reports found.

Each message not yet marked processed is fetched (without setting ``\\Seen``),
handed to :meth:`mailplug.AsyncMailer.track_report` (parse, classify, match
exactly, record, events) and — unless ``--dry-run`` — marked
``$MailplugProcessed`` (``\\Seen`` where the folder keeps no keywords), and
moved to ``--move-to`` when given.  Ordinary mail is left as it was.  Fetching
twice changes nothing: processed reports are not fetched again, and recording
is idempotent anyway.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mailplug.plugin import EX_OK, Command, CommandContext
from mailplug.plugin import keys as core_keys

from . import keys
from .mailbox import Mailbox

__all__ = ["FETCH", "IDLE_CHUNK", "FetchResult", "fetch_reports", "watch_reports"]

#: Longest single IDLE wait (seconds); the watch loop fetches again after it.
IDLE_CHUNK = 30.0


@dataclass
class FetchResult:
    """What one fetch saw and did."""

    account: str
    examined: int = 0
    reports: list[dict[str, Any]] = field(default_factory=list)
    marked: list[int] = field(default_factory=list)
    dry_run: bool = False
    idled: bool = False

    @property
    def changes(self) -> int:
        return sum(len(r["changes"]) for r in self.reports)

    @property
    def unmatched(self) -> list[dict[str, Any]]:
        return [r for r in self.reports if r["unmatched"]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "examined": self.examined,
            "dry_run": self.dry_run,
            "changes": self.changes,
            "marked": self.marked,
            "reports": self.reports,
        }


async def fetch_reports(
    mailer: Any,
    account_name: str,
    *,
    dry_run: bool = False,
    folder: str = "INBOX",
    move_to: str | None = None,
    limit: int = 500,
    idle: float | None = None,
    on_result: Callable[[FetchResult], None] | None = None,
) -> FetchResult:
    """Fetch, track and mark the unprocessed messages of ``account_name``'s ``folder``.

    :param idle: then wait up to this many seconds for new mail with IDLE before
        logging out (:attr:`FetchResult.idled` says whether the server offered it).
    :param on_result: called with the result before that wait.
    """
    account = mailer.account(account_name)
    if account.imap is None:
        raise core_keys.ACCOUNT_INVALID_SETTINGS.error(
            field="imap", problem="no IMAP server is set for this account"
        )
    auth = await mailer.authenticator(account)
    if auth is None:
        raise core_keys.ACCOUNT_INVALID_SETTINGS.error(
            field="auth", problem="reading the inbox needs a login"
        )
    credentials = await auth.credentials()
    result = FetchResult(account.name, dry_run=dry_run)
    box = Mailbox(account, account.imap)
    try:
        await box.run(box.open, credentials, folder)
        uids = await box.run(box.unprocessed, limit)
        raws = await box.run(box.fetch, uids)
        result.examined = len(uids)
        done = []
        for uid in uids:
            tracked = await mailer.track_report(
                raws.get(uid, b""), account=account.name, dry_run=dry_run
            )
            if tracked.report.kind == "none":
                continue  # ordinary mail: not ours to mark
            result.reports.append({"uid": uid, **tracked.to_dict()})
            done.append(uid)
        if not dry_run:
            await box.run(box.mark, done, move_to)
            result.marked = done
        if on_result is not None:
            on_result(result)
        if idle:
            result.idled = await box.run(box.idle_wait, idle)
    finally:
        await box.run(box.close)
    return result


async def watch_reports(
    mailer: Any,
    account_name: str,
    *,
    every: float,
    cycles: int | None = None,
    on_result: Callable[[FetchResult], None] | None = None,
    **options: Any,
) -> list[FetchResult]:
    """Fetch again and again: between runs wait with IDLE where offered, else sleep ``every``.

    With IDLE a new bounce is recorded as soon as it arrives; ``cycles`` bounds
    the loop (``None``: until cancelled, e.g. by Ctrl-C).  One IDLE wait lasts at
    most :data:`IDLE_CHUNK` seconds: the wait blocks a worker thread, which a
    Ctrl-C cannot interrupt, so it must end soon on its own.
    """
    results: list[FetchResult] = []
    while cycles is None or len(results) < cycles:
        last = len(results) + 1 == cycles
        idle = None if last else min(every, IDLE_CHUNK)
        result = await fetch_reports(
            mailer, account_name, idle=idle, on_result=on_result, **options
        )
        results.append(result)
        if not result.idled and not last:
            await asyncio.sleep(every)
    return results


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("account", help="account name")
    p.add_argument("--dry-run", action="store_true", help="show what would be recorded")
    p.add_argument("--folder", default="INBOX", help="the folder to read (default INBOX)")
    p.add_argument("--move-to", help="move processed reports to this folder")
    p.add_argument("--limit", type=int, default=500, help="messages per run (default 500)")
    p.add_argument(
        "--every",
        type=float,
        metavar="SECONDS",
        help="keep watching: fetch again after new mail (IDLE) or every SECONDS; Ctrl-C stops",
    )


def fetch(ctx: CommandContext, args: argparse.Namespace) -> int:
    mailer = ctx.mailer()
    options = {
        "dry_run": args.dry_run,
        "folder": args.folder,
        "move_to": args.move_to,
        "limit": args.limit,
    }
    if args.every:
        try:
            ctx.run(
                watch_reports(
                    mailer,
                    args.account,
                    every=args.every,
                    on_result=lambda r: _show(ctx, mailer, r),
                    **options,
                )
            )
        except KeyboardInterrupt:
            return EX_OK
        return EX_OK
    _show(ctx, mailer, ctx.run(fetch_reports(mailer, args.account, **options)))
    return EX_OK


def _show(ctx: CommandContext, mailer: Any, result: FetchResult) -> None:
    if ctx.json:
        ctx.print_json(result.to_dict())
        return
    ctx.print(
        ctx.t(
            keys.FETCH_SUMMARY,
            account=result.account,
            examined=result.examined,
            reports=len(result.reports),
            changes=result.changes,
            unmatched=len(result.unmatched),
        )
    )
    for report in result.reports:
        for change in report["changes"]:
            reason = ""
            if change["error"]:
                from mailplug.plugin import ErrorInfo

                reason = mailer.reason(ErrorInfo.from_dict(change["error"])).message(ctx.lang)
            ctx.print(
                ctx.t(
                    keys.FETCH_CHANGE,
                    address=change["address"],
                    state=change["recipient_status"],
                    reason=reason,
                )
            )
    for report in result.unmatched:
        ctx.print(
            ctx.t(
                keys.FETCH_UNMATCHED,
                subject=report["subject"] or "",
                original=report["original_message_id"] or "?",
            )
        )


FETCH = Command(
    "fetch",
    group="bounces",
    help="read the account's inbox over IMAP and record bounces and read receipts",
    handler=fetch,
    arguments=_arguments,
)
