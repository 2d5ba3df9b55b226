"""Copies of sent mail in the account's Sent folder: after delivery, never in its way.

A mail program keeps what it sent in the Sent folder; mailplug does the same
for accounts with IMAP settings whose ``imap.save_sent`` is on (``auto``: on,
except for providers whose server keeps the copy itself — a preset flag,
``saves_sent``, for Gmail and Microsoft 365).

The step runs after delivery and apart from it:

1. the flush engine records an outcome (``sent`` or ``partial``) first, then
   asks the outbox to keep a *pending* copy (:meth:`Outbox.want_sent_copies`);
2. :func:`save_copies` — run by ``flush`` once every outcome is recorded, and
   by the worker as a task of its own beside sending — claims pending copies
   under a lease and hands them, per account, to the registered copier
   (:class:`~mailplug.sentfolder.SentCopier`; the built-in one APPENDs over
   IMAP with ``\\Seen`` and the send time);
3. a failure (server unreachable, login refused, no Sent folder, mailbox full)
   is recorded on the copy with its key and tried again after a growing pause,
   :data:`TRIES` times at most; it never changes the message's status.

A copy is saved once: the copier looks for the Message-ID in the folder before
it saves again (a try whose answer was lost), and two workers never hold the
same copy (leases).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .body import Data
from .client_headers import strip_client_headers
from .errors import ErrorInfo, MailplugError, StorageError
from .outbox import Change, CopyClaim, CopyOutcome, CopyStatus, SentCopy
from .outbox_keys import OUTBOX_SENT_COPY_BUG
from .status import Status

if TYPE_CHECKING:
    from .models import Account
    from .outbox import Outbox
    from .runtime import Runtime

__all__ = [
    "BACKOFF",
    "TRIES",
    "CopyReport",
    "request_copies",
    "save_copies",
    "save_copy_now",
    "wants_copy",
]

log = logging.getLogger("mailplug.copying")

#: Tries of one copy before it is given up (shown as "sent copy failed").
TRIES = 6
#: Seconds before the next try, after the 1st, 2nd … failed try.
BACKOFF: tuple[float, ...] = (60.0, 300.0, 1800.0, 7200.0, 21600.0)
#: Seconds a worker holds claimed copies (a session with one slow server stays inside it).
LEASE = 300.0
#: Copies claimed at once (one IMAP session per account per batch).
BATCH = 50
#: Seconds one account's batch may take at most; then it counts as failed and is retried.
TIMEOUT = 120.0
#: Batches per call at most (a bounded loop even if the outbox kept handing some out).
ROUNDS = 100
#: The copier used for accounts with IMAP settings.
COPIER = "imap"

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def wants_copy(runtime: Runtime, account: Account | None) -> bool:
    """Whether mail sent through ``account`` gets a copy in its Sent folder."""
    if account is None or account.imap is None:
        return False
    mode = account.imap.save_sent
    if mode != "auto":
        return mode == "on"
    host = account.settings.get("host")
    return not runtime.plugins.presets.saves_sent(
        host if isinstance(host, str) else None, account.imap.host
    )


def _copies_possible(runtime: Runtime, outbox: Outbox) -> bool:
    return outbox.keeps_sent_copies and COPIER in runtime.plugins.sent_copiers


async def request_copies(
    runtime: Runtime,
    outbox: Outbox,
    changes: Iterable[Change],
    *,
    now: datetime,
    cache: dict[str, bool] | None = None,
) -> int:
    """Ask the outbox to keep a pending copy of each entry ``changes`` show sent.

    Called after the outcomes are recorded.  A failure is logged and dropped:
    the copy is a convenience, delivery never waits for it or fails with it.

    :param cache: account name → :func:`wants_copy`, kept by the caller across batches.
    :returns: how many copies were asked for.
    """
    try:
        return await _request(runtime, outbox, changes, now, {} if cache is None else cache)
    except Exception:  # never let the copy get in the way of recording delivery
        log.exception("could not note Sent-folder copies to save")
        return 0


async def _request(
    runtime: Runtime,
    outbox: Outbox,
    changes: Iterable[Change],
    now: datetime,
    cache: dict[str, bool],
) -> int:
    if not _copies_possible(runtime, outbox):
        return 0
    ids = []
    for change in changes:
        if change.status not in (Status.SENT, Status.PARTIAL):
            continue
        wanted = cache.get(change.account)
        if wanted is None:
            wanted = cache[change.account] = wants_copy(
                runtime, runtime.accounts.get(change.account)
            )
        if wanted:
            ids.append(change.id)
    if not ids:
        return 0
    try:
        await outbox.want_sent_copies(ids, now=now)
    except StorageError as exc:
        log.warning("could not note %d Sent-folder copies to save: %s", len(ids), exc)
        return 0
    return len(ids)


@dataclass
class CopyReport:
    """What one :func:`save_copies` call did."""

    saved: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[ErrorInfo] = field(default_factory=list)

    @property
    def tried(self) -> int:
        return self.saved + self.retrying + self.failed

    def to_dict(self) -> dict[str, Any]:
        return {
            "saved": self.saved,
            "retrying": self.retrying,
            "failed": self.failed,
            "errors": [e.to_dict() for e in self.errors],
        }


def _decide(claim: CopyClaim, result: str | MailplugError, now: datetime) -> CopyOutcome:
    if isinstance(result, str):
        return CopyOutcome(claim.id, CopyStatus.SAVED, now, folder=result)
    info = ErrorInfo.from_error(result)
    tries = claim.attempts + 1
    if tries >= TRIES:
        return CopyOutcome(claim.id, CopyStatus.FAILED, now, error=info)
    # Lasting problems too (wrong password, no Sent folder): the settings may be fixed
    # meanwhile, and the pauses keep a refusing server from being asked often.
    pause = BACKOFF[min(tries, len(BACKOFF)) - 1]
    return CopyOutcome(
        claim.id,
        CopyStatus.PENDING,
        now,
        error=info,
        next_attempt_at=now + timedelta(seconds=pause),
    )


async def _one_account(
    runtime: Runtime, name: str, claims: Sequence[CopyClaim]
) -> list[str | MailplugError]:
    copier = runtime.plugins.sent_copiers[COPIER]
    account = runtime.accounts[name]
    # The one door out of the outbox: a mail program's own headers never leave (as in
    # dispatch), so the copy holds exactly the bytes that were sent.
    copies = [replace(c, data=strip_client_headers(c.data)) for c in claims]
    try:
        auth = await runtime.authenticator(account)
        results = await asyncio.wait_for(
            copier(account, copies, auth=auth, services=runtime.services), TIMEOUT
        )
    except MailplugError as exc:
        return [exc] * len(claims)
    except TimeoutError as exc:
        error = OUTBOX_SENT_COPY_BUG.error(copier=COPIER, problem="no answer in time", cause=exc)
        return [error] * len(claims)
    except Exception as exc:  # a bug in the copier plugin: try again later, log it
        log.exception("Sent-folder copier %s failed for account %s", COPIER, name)
        error = OUTBOX_SENT_COPY_BUG.error(
            copier=COPIER, problem=f"{type(exc).__name__}: {exc}", cause=exc
        )
        return [error] * len(claims)
    if len(results) != len(claims):
        error = OUTBOX_SENT_COPY_BUG.error(copier=COPIER, problem="wrong number of results")
        return [error] * len(claims)
    return list(results)


async def save_copy_now(
    runtime: Runtime, account: Account, data: Data, message_id: str, sent_at: datetime
) -> SentCopy | None:
    """The Sent-folder copy of a message sent directly (``send()``, ``send --now``):
    one try, right after delivery — no outbox keeps it for another.

    :returns: ``None`` when no copier is installed; else the copy's state (saved
        with its folder, or failed with its error).  Never raises: the message
        itself was sent.
    """
    if COPIER not in runtime.plugins.sent_copiers:
        return None
    claim = CopyClaim(
        id="", message_id=message_id, account=account.name, data=data, sent_at=sent_at, attempts=0
    )
    try:
        (result,) = await _one_account(runtime, account.name, [claim])
    except Exception as exc:  # the copy never gets in the way of a send that happened
        log.exception("Sent-folder copy of %s failed", message_id)
        result = OUTBOX_SENT_COPY_BUG.error(
            copier=COPIER, problem=f"{type(exc).__name__}: {exc}", cause=exc
        )
    now = _utcnow()
    if isinstance(result, MailplugError):
        log.warning("Sent-folder copy of %s not saved: %s", message_id, result.key)
        return SentCopy(CopyStatus.FAILED, attempts=1, error=ErrorInfo.from_error(result))
    return SentCopy(CopyStatus.SAVED, attempts=1, folder=result, saved_at=now)


async def save_copies(
    runtime: Runtime,
    *,
    accounts: Sequence[str] | None = None,
    worker: str | None = None,
    clock: Clock | None = None,
    batch: int = BATCH,
) -> CopyReport:
    """Save the pending copies that are due, of ``accounts`` (default: every account
    this runtime knows), and record each try.  Never raises for a copy that fails;
    a storage error is logged and ends the call (the copies stay pending)."""
    report = CopyReport()
    outbox = await runtime.outbox()
    if not _copies_possible(runtime, outbox):
        return report
    clock = clock or _utcnow
    worker = worker or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    names = [
        n
        for n in (accounts if accounts is not None else runtime.accounts)
        if n in runtime.accounts and wants_copy(runtime, runtime.accounts[n])
    ]
    if not names:
        return report
    try:
        for _ in range(ROUNDS):
            claims = await outbox.claim_sent_copies(
                worker, limit=batch, lease=LEASE, now=clock(), accounts=names
            )
            if not claims:
                break
            by_account: dict[str, list[CopyClaim]] = {}
            for claim in claims:
                by_account.setdefault(claim.account, []).append(claim)
            outcomes: list[CopyOutcome] = []
            for name, group in by_account.items():
                results = await _one_account(runtime, name, group)
                now = clock()
                outcomes += [_decide(c, r, now) for c, r in zip(group, results, strict=True)]
            await outbox.finish_sent_copies(worker, outcomes)
            for outcome in outcomes:
                if outcome.status is CopyStatus.SAVED:
                    report.saved += 1
                    continue
                if outcome.status is CopyStatus.FAILED:
                    report.failed += 1
                else:
                    report.retrying += 1
                if outcome.error is not None:
                    report.errors.append(outcome.error)
            if len(claims) < batch:
                break
    except StorageError as exc:
        log.warning("Sent-folder copies: the outbox refused: %s", exc)
    return report
