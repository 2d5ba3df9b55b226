"""Outbox commands: list, find, show, flush, work, retry, cancel, purge, resume, count; status.

``mailplug outbox flush`` draws a progress bar on standard error (plain text)
and ends with a summary table; the first Ctrl-C lets the messages being sent
finish and leaves the rest queued, a second one aborts them too.

Exit codes of ``flush``: 0 when everything due was sent, 75 (temporary
failure) when something was deferred or an account is held, 78 when an
account is paused until its settings or password are fixed, 69 when a
message failed for good.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from .. import outbox_keys as k
from .. import texts
from ..dispatch import FlushReport
from ..errors import Category, StorageError
from ..outbox import CopyStatus
from ..storage import Status
from ..text import format_number
from ._base import (
    EX_CONFIG,
    EX_OK,
    EX_TEMPFAIL,
    EX_UNAVAILABLE,
    EX_USAGE,
    Context,
    bar_text,
    command,
    exit_code_for,
    progress_option,
)

if TYPE_CHECKING:
    from ..dispatch import FlushProgress
    from ..errors import Text
    from ..mailer import AsyncMailer
    from ..outbox import Attempt, ErrorInfo, OutboxEntry, SentCopy

T = TypeVar("T")

RECIPIENT_TEXTS: dict[str, Text] = {
    "pending": k.RECIPIENT_PENDING,
    "sent": k.RECIPIENT_SENT,
    "failed": k.RECIPIENT_FAILED,
    "cancelled": k.RECIPIENT_CANCELLED,
    "delayed": k.RECIPIENT_DELAYED,
    "bounced": k.RECIPIENT_BOUNCED,
    "read": k.RECIPIENT_READ,
    "deleted-unread": k.RECIPIENT_DELETED_UNREAD,
}
#: Recipient states a delivery report set, strongest first (the list shows these).
REPORTED = ("bounced", "deleted-unread", "read", "delayed")

#: Statuses ``retry --all`` picks up.
RETRY_ALL = (Status.FAILED, Status.PARTIAL, Status.DEFERRED, Status.UNCERTAIN)


# -- helpers --------------------------------------------------------------------


def when(ctx: Context, value: datetime | None, *, short: bool = False) -> str:
    """A time as the user reads it: local, to the minute, in the language's form (babel)."""
    return ctx.when(value, short=short)


def parse_when(text: str) -> datetime:
    """``2026-03-01`` or ``2026-03-01T14:30`` (local time unless a zone is given)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None
    if value.tzinfo is None:
        value = value.astimezone()
    return value.astimezone(UTC)


def when_exact(ctx: Context, value: datetime) -> str:
    """A time to the second (leases last seconds, not minutes)."""
    return ctx.when(value, seconds=True, short=True)


def held_by(ctx: Context, entry: OutboxEntry) -> str:
    """``held by sender host:pid:… until …`` for an entry being sent, else ``""``."""
    if entry.status is not Status.SENDING or not entry.lease_owner or entry.lease_until is None:
        return ""
    if entry.lease_until <= datetime.now(UTC):
        return ""  # the lease ran out: free for the next flush
    return ctx.t(k.HELD_BY, worker=entry.lease_owner, until=when_exact(ctx, entry.lease_until))


def possibly_twice(history: tuple[Attempt, ...]) -> set[int]:
    """Indexes of the attempts that delivered a message an earlier attempt may have
    delivered already (an uncertain outcome, then a retry with the same Message-ID)."""
    marked: set[int] = set()
    uncertain = False
    for i, attempt in enumerate(history):
        if attempt.outcome is Status.UNCERTAIN:
            uncertain = True
        elif uncertain and attempt.outcome in (Status.SENT, Status.PARTIAL):
            marked.add(i)
    return marked


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def status_name(ctx: Context, status: Status) -> str:
    return ctx.t(texts.STATUS_TEXTS[status])


def reason(ctx: Context, mailer: AsyncMailer, info: ErrorInfo | None) -> str:
    return mailer.reason(info).message(ctx.lang) if info is not None else ""


def error_json(ctx: Context, mailer: AsyncMailer, info: ErrorInfo | None) -> Any:
    if info is None:
        return None
    return {**info.to_dict(), **mailer.reason(info).to_dict(ctx.lang)}


def counts_line(ctx: Context, counts: dict[str, int]) -> str:
    """``sent 43  deferred 2``: the statuses reached so far, in the user's words."""
    return "  ".join(f"{status_name(ctx, Status(s))} {n}" for s, n in counts.items() if n)


