"""Importing mail and send settings left behind by older programs.

:func:`import_path` drives an :class:`~mailplug.importers.Importer` (the
contract, in :mod:`mailplug.importers`): it appends new accounts to the
accounts file, puts unsent mail in the outbox as queued and sent mail into the
history with its original date, and returns an :class:`ImportReport`.  Running
it twice on the same source adds nothing: every message carries a dedupe key
(its Message-ID, else a hash of its content).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import keys
from .importers import (
    DRY_ACCOUNTS_ADDED,
    DRY_ACCOUNTS_EXISTING,
    DRY_DUPLICATE,
    DRY_FAILED,
    DRY_LEFT,
    DRY_QUEUED,
    DRY_SENT,
    DRY_SKIPPED,
    LOCATION,
    NO_SENDER,
    NOTICE_FOLDERS,
    NOTICE_PASSWORD,
    NOTICE_SAME_IDENTITY,
    NOTICE_SIGN_IN,
    SUMMARY_ACCOUNTS_ADDED,
    SUMMARY_ACCOUNTS_EXISTING,
    SUMMARY_DRY_RUN,
    SUMMARY_DUPLICATE,
    SUMMARY_FAILED,
    SUMMARY_LEFT,
    SUMMARY_NOTHING,
    SUMMARY_QUEUED,
    SUMMARY_SENT,
    SUMMARY_SKIPPED,
    ImportedAccount,
    ImportedMessage,
    ImportItem,
    ImportProblem,
    ImportSkipped,
    Kind,
    ProgressCallback,
    ReadContext,
    Reason,
    SkippedFolder,
    choose_importer,
)
from .models import Account, Address
from .outbox import NewEntry
from .queue import Queue
from .text import fill

if TYPE_CHECKING:
    from .config import Config
    from .i18n import Translator
    from .runtime import Runtime

__all__ = ["AccountOutcome", "ImportReport", "MessageOutcome", "import_path"]

log = logging.getLogger("mailplug.importing")

# --------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------


#: Summary lines by count, as done and as a dry run would do it.
_TEXTS = {
    "accounts_added": SUMMARY_ACCOUNTS_ADDED,
    "accounts_existing": SUMMARY_ACCOUNTS_EXISTING,
    "queued": SUMMARY_QUEUED,
    "sent": SUMMARY_SENT,
    "duplicate": SUMMARY_DUPLICATE,
    "skipped": SUMMARY_SKIPPED,
    "left": SUMMARY_LEFT,
    "failed": SUMMARY_FAILED,
}
_DRY_RUN_TEXTS = {
    "accounts_added": DRY_ACCOUNTS_ADDED,
    "accounts_existing": DRY_ACCOUNTS_EXISTING,
    "queued": DRY_QUEUED,
    "sent": DRY_SENT,
    "duplicate": DRY_DUPLICATE,
    "skipped": DRY_SKIPPED,
    "left": DRY_LEFT,
    "failed": DRY_FAILED,
}


@dataclass
class MessageOutcome:
    """What became of one message."""

    status: str  # "queued", "sent", "duplicate", "skipped", "left" (not mail to import)
    source: Path
    subject: str
    message_id: str | None = None
    account: str | None = None
    id: str | None = None
    date: datetime | None = None
    index: int | None = None
    reason: Reason | None = None

    def to_dict(self, translator: Translator, lang: str | None) -> dict[str, Any]:
        return {
            "status": self.status,
            "source": str(self.source),
            "index": self.index,
            "subject": self.subject,
            "message_id": self.message_id,
            "account": self.account,
            "id": self.id,
            "date": self.date.isoformat() if self.date else None,
            "reason": self.reason.render(translator, lang) if self.reason else None,
        }


@dataclass
class AccountOutcome:
    """What became of one account found in old settings."""

    name: str
    email: str
    added: bool
    source: Path
    secret: str | None = None
    secret_found: bool = False
    existing: str | None = None  # name of the account it matched


@dataclass
class ImportReport:
    """The outcome of :func:`import_path`: counts, failures with reasons, notices.

    Per-message details are kept for the first ``detail_limit`` messages only,
    so importing a huge mailbox stays in constant memory; counts and failures
    are always complete.
    """

    source: Path
    format: str
    dry_run: bool = False
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("queued", "sent", "duplicate", "skipped", "left", "failed", "accounts_added",
             "accounts_existing"),
            0,
        )
    )  # fmt: skip
    messages: list[MessageOutcome] = field(default_factory=list)
    failures: list[ImportProblem] = field(default_factory=list)
    accounts: list[AccountOutcome] = field(default_factory=list)
    skipped_folders: list[str] = field(default_factory=list)
    #: Notes on what was imported (STARTTLS now required, an identity listed twice).
    notes: list[Reason] = field(default_factory=list)
    config_path: Path | None = None
    seconds: float = 0.0
    detail_limit: int = 1000

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def imported(self) -> int:
        return self.counts["queued"] + self.counts["sent"]

    def _note(self, outcome: MessageOutcome) -> None:
        self.counts[outcome.status] += 1
        if len(self.messages) < self.detail_limit:
            self.messages.append(outcome)

    def notices(self) -> list[Reason]:
        """What the user must do or know (passwords to enter again, folders left out)."""
        out: list[Reason] = []
        for acc in self.accounts:
            if not acc.added or acc.secret is None:
                continue
            signed = acc.secret == "sign-in"  # noqa: S105 - a kind of login, not a secret
            text = NOTICE_SIGN_IN if signed else NOTICE_PASSWORD
            out.append(Reason(text, {"account": acc.name, "username": acc.email}))
        out += self.notes
        if self.skipped_folders:
            out.append(Reason(NOTICE_FOLDERS, {"folders": ", ".join(self.skipped_folders)}))
        return out

    def summary(self, translator: Translator, lang: str | None = None) -> list[str]:
        """The summary as lines of text in ``lang`` (what the CLI prints)."""
        lines: list[str] = []
        if self.dry_run:
            lines.append(translator.gettext(SUMMARY_DRY_RUN, lang))
        wording = _DRY_RUN_TEXTS if self.dry_run else _TEXTS  # "would be added" when nothing was
        for key, text in wording.items():
            if key != "failed" and self.counts[key]:
                lines.append(translator.gettext(text, lang, n=self.counts[key]))
        if self.failures:
            lines.append(translator.gettext(wording["failed"], lang, n=len(self.failures)))
            for problem in self.failures:
                lines.append("  - " + self.describe_problem(problem, translator, lang))
        if not lines or (self.dry_run and len(lines) == 1):
            lines.append(translator.gettext(SUMMARY_NOTHING, lang))
        lines += [n.render(translator, lang) for n in self.notices()]
        advice: list[str] = []
        for problem in self.failures:
            tip = problem.error.advice(lang, translator=translator)
            if tip not in advice:
                advice.append(tip)
        lines += advice
        return lines

    @staticmethod
    def location(
        index: int | None, offset: int | None, translator: Translator, lang: str | None
    ) -> str | None:
        if index is None:
            return None
        return Reason(LOCATION, {"index": index, "offset": offset or 0}).render(translator, lang)

    def describe_problem(
        self, problem: ImportProblem, translator: Translator, lang: str | None = None
    ) -> str:
        message = problem.error.message(lang, translator=translator)
        where = [self.location(problem.index, problem.offset, translator, lang) or ""]
        if str(problem.source) not in message:  # file.problem names the file itself
            where.insert(0, str(problem.source))
        parts = [message]
        if any(where):
            parts.insert(0, "[" + ", ".join(w for w in where if w) + "]")
        if problem.reason is not None and problem.reason_is_news:
            parts.append(f"({problem.reason.render(translator, lang)})")
        return " ".join(parts)

    def to_dict(self, translator: Translator, lang: str | None = None) -> dict[str, Any]:
        """JSON-ready report (``mailplug import --json``)."""
        return {
            "source": str(self.source),
            "format": self.format,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "counts": dict(self.counts),
            "seconds": round(self.seconds, 3),
            "summary": self.summary(translator, lang),
            "accounts": [
                {
                    "name": a.name,
                    "email": a.email,
                    "added": a.added,
                    "existing": a.existing,
                    "source": str(a.source),
                    "secret_to_enter": a.secret if a.added else None,
                    "secret_found_not_copied": a.secret_found,
                }
                for a in self.accounts
            ],
            "failures": [
                {
                    "source": str(p.source),
                    "index": p.index,
                    "offset": p.offset,
                    "location": self.location(p.index, p.offset, translator, lang),
                    "reason": p.reason.render(translator, lang) if p.reason else None,
                    "error": p.error.to_dict(lang, translator=translator),
                }
                for p in self.failures
            ],
            "messages": [m.to_dict(translator, lang) for m in self.messages],
            "messages_truncated": sum(
                self.counts[k] for k in ("queued", "sent", "duplicate", "skipped", "left")
            )
            > len(self.messages),
            "notices": [n.render(translator, lang) for n in self.notices()],
            "skipped_folders": list(self.skipped_folders),
            "config_path": str(self.config_path) if self.config_path else None,
        }


# --------------------------------------------------------------------------
# Running an import
# --------------------------------------------------------------------------

_BATCH = 256


def _take(items: Iterator[ImportItem], n: int) -> list[ImportItem]:
    out: list[ImportItem] = []
    for item in items:
        out.append(item)
        if len(out) >= n:
            break
    return out


def _digest(key: str) -> bytes:
    return hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=12).digest()


def _unique_name(wanted: str, taken: set[str]) -> str:
    if wanted not in taken:
        return wanted
    n = 2
    while f"{wanted}-{n}" in taken:
        n += 1
    return f"{wanted}-{n}"


class _Session:
    """State of one import run: the accounts known so far and where things go."""

    def __init__(
        self,
        runtime: Runtime,
        report: ImportReport,
        *,
        config: Config | None,
        dry_run: bool,
        fallback_account: str | None,
    ) -> None:
        self.runtime = runtime
        self.queue = Queue(runtime)
        self.report = report
        self.config = config
        self.dry_run = dry_run
        self.accounts: dict[str, Account] = dict(runtime.accounts)
        if config is not None:
            for acc in config.accounts:
                self.accounts.setdefault(acc.name, acc)
        self.fallback = self.accounts[fallback_account] if fallback_account else None
        self.by_address: dict[str, Account] = {}
        for acc in self.accounts.values():
            self.by_address.setdefault(acc.email.key().lower(), acc)
        self.config_dirty = False
        self.seen: set[bytes] = set()
        self.outbox: Any = None
        self.pending: list[tuple[NewEntry, MessageOutcome]] = []

    # -- accounts -----------------------------------------------------------

    def account_for(self, address: Address | None) -> Account | None:
        """The account whose address is ``address``, else the ``--account`` fallback."""
        if address is not None:
            found = self.by_address.get(address.key().lower())
            if found is not None:
                return found
        return self.fallback

    def add_account(self, item: ImportedAccount) -> None:
        acc = item.account
        wanted = acc.email.key().lower()
        if item.repeated:
            self.report.notes.append(Reason(NOTICE_SAME_IDENTITY, {"address": acc.email.email}))
            return
        existing = self.by_address.get(wanted)
        if existing is not None:
            self.report.counts["accounts_existing"] += 1
            self.report.accounts.append(
                AccountOutcome(
                    acc.name, acc.email.email, False, item.source, existing=existing.name
                )
            )
            return
        name = _unique_name(acc.name, set(self.accounts))
        has_default = any(a.default for a in self.accounts.values())
        acc = acc.model_copy(update={"name": name, "default": acc.default and not has_default})
        self.accounts[name] = self.by_address[wanted] = acc
        self.report.counts["accounts_added"] += 1
        self.report.notes += [Reason(n.text, {**n.params, "account": name}) for n in item.notes]
        self.report.accounts.append(
            AccountOutcome(
                name,
                acc.email.email,
                True,
                item.source,
                secret=item.secret,
                secret_found=item.secret_found,
            )
        )
        if not self.dry_run:
            self.runtime.add_account(acc)
            if self.config is not None:
                self.config.accounts.append(acc)
                self.config_dirty = True

    def save_config(self) -> None:
        if self.config_dirty and self.config is not None and not self.dry_run:
            from .config import save_config

            self.report.config_path = save_config(self.config)
            self.config_dirty = False

    # -- messages -----------------------------------------------------------

    def prepare(self, item: ImportedMessage) -> None:
        """Check one message and line it up for the next :meth:`store`."""
        from .outbox import NewEntry, new_id
        from .storage import Status
        from .transport import Envelope

        account = self.account_for(item.sender)
        if account is None:
            error = (
                NO_SENDER.error(subject=item.subject or "—")
                if item.sender is None
                else keys.ACCOUNT_NOT_CONFIGURED.error(address=item.sender.email)
            )
            self.fail(ImportProblem(item.source, error, index=item.index, offset=item.offset))
            return
        if item.kind is Kind.QUEUED and not item.recipients:
            error = keys.MESSAGE_NO_RECIPIENTS.error()
            self.fail(ImportProblem(item.source, error, index=item.index, offset=item.offset))
            return
        outcome = MessageOutcome(
            item.kind.value,
            item.source,
            item.subject,
            message_id=item.message_id,
            account=account.name,
            date=item.date,
            index=item.index,
            reason=item.notes[0] if item.notes else None,
        )
        if self.dry_run:
            # Nothing is stored, so repeats within the source are caught here; a real
            # import leaves that to the outbox and keeps no per-message state.
            keys_ = {_digest(item.dedupe_key), _digest(item.message_id)}
            if keys_ & self.seen:
                outcome.status = "duplicate"
                self.report._note(outcome)
                return
            self.seen |= keys_
        own = item.sender is not None and account is not self.fallback
        # Mail filed under the --account fallback leaves with that account's own address.
        sender = item.sender.ascii_email if own and item.sender else account.email.ascii_email
        now = datetime.now(UTC)
        sent = item.kind is Kind.SENT
        when = (item.date or now) if sent else now
        entry = NewEntry(
            id=new_id(),
            message_id=item.message_id,
            account=account.name,
            envelope=Envelope(
                sender=account.envelope_sender or sender,
                recipients=item.recipients,
                message_id=item.message_id,
                smtputf8=item.smtputf8,
            ),
            data=item.data,
            subject=item.subject,
            sender=str(item.sender) if item.sender is not None else str(account.from_address),
            to=item.to,
            # Queued mail counts its age from now: the retry limit must not expire it at once.
            created_at=when,
            status=Status.SENT if sent else Status.QUEUED,
            sent_at=when if sent else None,
            dedupe_key=item.dedupe_key,
            # What was odd about the source stays with the entry (``outbox show``).
            metadata={"import.note": fill(item.notes[0].text.msgid, item.notes[0].params)}
            if item.notes
            else {},
        )
        self.pending.append((entry, outcome))

    async def store(self) -> None:
        """Store the messages lined up, in one transaction (or, in a dry run, look them up)."""
        pending, self.pending = self.pending, []
        if not pending:
            return
        outbox = await self._outbox()
        if self.dry_run:
            for entry, outcome in pending:
                if await outbox.get(entry.message_id) is not None:
                    outcome.status = "duplicate"
                self.report._note(outcome)
            return
        added = await self.queue.insert([entry for entry, _ in pending])
        for (_, outcome), result in zip(pending, added, strict=True):
            outcome.id = result.id
            if not result.created:
                outcome.status = "duplicate"
            self.report._note(outcome)

    async def _outbox(self) -> Any:
        if self.outbox is None:
            self.outbox = await self.runtime.outbox()
        return self.outbox

    def fail(self, problem: ImportProblem) -> None:
        if problem.error.translator is None:
            self.runtime.localize(problem.error)
        self.report.counts["failed"] += 1
        self.report.failures.append(problem)

    def skip(self, item: ImportSkipped) -> None:
        self.report._note(
            MessageOutcome(
                "left" if item.left else "skipped",
                item.source,
                item.subject,
                index=item.index,
                reason=item.reason,
            )
        )


async def import_path(
    runtime: Runtime,
    path: Path | str,
    *,
    format: str | None = None,
    dry_run: bool = False,
    account: str | None = None,
    kind: Kind | str | None = None,
    config: Config | None = None,
    progress: ProgressCallback | None = None,
    detail_limit: int = 1000,
) -> ImportReport:
    """Import mail and settings from ``path`` (format sniffed unless ``format`` is given).

    Accounts found are appended to ``config`` (default: the runtime's accounts file) and
    saved; unsent mail goes to the outbox as queued, sent mail into the history.
    With ``dry_run`` nothing is written: the report says what would happen.

    :param account: account name for messages whose From address matches no account.
    :param kind: treat every message as ``"queued"`` or ``"sent"``.
    :param progress: called from a worker thread with a :class:`Progress`.
    :raises mailplug.errors.FileError: ``path`` missing or in no known format.
    :raises mailplug.errors.AccountNotConfiguredError: ``account`` names no account.
    """
    source = Path(path)
    importer = choose_importer(runtime.plugins.importers, source, format)
    if account is not None and account not in runtime.accounts:
        known = config.accounts if config is not None else runtime.config.accounts
        if account not in {a.name for a in known}:
            raise runtime.localize(keys.ACCOUNT_NOT_CONFIGURED.error(address=account))
    cfg = config if config is not None else runtime.config
    report = ImportReport(
        source=source, format=importer.name, dry_run=dry_run, detail_limit=detail_limit
    )
    session = _Session(runtime, report, config=cfg, dry_run=dry_run, fallback_account=account)
    context = ReadContext(
        kind=Kind(kind) if kind is not None else None,
        progress=progress,
        auth_methods=frozenset(runtime.plugins.auth),
        languages=(runtime.translator.lang,),
    )
    started = time.monotonic()
    items = importer.read(source, context)
    # Parsing reads files: it runs in a worker thread, a batch at a time, the next batch
    # being read while the previous one is stored.
    reading = asyncio.ensure_future(asyncio.to_thread(_take, items, _BATCH))
    try:
        while True:
            batch = await reading
            if not batch:
                break
            reading = asyncio.ensure_future(asyncio.to_thread(_take, items, _BATCH))
            await _handle(session, batch)
    finally:
        # The reading thread must be done before the generator can be closed.
        await asyncio.wait([reading])
        if not reading.cancelled() and reading.exception() is not None:
            log.debug("reading %s stopped: %s", source, reading.exception())
        close = getattr(items, "close", None)
        if close is not None:
            await asyncio.to_thread(close)
        session.save_config()
        report.seconds = time.monotonic() - started
    log.info(
        "imported %s (%s): %d queued, %d sent, %d duplicate, %d failed",
        source,
        importer.name,
        report.counts["queued"],
        report.counts["sent"],
        report.counts["duplicate"],
        report.counts["failed"],
    )
    return report


async def _handle(session: _Session, batch: Sequence[ImportItem]) -> None:
    for item in batch:
        if isinstance(item, ImportedAccount):
            session.add_account(item)
        elif isinstance(item, ImportedMessage):
            # Settings come first in a source; write them before the mail that needs them.
            session.save_config()
            session.prepare(item)
        elif isinstance(item, ImportSkipped):
            session.skip(item)
        elif isinstance(item, ImportProblem):
            session.fail(item)
        elif isinstance(item, SkippedFolder) and item.name not in session.report.skipped_folders:
            session.report.skipped_folders.append(item.name)
    await session.store()
