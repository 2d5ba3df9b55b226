"""Bounce tracking: match a delivery report to the outbox entry it is about, and record it.

Matching is exact and never guesses:

1. the report's original Message-ID (from the returned message or its
   headers, ``Original-Message-ID``, ``In-Reply-To``/``References``) is a
   Message-ID we stored;
2. else the address the report was delivered to carries an outbox id as an
   envelope-sender tag (``bounces+<id>@firma.pl``, VERP);
3. else the report is *unmatched* and listed as such (a forged report, a
   bounce of mail another program sent, a receipt for a message we never kept).

A matched report becomes :class:`~mailplug.outbox.Delivery` rows — a bounce's
failed recipients ``bounced`` with the classified reason, delayed ones
``delayed``, a read receipt's reader ``read`` or ``deleted-unread`` — applied by
:meth:`~mailplug.outbox.Outbox.record_deliveries` (idempotent) and reported as
status events through the queue, the one place events come from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from .errors import ErrorInfo
from .outbox import Change, Delivery, RecipientStatus
from .queue import Queue

if TYPE_CHECKING:
    from .models import Account
    from .outbox import OutboxEntry
    from .reports import Report, ReportRecipient
    from .runtime import Runtime

__all__ = ["Tracked", "Tracker", "deliveries_for"]

Match = Literal["message-id", "envelope-tag"]
#: ``bounces+3f2a9c0d1e2b4a5f@firma.pl``: an outbox id after the ``+`` of the local part.
_TAG = re.compile(r"^[^@+]+\+([0-9a-f]{16})@", re.IGNORECASE)


@dataclass
class Tracked:
    """What happened to one report.

    :ivar entry_id: the outbox entry it was matched to (``None``: unmatched).
    :ivar matched_by: ``message-id`` or ``envelope-tag``.
    :ivar changes: the recipient changes recorded (empty when it changed nothing:
        already recorded, an auto-reply, a success notice).
    :ivar unmatched: why it was not matched (``no-reference``: the report names no
        message; ``unknown-message``: it names one we never stored; ``no-recipient``:
        a receipt that does not say who read it, for a message with several recipients).
    """

    report: Report
    entry_id: str | None = None
    matched_by: Match | None = None
    changes: list[Change] = field(default_factory=list)
    unmatched: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.report.to_dict(),
            "entry_id": self.entry_id,
            "matched_by": self.matched_by,
            "unmatched": self.unmatched,
            "changes": [
                {
                    "address": c.recipients[0] if c.recipients else None,
                    "recipient_status": c.details.get("recipient_status"),
                    "status": str(c.status),
                    "previous": str(c.previous) if c.previous else None,
                    "error": c.error.to_dict() if c.error else None,
                }
                for c in self.changes
            ],
        }


def deliveries_for(report: Report, entry: OutboxEntry, *, now: datetime) -> list[Delivery]:
    """The recipient states a (classified) report asks for, for the matched entry."""
    at = report.date or now
    if report.kind == "dsn":
        return [d for r in report.recipients if (d := _from_recipient(r, report, at)) is not None]
    if report.kind == "mdn" and report.disposition in ("displayed", "deleted"):
        status = (
            RecipientStatus.READ
            if report.disposition == "displayed"
            else RecipientStatus.DELETED_UNREAD
        )
        reader = _reader(report, entry)
        return [] if reader is None else [Delivery(reader, status, at, reporter=report.reader)]
    return []


def _from_recipient(r: ReportRecipient, report: Report, at: datetime) -> Delivery | None:
    if r.action not in ("failed", "delayed"):
        return None  # delivered, relayed, expanded: the entry already says sent
    error = None
    if r.error is not None:
        error = ErrorInfo(
            key=r.error.key,
            code=r.remote_code,
            enhanced=r.status,
            text=r.diagnostic or "",
            host=r.reporting_mta or report.reporting_mta,
            recipient=r.address,
        )
    status = RecipientStatus.BOUNCED if r.action == "failed" else RecipientStatus.DELAYED
    return Delivery(r.address, status, at, error, r.reporting_mta or report.reporting_mta)


def _reader(report: Report, entry: OutboxEntry) -> str | None:
    addresses = [s.address for s in entry.recipients]
    if report.reader and report.reader.lower() in (a.lower() for a in addresses):
        return report.reader
    # A receipt that names nobody we sent to: only a single recipient is certain.
    return addresses[0] if len(addresses) == 1 else None


class Tracker:
    """Matches reports to the outbox of one runtime and records them."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.queue = Queue(runtime)

    async def track(
        self,
        raw: bytes,
        *,
        account: Account | None = None,
        dry_run: bool = False,
        now: datetime | None = None,
    ) -> Tracked:
        """Parse, classify, match and (unless ``dry_run``) record one report."""
        when = now or datetime.now(UTC)
        report = self.runtime.parse_report(raw, account=account)
        tracked = Tracked(report)
        if report.kind in ("none", "feedback", "autoreply"):
            return tracked  # not about delivery: nothing to match or record
        entry, tracked.matched_by = await self._match(report)
        if entry is None:
            has_reference = report.original_message_id or any(
                _TAG.match(a) for a in report.envelope_to
            )
            tracked.unmatched = "unknown-message" if has_reference else "no-reference"
            return tracked
        tracked.entry_id = entry.id
        deliveries = deliveries_for(report, entry, now=when)
        if report.kind == "mdn" and not deliveries:
            tracked.unmatched = "no-recipient"
            return tracked
        if dry_run or not deliveries:
            return tracked
        outbox = await self.runtime.outbox()
        tracked.changes = await outbox.record_deliveries(entry.id, deliveries, now=when)
        self.queue.report(tracked.changes)
        return tracked

    async def _match(self, report: Report) -> tuple[OutboxEntry | None, Match | None]:
        outbox = await self.runtime.outbox()
        if report.original_message_id:
            entry = await outbox.get(report.original_message_id)
            # get() also takes id prefixes: accept only an exact Message-ID match.
            if entry is not None and entry.message_id == report.original_message_id:
                return entry, "message-id"
        for address in report.envelope_to:
            tag = _TAG.match(address)
            if tag:
                entry = await outbox.get(tag.group(1).lower())
                if entry is not None and entry.id == tag.group(1).lower():
                    return entry, "envelope-tag"
        return None, None