def _progress_line(ctx: Context, progress: FlushProgress) -> str:
    """``[#########           ] 45/100  120/s, about 0:01 left  sent 43  deferred 2``."""
    total = max(progress.total, progress.done, 1)
    label = ctx.t(k.SENDING_PROGRESS, done=progress.done, total=total)
    left = progress.seconds_left
    if left is not None:
        minutes, seconds = divmod(round(left), 60)
        label += "  " + ctx.t(
            k.SENDING_RATE,
            rate=format_number(round(progress.rate), ctx.shown_lang),
            left=f"{minutes}:{seconds:02d}",
        )
    return f"[{bar_text(progress.done, total, 28)}] {label}  {counts_line(ctx, progress.counts)}"


def recipient_state(ctx: Context, status: str) -> str:
    return ctx.t(RECIPIENT_TEXTS.get(status, k.RECIPIENT_PENDING))


def sent_copy_text(ctx: Context, copy: SentCopy) -> str:
    """``not saved yet, next try 14:05`` / ``sent copy failed`` / ``saved in “Sent”``."""
    if copy.status is CopyStatus.SAVED:
        return ctx.t(k.SENT_COPY_SAVED, folder=copy.folder or "")
    if copy.status is CopyStatus.FAILED:
        return ctx.t(k.SENT_COPY_FAILED)
    if copy.error is not None and copy.next_attempt_at is not None:
        return ctx.t(k.SENT_COPY_RETRYING, when=when(ctx, copy.next_attempt_at))
    return ctx.t(k.SENT_COPY_PENDING)


def entry_notes(ctx: Context, mailer: AsyncMailer, entry: OutboxEntry) -> list[str]:
    """What delivery reports and the Sent-folder copy added after sending, for the list:
    ``jan@example.pl: bounced after acceptance — <reason>``, ``sent copy failed — …``."""
    notes = []
    for state in REPORTED:
        for r in entry.recipients:
            if str(r.status) != state:
                continue
            why = reason(ctx, mailer, r.error) if state in ("bounced", "delayed") else ""
            label = f"{r.address}: {recipient_state(ctx, state)}"
            notes.append(f"{label} — {why}" if why else label)
    copy = entry.sent_copy
    if copy is not None and copy.status is not CopyStatus.SAVED and copy.error is not None:
        text = f"{ctx.t(k.FIELD_SENT_COPY)}: {sent_copy_text(ctx, copy)}"
        notes.append(f"{text} — {reason(ctx, mailer, copy.error)}")
    return notes


def entry_json(ctx: Context, mailer: AsyncMailer, entry: OutboxEntry) -> dict[str, Any]:
    data = entry.to_dict()
    data["status_text"] = status_name(ctx, entry.status)
    data["error"] = error_json(ctx, mailer, entry.error)
    data["notes"] = entry_notes(ctx, mailer, entry)
    for r_data, r in zip(data["recipients"], entry.recipients, strict=True):
        r_data["error"] = error_json(ctx, mailer, r.error)
        r_data["status_text"] = recipient_state(ctx, str(r.status))
    if entry.sent_copy is not None:
        data["sent_copy"]["status_text"] = sent_copy_text(ctx, entry.sent_copy)
        data["sent_copy"]["error"] = error_json(ctx, mailer, entry.sent_copy.error)
    twice = possibly_twice(entry.history)
    for i, (a_data, a) in enumerate(zip(data["history"], entry.history, strict=True)):
        a_data["error"] = error_json(ctx, mailer, a.error)
        a_data["possibly_duplicate"] = i in twice
        if i in twice:
            a_data["note"] = ctx.t(k.POSSIBLY_TWICE)
    if held_by(ctx, entry) and entry.lease_owner:
        data["held_by"] = {
            "worker": entry.lease_owner,
            "until": entry.lease_until.isoformat() if entry.lease_until else None,
            "text": held_by(ctx, entry),
        }
    return data


def _run_interruptible(
    ctx: Context, make: Callable[[asyncio.Event], Coroutine[Any, Any, T]]
) -> T | None:
    """Run ``make(stop)``: the first Ctrl-C sets ``stop``, the second cancels.

    Returns ``None`` when it was cancelled.
    """

    async def runner() -> T | None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        presses = 0

        def on_interrupt() -> None:
            nonlocal presses
            presses += 1
            if presses == 1:
                stop.set()
                if not ctx.json:
                    ctx.err.write("\n" + ctx.t(k.FLUSH_STOPPING) + "\n")
            elif task is not None:
                task.cancel()

        installed = False
        try:
            loop.add_signal_handler(signal.SIGINT, on_interrupt)
            loop.add_signal_handler(signal.SIGTERM, on_interrupt)
            installed = True
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, not main thread
            pass
        try:
            return await make(stop)
        except asyncio.CancelledError:
            return None
        finally:
            if installed:
                loop.remove_signal_handler(signal.SIGINT)
                loop.remove_signal_handler(signal.SIGTERM)

    result: T | None = ctx.run(runner())
    return result


# -- list / find / count ----------------------------------------------------------


def _filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--to", dest="recipient", help="recipient address contains this")
    p.add_argument("--search", dest="text", help="subject or From contains this")
    p.add_argument("--since", type=parse_when, help="dated on or after (YYYY-MM-DD)")
    p.add_argument("--until", type=parse_when, help="dated before (YYYY-MM-DD)")
    p.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    p.add_argument("--offset", type=int, default=0, help="skip this many (paging)")


def _list_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--status",
        action="append",
        choices=[str(s) for s in Status],
        help="only this status (repeatable)",
    )
    p.add_argument("--account", help="only this account")
    p.add_argument("--oldest-first", action="store_true", help="oldest first")
    _filter_args(p)


def _print_entries(ctx: Context, mailer: AsyncMailer, entries: list[OutboxEntry]) -> None:
    rows = []
    for e in entries:
        extra = reason(ctx, mailer, e.error)
        if e.status is Status.DEFERRED and e.next_attempt_at is not None:
            extra = f"{extra} ({ctx.t(k.NEXT_ATTEMPT, when=when(ctx, e.next_attempt_at))})"
        elif e.status is Status.QUEUED and e.send_at and e.send_at > datetime.now(UTC):
            extra = ctx.t(k.SCHEDULED_FOR, when=when(ctx, e.send_at))
        elif e.status is Status.SENDING:
            extra = held_by(ctx, e) or extra
        notes = entry_notes(ctx, mailer, e)
        if notes:
            more = f" (+{len(notes) - 1})" if len(notes) > 1 else ""
            extra = "; ".join(filter(None, [extra, notes[0]]))
            extra = _short(extra, 70 - len(more)) + more
        rows.append(
            [
                e.id,
                status_name(ctx, e.status),
                when(ctx, e.sent_at or e.created_at, short=True),
                e.account,
                _short(", ".join(e.to) or ", ".join(r.address for r in e.recipients), 32),
                _short(e.subject, 40),
                _short(extra, 70),
            ]
        )
    headers = [
        ctx.t(k.COL_ID),
        ctx.t(k.COL_STATUS),
        ctx.t(k.COL_DATE),
        ctx.t(k.COL_ACCOUNT),
        ctx.t(k.COL_TO),
        ctx.t(k.COL_SUBJECT),
        ctx.t(k.COL_REASON),
    ]
    ctx.table(rows, headers)


def _print_paused(ctx: Context, mailer: AsyncMailer) -> None:
    paused = ctx.run(mailer.paused_accounts())
    for name, pause in paused.items():
        why = reason(ctx, mailer, pause.error) or "-"
        if pause.until is None:
            ctx.print(ctx.t(k.ACCOUNT_PAUSED, account=name, reason=why))
        else:
            ctx.print(ctx.t(k.ACCOUNT_HELD, account=name, until=when(ctx, pause.until), reason=why))


@command("list", group="outbox", help="list messages in the outbox", arguments=_list_args)
def outbox_list(ctx: Context, args: argparse.Namespace) -> int:
    mailer = ctx.mailer()
    entries = ctx.run(
        mailer.query(
            statuses=tuple(Status(s) for s in args.status or ()),
            account=args.account,
            recipient=args.recipient,
            text=args.text,
            since=args.since,
            until=args.until,
            limit=args.limit,
            offset=args.offset,
            newest_first=not args.oldest_first,
        )
    )
    waiting = ctx.run(mailer.waiting())
    more, total = _beyond_limit(ctx, mailer, args, len(entries))
    if ctx.json:
        paused = ctx.run(mailer.paused_accounts())
        ctx.print_json(
            {
                "waiting": waiting,
                "paused": {n: p.to_dict() for n, p in paused.items()},
                "entries": [entry_json(ctx, mailer, e) for e in entries],
                # Added keys: whether the limit cut the list, and the full count when known.
                "more": more,
                "total": total,
            }
        )
        return EX_OK
    ctx.print(ctx.t(texts.WAITING, n=waiting) if waiting else ctx.t(k.NOTHING_WAITING))
    _print_paused(ctx, mailer)
    if entries:
        ctx.print("")
        _print_entries(ctx, mailer, entries)
    if more:
        first, last = args.offset + 1, args.offset + len(entries)
        if total is not None:
            ctx.print(ctx.t(k.SHOWING_OF, n=total, first=first, last=last))
        else:
            ctx.print(ctx.t(k.SHOWING_MORE, first=first, last=last, next=last))
    return EX_OK


def _beyond_limit(
    ctx: Context, mailer: AsyncMailer, args: argparse.Namespace, shown: int
) -> tuple[bool, int | None]:
    """Whether ``--limit`` cut the list, and how many match in all (``None``: unknown).

    Kept cheap: nothing when fewer than the limit came back; the per-status counts
    (one grouped query) when only status and account filter the list; else one probe
    for a next entry, since counting text and date matches would mean reading them all.
    """
    if shown < args.limit:
        return False, None
    if not (args.recipient or args.text or args.since or args.until):
        counts = ctx.run(mailer.counts(account=args.account))
        wanted = set(args.status or counts)
        total = sum(n for s, n in counts.items() if s in wanted)
        return total > args.offset + shown, total
    probe = ctx.run(
        mailer.query(
            statuses=tuple(Status(s) for s in args.status or ()),
            account=args.account,
            recipient=args.recipient,
            text=args.text,
            since=args.since,
            until=args.until,
            limit=1,
            offset=args.offset + shown,
            newest_first=not args.oldest_first,
        )
    )
    return bool(probe), None


def _find_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", nargs="?", help="text in the subject or From")
    _filter_args(p)


@command(
    "find",
    group="outbox",
    help="find mail sent earlier (by subject, recipient, date)",
    arguments=_find_args,
)
def outbox_find(ctx: Context, args: argparse.Namespace) -> int:
    mailer = ctx.mailer()
    entries = ctx.run(
        mailer.query(
            statuses=(Status.SENT, Status.PARTIAL),
            text=args.query or args.text,
            recipient=args.recipient,
            since=args.since,
            until=args.until,
            limit=args.limit,
            offset=args.offset,
        )
    )
    if ctx.json:
        ctx.print_json([entry_json(ctx, mailer, e) for e in entries])
    else:
        _print_entries(ctx, mailer, entries)
    return EX_OK


def _account_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--account", help="only this account")


@command(
    "count",
    group="outbox",
    help="how many messages wait to be sent, and counts per status",
    arguments=_account_option,
)
def outbox_count(ctx: Context, args: argparse.Namespace) -> int:
    mailer = ctx.mailer()
    counts = ctx.run(mailer.counts(account=args.account))
    waiting = ctx.run(mailer.waiting(account=args.account))
    if ctx.json:
        ctx.print_json({"waiting": waiting, "counts": counts})
        return EX_OK
    ctx.print(ctx.t(texts.WAITING, n=waiting) if waiting else ctx.t(k.NOTHING_WAITING))
    rows = [[status_name(ctx, Status(s)), str(n)] for s, n in counts.items() if n]
    if rows:
        ctx.print("")
        ctx.table(rows, [ctx.t(k.COL_STATUS), ctx.t(k.COL_COUNT)])
    return EX_OK


# -- show / status ----------------------------------------------------------------


def _ref_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("ref", help="message number (or a unique start of it) or Message-ID")


def _show(ctx: Context, args: argparse.Namespace) -> int:
    mailer = ctx.mailer()
    entry = ctx.run(mailer.status(args.ref))
    if ctx.json:
        ctx.print_json(entry_json(ctx, mailer, entry))
        return EX_OK
    status = status_name(ctx, entry.status)
    if entry.status is Status.DEFERRED and entry.next_attempt_at:
        status += f" ({ctx.t(k.NEXT_ATTEMPT, when=when(ctx, entry.next_attempt_at))})"
    elif held_by(ctx, entry):
        status += f" ({held_by(ctx, entry)})"
    lines = [
        f"{entry.id}  {entry.message_id}",
        f"{ctx.t(k.FIELD_STATUS)}: {status}",
        f"{ctx.t(k.FIELD_FROM)}: {entry.sender}  ({entry.account})",
        f"{ctx.t(k.FIELD_TO)}: {', '.join(entry.to)}",
        f"{ctx.t(k.FIELD_SUBJECT)}: {entry.subject}",
        f"{ctx.t(k.FIELD_QUEUED)}: {when(ctx, entry.created_at)}",
    ]
    if entry.send_at:
        lines.append(ctx.t(k.SCHEDULED_FOR, when=when(ctx, entry.send_at)))
    if entry.sent_at:
        lines.append(f"{ctx.t(k.FIELD_SENT)}: {when(ctx, entry.sent_at)}")
    lines.append(f"{ctx.t(k.FIELD_ATTEMPTS)}: {entry.attempts}")
    if entry.error is not None:
        error = mailer.reason(entry.error)
        lines.append(f"{ctx.t(k.FIELD_REASON)}: {error.message(ctx.lang)}")
        lines += [f"  {d}" for d in error.details(ctx.lang)]
        lines.append(f"{ctx.t(k.FIELD_ADVICE)}: {error.advice(ctx.lang)}")
    copy = entry.sent_copy
    if copy is not None:
        lines.append(f"{ctx.t(k.FIELD_SENT_COPY)}: {sent_copy_text(ctx, copy)}")
        if copy.error is not None:
            error = mailer.reason(copy.error)
            label = ctx.t(k.FIELD_REASON)
            if copy.status is CopyStatus.SAVED:
                label = ctx.t(k.FIELD_EARLIER_REASON)
            lines.append(f"  {label}: {error.message(ctx.lang)}")
            if copy.status is not CopyStatus.SAVED:
                lines.append(f"  {ctx.t(k.FIELD_ADVICE)}: {error.advice(ctx.lang)}")
    ctx.print(*lines)
    ctx.print("", f"{ctx.t(k.FIELD_RECIPIENTS)}:")
    ctx.table(
        [
            [
                r.address,
                recipient_state(ctx, str(r.status)),
                _short(reason(ctx, mailer, r.error), 80),
            ]
            for r in entry.recipients
        ],
        [ctx.t(k.COL_RECIPIENT), ctx.t(k.COL_STATUS), ctx.t(k.COL_REASON)],
    )
    if entry.history:
        ctx.print("", f"{ctx.t(k.FIELD_HISTORY)}:")
        rows = []
        twice = possibly_twice(entry.history)
        for i, a in enumerate(entry.history):
            reply = " ".join(str(p) for p in (a.code, a.enhanced, a.text) if p)
            outcome = status_name(ctx, a.outcome)
            if i in twice:
                outcome += f" ({ctx.t(k.POSSIBLY_TWICE)})"
            rows.append(
                [
                    when(ctx, a.at, short=True),
                    outcome,
                    a.host or "-",
                    _short(reply, 40) or "-",
                    _short(reason(ctx, mailer, a.error), 80),
                ]
            )
        ctx.table(
            rows,
            [
                ctx.t(k.COL_TIME),
                ctx.t(k.COL_STATUS),
                ctx.t(k.COL_SERVER),
                ctx.t(k.COL_REPLY),
                ctx.t(k.COL_REASON),
            ],
        )
    return EX_OK


command(
    "show", group="outbox", help="one message with its recipients and history", arguments=_ref_arg
)(_show)
command(
    "status",
    help="was the message really sent, and if not, why (same as outbox show)",
    arguments=_ref_arg,
)(_show)


# -- flush / work ----------------------------------------------------------------


def _flush_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--account", help="only this account")
    p.add_argument("--concurrency", type=int, help="connections per account")
    p.add_argument("--limit", type=int, help="send at most this many")
    progress_option(p)


def _summary(ctx: Context, mailer: AsyncMailer, report: FlushReport) -> None:
    if not report.counts and not report.paused:
        ctx.print(ctx.t(k.FLUSH_NOTHING))
    else:
        rows = [[status_name(ctx, Status(s)), str(n)] for s, n in report.counts.items() if n]
        if rows:
            ctx.table(rows, [ctx.t(k.COL_STATUS), ctx.t(k.COL_COUNT)])
        problems = report.problems[:20]
        if problems:
            ctx.print("")
            prows = []
            outbox = ctx.run(mailer.outbox())
            for change in problems:
                found = ctx.run(outbox.get(change.id))
                why = reason(ctx, mailer, found.error) if found is not None else ""
                if change.status is Status.DEFERRED and change.next_attempt_at:
                    why += f" ({ctx.t(k.NEXT_ATTEMPT, when=when(ctx, change.next_attempt_at))})"
                to = ", ".join(found.to) if found is not None else ""
                prows.append(
                    [change.id, status_name(ctx, change.status), _short(to, 32), _short(why, 90)]
                )
            ctx.table(
                prows,
                [ctx.t(k.COL_ID), ctx.t(k.COL_STATUS), ctx.t(k.COL_TO), ctx.t(k.COL_REASON)],
            )
    copies = report.copies
    if copies is not None and copies.tried:
        ctx.print(
            ctx.t(
                k.FLUSH_SENT_COPIES,
                saved=copies.saved,
                retrying=copies.retrying,
                failed=copies.failed,
            )
        )
    if report.paused:
        ctx.print("")
        _print_paused(ctx, mailer)
    if report.stopped:
        ctx.print(ctx.t(k.FLUSH_STOPPED))
    waiting = ctx.run(mailer.waiting())
    if waiting:
        ctx.print(ctx.t(texts.WAITING, n=waiting))


def _flush_code(report: FlushReport | None, mailer: AsyncMailer | None = None) -> int:
    if report is None:
        return 130
    counts = report.counts
    # Paused until someone fixes the settings or the password: retrying later will
    # not help, so this is a configuration error (78), not a temporary one (75).
    if mailer is not None:
        for pause in report.paused.values():
            spec = mailer.plugins.errors.get(pause.error.key) if pause.error else None
            if pause.until is None and spec is not None and spec.category is Category.CONFIGURATION:
                return EX_CONFIG
    if counts.get(str(Status.FAILED)) or counts.get(str(Status.PARTIAL)):
        return EX_UNAVAILABLE
    if (
        counts.get(str(Status.DEFERRED))
        or counts.get(str(Status.UNCERTAIN))
        or counts.get(str(Status.QUEUED))
        or report.paused
        or report.stopped
    ):
        return EX_TEMPFAIL
    return EX_OK


@command(
    "flush",
    group="outbox",
    help="send the waiting mail now (progress bar, summary; Ctrl-C stops cleanly)",
    arguments=_flush_args,
)
def outbox_flush(ctx: Context, args: argparse.Namespace) -> int:
    mailer = ctx.mailer()
    bar = ctx.progress_bar(args.progress, lambda p: _progress_line(ctx, p))
    failure: StorageError | None = None
    try:
        report = _run_interruptible(
            ctx,
            lambda stop: mailer.flush(
                account=args.account,
                concurrency=args.concurrency,
                limit=args.limit,
                progress=bar,
                stop=stop,
            ),
        )
    except StorageError as exc:
        # The outbox stopped taking writes mid-flush: show what was done and what
        # could not be saved, then the error (and its exit code).
        if not isinstance(exc.report, FlushReport):
            raise
        failure, report = exc, exc.report
    finally:
        if bar is not None:
            bar.close()
    if report is None:
        return 130
    if failure is not None:
        failure.translator = failure.translator or mailer.translator
    if ctx.json:
        data = report.to_dict()
        if failure is not None:
            data["error"] = failure.to_dict(ctx.lang)
        for problem, change in zip(data["problems"], report.problems, strict=True):
            # The stored error carries its parameters: no unfilled {placeholders}.
            if change.error is not None:
                problem["message"] = mailer.reason(change.error).message(ctx.lang)
            elif problem["error"]:
                spec = mailer.plugins.errors.get(problem["error"])
                if spec is not None:
                    problem["message"] = mailer.localize(spec.error()).message(ctx.lang)
        if failure is None:
            data["waiting"] = ctx.run(mailer.waiting())
        ctx.print_json(data)
    elif failure is not None:
        _unrecorded(ctx, report)
        ctx.err.write(failure.render(ctx.lang) + "\n")
    else:
        _summary(ctx, mailer, report)
    return exit_code_for(failure) if failure is not None else _flush_code(report, mailer)


def _unrecorded(ctx: Context, report: FlushReport) -> None:
    """What a flush sent or tried before the outbox refused writes, and what it could not save."""
    rows = [[status_name(ctx, Status(s)), str(n)] for s, n in report.counts.items() if n]
    if rows:
        ctx.table(rows, [ctx.t(k.COL_STATUS), ctx.t(k.COL_COUNT)])
    if not report.unrecorded:
        return
    ctx.print("", ctx.t(k.UNRECORDED, n=len(report.unrecorded)))
    urows = [
        [
            u.id,
            status_name(ctx, u.status) if u.status is not None else ctx.t(k.NOT_TRIED),
            u.account,
            when_exact(ctx, u.free_at),
        ]
        for u in report.unrecorded
    ]
    ctx.table(
        urows, [ctx.t(k.COL_ID), ctx.t(k.COL_STATUS), ctx.t(k.COL_ACCOUNT), ctx.t(k.COL_FREE_AT)]
    )


def _work_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--account", help="only this account")
    p.add_argument("--concurrency", type=int, help="connections per account")
    p.add_argument(
        "--poll",
        type=float,
        default=2.0,
        help="seconds between looks for mail queued by other programs (default 2)",
    )


@command(
    "work",
    group="outbox",
    help="keep sending: wake on new mail and on retry times (Ctrl-C stops)",
    arguments=_work_args,
)
def outbox_work(ctx: Context, args: argparse.Namespace) -> int:
    mailer = ctx.mailer()
    if not ctx.json:
        ctx.err.write(ctx.t(k.WORKER_STARTED) + "\n")

    def on_flush(report: FlushReport) -> None:
        if ctx.json:
            ctx.print_json(report.to_dict())
        else:
            ctx.print(f"{when(ctx, report.finished)}  {counts_line(ctx, report.counts)}")
        ctx.out.flush()

    def on_error(error: StorageError, retry_in: float) -> None:
        # The worker backs off and tries again; say so rather than going quiet.
        error.translator = error.translator or mailer.translator
        if ctx.json:
            failed = error.report.to_dict() if isinstance(error.report, FlushReport) else {}
            ctx.print_json({**failed, "error": error.to_dict(ctx.lang), "retry_in": retry_in})
        else:
            ctx.err.write(error.render(ctx.lang) + "\n")
            ctx.err.write(ctx.t(k.WORKER_STORAGE_PAUSED, seconds=f"{retry_in:g}") + "\n")
        ctx.out.flush()

    report = _run_interruptible(
        ctx,
        lambda stop: mailer.work(
            stop=stop,
            poll_interval=args.poll,
            on_flush=on_flush,
            on_error=on_error,
            account=args.account,
            concurrency=args.concurrency,
        ),
    )
    return EX_OK if report is not None else 130


# -- people's actions --------------------------------------------------------------


def _refs_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("refs", nargs="*", help="message numbers or Message-IDs")


def _retry_args(p: argparse.ArgumentParser) -> None:
    _refs_args(p)
    p.add_argument(
        "--all", action="store_true", help="every failed, partial, deferred or uncertain message"
    )
    p.add_argument("--account", help="with --all: only this account")


def _all_refs(
    ctx: Context, mailer: AsyncMailer, statuses: tuple[Status, ...], account: str | None
) -> list[str]:
    refs: list[str] = []
    page = 500
    while True:
        found = ctx.run(
            mailer.query(
                statuses=statuses, account=account, limit=page, offset=len(refs), newest_first=False
            )
        )
        refs += [e.id for e in found]
        if len(found) < page:
            return refs


def _retryable(entry: OutboxEntry) -> bool:
    """What :meth:`~mailplug.outbox.Outbox.retry` makes due: waiting or given-up mail,
    not mail already sent, cancelled or on the wire."""
    return entry.status in (*RETRY_ALL, Status.QUEUED)


@command(
    "retry",
    group="outbox",
    help="send messages again as soon as possible",
    arguments=_retry_args,
)
def outbox_retry(ctx: Context, args: argparse.Namespace) -> int:
    mailer = ctx.mailer()
    refs = list(args.refs)
    if args.all:
        refs += _all_refs(ctx, mailer, RETRY_ALL, args.account)
    elif not refs:
        ctx.err.write("give message numbers, or --all\n")
        return EX_USAGE
    else:
        # Named messages must exist and be retryable: "0 messages will be sent again"
        # with success would hide a typo.
        for ref in refs:
            entry = ctx.run(mailer.status(ref))
            if not _retryable(entry):
                raise mailer.localize(
                    k.OUTBOX_NOTHING_TO_RETRY.error(ref=ref, status=status_name(ctx, entry.status))
                )
    n = ctx.run(mailer.retry(*refs))
    # An account on hold or paused keeps its mail waiting: do not promise a send.
    now = datetime.now(UTC)
    paused = {
        name: pause
        for name, pause in ctx.run(mailer.paused_accounts()).items()
        if pause.active(now)
    }
    accounts = {ctx.run(mailer.status(ref)).account for ref in refs} if paused else set()
    waiting = sorted(accounts & set(paused))
    if ctx.json:
        # The shape stays {"retried": n}; accounts whose mail waits are added when any.
        ctx.print_json({"retried": n, **({"waiting_for_account": waiting} if waiting else {})})
        return EX_OK
    if waiting and accounts <= set(paused):
        ctx.print(ctx.t(k.RETRIED_WAITING, n=n))
    else:
        ctx.print(ctx.t(k.RETRIED, n=n))
    for name in waiting:
        pause = paused[name]
        if pause.until is not None:
            ctx.print(ctx.t(k.ACCOUNT_HELD_UNTIL, account=name, until=when(ctx, pause.until)))
        else:
            ctx.print(ctx.t(k.ACCOUNT_PAUSED_WAITS, account=name))
    return EX_OK


@command("cancel", group="outbox", help="cancel waiting messages", arguments=_refs_args)
def outbox_cancel(ctx: Context, args: argparse.Namespace) -> int:
    if not args.refs:
        ctx.err.write("give message numbers\n")
        return EX_USAGE
    mailer = ctx.mailer()
    # Like retry: an unknown number is an error (66), not "0 messages cancelled"
    # with success, which would hide a typo.
    for ref in args.refs:
        ctx.run(mailer.status(ref))
    n = ctx.run(mailer.cancel(*args.refs))
    if ctx.json:
        ctx.print_json({"cancelled": n})
    else:
        ctx.print(ctx.t(k.CANCELLED, n=n))
    return EX_OK


def _purge_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--older-than", type=float, required=True, metavar="DAYS", help="dated more than DAYS ago"
    )
    p.add_argument(
        "--status",
        action="append",
        choices=[str(s) for s in Status if s.final],
        help="which final status to remove (repeatable; default: sent)",
    )


@command("purge", group="outbox", help="remove old sent mail", arguments=_purge_args)
def outbox_purge(ctx: Context, args: argparse.Namespace) -> int:
    mailer = ctx.mailer()
    n = ctx.run(mailer.purge(older_than_days=args.older_than, statuses=args.status or ["sent"]))
    if ctx.json:
        ctx.print_json({"purged": n})
    else:
        ctx.print(ctx.t(k.PURGED, n=n))
    return EX_OK


def _resume_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("account", help="account name")


@command(
    "resume",
    group="outbox",
    help="resume sending from a paused account (after fixing its login or settings)",
    arguments=_resume_args,
)
def outbox_resume(ctx: Context, args: argparse.Namespace) -> int:
    mailer = ctx.mailer()
    resumed = ctx.run(mailer.resume_account(args.account))
    if ctx.json:
        ctx.print_json({"account": args.account, "resumed": resumed})
    else:
        text = k.ACCOUNT_RESUMED if resumed else k.ACCOUNT_NOT_PAUSED
        ctx.print(ctx.t(text, account=args.account))
    return EX_OK
