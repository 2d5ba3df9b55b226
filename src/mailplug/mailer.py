"""The object a host embeds: :class:`AsyncMailer`, and :class:`Mailer` for plain threads.

::

    async with AsyncMailer([account]) as mailer:
        result = await mailer.send(Message(to="jan@example.pl", subject="Hi", text="…"))

    with Mailer.from_config() as mailer:          # sync: any thread without a running loop
        mailer.enqueue(message)
        mailer.flush()
"""

from __future__ import annotations

import asyncio
import concurrent.futures.thread  # registers its exit hook before ours (end of file)
import logging
import threading
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from . import forking, keys
from .body import STREAM_THRESHOLD, spooled
from .config import Config, default_data_dir, load_config
from .describe import Description, describe, waiting_text
from .errors import ConfigurationError, ErrorInfo, ErrorSpec, MailplugError, ServerReply
from .i18n import Translator
from .models import Account, Address, Message
from .outbox import NewEntry, new_id
from .plugins import Plugins
from .queue import Queue
from .raw import prepare_raw
from .runtime import DEFAULT_MAX_MESSAGE_SIZE, Runtime, StatusListener
from .services import SecretStore, Services
from .transport import RecipientsRefusedError, payload_for

if TYPE_CHECKING:
    from .auth import Authenticator
    from .check import CheckReport
    from .compose import Composed
    from .dispatch import FlushReport
    from .events import StatusEvent
    from .importing import ImportReport
    from .outbox import AccountPause, Filter, Outbox, OutboxEntry
    from .reports import Report
    from .status import Status
    from .tracking import Tracked
    from .transport import SendResult, Transport

__all__ = ["AsyncMailer", "Mailer"]

log = logging.getLogger("mailplug")
T = TypeVar("T")

#: Seconds a fork waits for the loop thread to stand still, and it waits for the fork.
_FORK_PARK_TIMEOUT = 10.0


class AsyncMailer:
    """Sends mail for a set of accounts through the installed plugins.

    The host's object: sending (:meth:`send`, :meth:`enqueue`, :meth:`flush`,
    :meth:`work`), the account check and import, and the questions about the
    outbox (also on :attr:`queue`).  The work is done by the engines over a
    :class:`~mailplug.runtime.Runtime` (:attr:`runtime`).

    :param accounts: :class:`Account` objects or dicts.
    :param lang: language of messages (default: from the environment).
    :param data_dir: where the outbox and tokens live (default: user data dir).
    :param outbox: storage plugin name (``"sqlite"``), ``None`` for none.
    :param outbox_path: path or URL given to the outbox plugin.
    :param secret_store: secret store plugin name (``"file"``, ``"keyring"``).
    :param disable_plugins: plugin names to block (else ``MAILPLUG_DISABLE_PLUGINS``).
    :param plugins: extra plugin objects the host registers itself.
    :param entry_points: load third-party plugins from entry points.
    :param on_status: called with every :class:`~mailplug.events.StatusEvent`
        (in the mailer's event loop thread; keep it quick).
    :param max_message_size: largest composed message accepted, in bytes (default
        35 MB; ``None``: no limit); bigger ones are refused (``message.too_big``)
        before anything is stored.
    """

    def __init__(
        self,
        accounts: Iterable[Account | dict[str, Any]] = (),
        *,
        lang: str | None = None,
        data_dir: Path | str | None = None,
        outbox: str | None = "sqlite",
        outbox_path: Path | str | None = None,
        secret_store: str | None = "file",  # noqa: S107 - a plugin name
        disable_plugins: Iterable[str] | None = None,
        plugins: Sequence[object] = (),
        entry_points: bool = True,
        config: Config | None = None,
        on_status: StatusListener | None = None,
        max_message_size: int | None = DEFAULT_MAX_MESSAGE_SIZE,
    ) -> None:
        config = config or Config()
        found = Plugins(disable=disable_plugins, plugins=plugins, entry_points=entry_points)
        self.runtime = Runtime(
            config=config,
            plugins=found,
            translator=Translator(found.catalogs, lang=lang or config.lang),
            data_dir=Path(data_dir) if data_dir is not None else default_data_dir(),
            outbox=outbox,
            outbox_path=outbox_path,
            secret_store=secret_store,
            max_message_size=max_message_size,
        )
        if on_status is not None:
            self.runtime.listeners.append(on_status)
        #: The outbox as the host sees it: queries, retry, cancel, resume, purge.
        self.queue = Queue(self.runtime)
        self._worker: asyncio.Task[FlushReport] | None = None
        self._worker_stop: asyncio.Event | None = None
        for account in (*config.accounts, *accounts):
            self.runtime.add_account(account)
        forking.register(self)

    def _after_fork_in_child(self) -> None:
        # The worker task lives on the parent's loop: a child has none (one worker
        # per outbox is the rule; a child that wants one calls start_worker()).
        forking.abandon(self._worker, self._worker_stop)
        self._worker = self._worker_stop = None

    # -- construction -------------------------------------------------------

    @classmethod
    def from_config(cls, path: Path | str | None = None, **kwargs: Any) -> AsyncMailer:
        """A mailer for the accounts in the accounts file (see :mod:`mailplug.config`)."""
        return cls(config=load_config(path), **kwargs)

    @property
    def config(self) -> Config:
        return self.runtime.config

    @property
    def plugins(self) -> Plugins:
        return self.runtime.plugins

    @property
    def translator(self) -> Translator:
        return self.runtime.translator

    @property
    def services(self) -> Services:
        return self.runtime.services

    @property
    def data_dir(self) -> Path:
        return self.runtime.data_dir

    @property
    def accounts(self) -> dict[str, Account]:
        return self.runtime.accounts

    def add_account(self, account: Account | dict[str, Any]) -> Account:
        return self.runtime.add_account(account)

    def account(self, name: str) -> Account:
        return self.runtime.account(name)

    def account_for(self, message: Message) -> Account:
        """The account that sends ``message``: by name, else by From address, else the default.

        :raises mailplug.errors.AccountNotConfiguredError: no matching account.
        """
        return self.runtime.account_for(message)

    def on_status(self, listener: StatusListener) -> StatusListener:
        """Call ``listener`` with every status event (usable as a decorator)."""
        self.runtime.listeners.append(listener)
        return listener

    # -- errors and languages ----------------------------------------------

    def localize(self, error: MailplugError) -> MailplugError:
        """Attach this mailer's catalogs so ``error.message("pl")`` uses them."""
        return self.runtime.localize(error)

    @asynccontextmanager
    async def _errors(self) -> AsyncIterator[None]:
        try:
            yield
        except MailplugError as exc:
            self.localize(exc)
            raise

    def classify(
        self,
        reply: ServerReply,
        *,
        stage: str = "data",
        host: str | None = None,
        account: Account | None = None,
    ) -> ErrorSpec:
        """The error spec for a server reply: plugins first, then the built-in table."""
        return self.runtime.classify(reply, stage=stage, host=host, account=account)

    def explain(
        self, code: int | None, enhanced: str | None = None, text: str = "", *, stage: str = "data"
    ) -> MailplugError:
        """The error a server reply stands for (``mailplug explain``)."""
        reply = ServerReply(code=code, enhanced=enhanced, text=text)
        return self.localize(self.classify(reply, stage=stage).error(reply=reply))

    def parse_report(self, raw: bytes) -> Report:
        """What a message from the inbox says about mail we sent: a bounce, a read
        receipt, an auto-reply, a feedback report or none (:mod:`mailplug.reports`)."""
        return self.runtime.parse_report(raw)

    async def track_report(
        self, raw: bytes, *, account: str | None = None, dry_run: bool = False
    ) -> Tracked:
        """Match a report from the inbox to the outbox entry it is about and record it.

        A bounce marks its recipients ``bounced`` (with the classified reason) or
        ``delayed``; a read receipt marks the reader ``read`` or ``deleted-unread``;
        each change is a status event.  Matching is exact (:mod:`mailplug.tracking`):
        an unmatched report is returned with ``unmatched`` set.  Idempotent.
        """
        from .tracking import Tracker

        found = self.account(account) if account else None
        return await Tracker(self.runtime).track(raw, account=found, dry_run=dry_run)

    def reason(self, error: ErrorInfo) -> MailplugError:
        """A stored error as an exception that renders localized message and advice."""
        return self.runtime.reason(error)

    def describe(self, item: OutboxEntry | StatusEvent, lang: str | None = None) -> Description:
        """An entry's or event's status, reason and advice as a person reads them
        (see :mod:`mailplug.describe`)."""
        return describe(self.runtime, item, lang)

    def waiting_text(self, n: int, lang: str | None = None) -> str:
        """ "3 wiadomości czekają na wysłanie." — ``n`` from :meth:`waiting`."""
        return waiting_text(self.runtime, n, lang)

    def emit(self, event: StatusEvent) -> None:
        """Report a status change to every listener (the hook and ``on_status``)."""
        self.runtime.emit(event)

    # -- objects built from plugins ----------------------------------------------

    async def secrets(self) -> SecretStore | None:
        """The secret store (tokens, passwords), opened on first use."""
        return await self.runtime.secrets()

    async def authenticator(self, account: Account) -> Authenticator | None:
        async with self._errors():
            return await self.runtime.authenticator(account)

    async def transport_for(self, account: Account) -> Transport:
        """The account's transport, built once and reused (connections stay open)."""
        async with self._errors():
            return await self.runtime.transport_for(account)

    async def outbox(self) -> Outbox:
        """The outbox (opened on first use) — see :class:`mailplug.outbox.Outbox`."""
        async with self._errors():
            return await self.runtime.outbox()

    # -- sending now --------------------------------------------------------

    def compose(self, message: Message, account: Account | None = None) -> Composed:
        """Validate and compose ``message`` (reads attachments; raises before anything is sent)."""
        return self.runtime.compose(message, account)

    async def send(self, message: Message) -> SendResult:
        """Send ``message`` now, bypassing the outbox.

        :returns: the result, listing accepted and refused recipients (each refusal
            classified: ``result.refused[0].error``).  For an account that keeps copies
            in its Sent folder, ``result.details["sent_copy"]`` is the copy's
            :class:`~mailplug.outbox.SentCopy` (saved, or failed with its error: the
            message itself was sent, and a direct send keeps no queue to try again).
        :raises mailplug.errors.MailplugError: nothing was delivered.
        """
        from .copying import save_copy_now, wants_copy

        async with self._errors():
            account = self.runtime.account_for(message)
            composed = await asyncio.to_thread(
                lambda: self.runtime.before_send(self.runtime.compose(message, account), account)
            )
            transport = await self.runtime.transport_for(account)
            started = time.monotonic()
            try:
                result = await transport.send(
                    composed.envelope, payload_for(transport, composed.data)
                )
            except RecipientsRefusedError as refused:
                raise self.runtime.refused_error(refused, account=account) from refused.__cause__
            result.duration = result.duration or time.monotonic() - started
            self.runtime.classify_refusals(result.recipients, host=result.host, account=account)
            if result.accepted and wants_copy(self.runtime, account):
                # As a mail program does, and as a flush does for queued mail: after
                # delivery, once (no outbox keeps it for another try); never raises.
                copy = await save_copy_now(
                    self.runtime, account, composed.data, result.message_id, datetime.now(UTC)
                )
                if copy is not None:
                    result.details["sent_copy"] = copy
            log.info(
                "sent %s from account %s: %d accepted, %d refused",
                message.message_id,
                account.name,
                len(result.accepted),
                len(result.refused),
            )
            return result

    async def check_account(
        self, name: str, *, rcpt: str | None = None, **options: Any
    ) -> CheckReport:
        """Check account ``name`` step by step without sending (``mailplug accounts test``).

        :param rcpt: a test recipient for a dry run of ``MAIL FROM``/``RCPT TO``
            (then ``RSET``: nothing is sent).
        :param options: fields of :class:`mailplug.check.CheckOptions` (``timeout``,
            ``probe_timeout``, ``try_ports``, ``require``).
        :returns: every step with what was seen and, on failure, the setting to change.
        """
        from .check import CheckOptions
        from .checking import check_account

        async with self._errors():
            return await check_account(
                self.runtime, name, rcpt=rcpt, options=CheckOptions(**options)
            )

    async def import_path(self, path: Path | str, **options: Any) -> ImportReport:
        """Import mail and settings left by an older program (see
        :func:`mailplug.importing.import_path`)."""
        from .importing import import_path

        async with self._errors():
            return await import_path(self.runtime, path, **options)

    # -- outbox -------------------------------------------------------------

    async def enqueue(
        self, message: Message, *, connection: Any = None, allow_unready_account: bool = False
    ) -> str:
        """Compose ``message`` and store it in the outbox; returns its outbox id.

        Enqueueing a message whose Message-ID is already in the outbox returns
        the existing entry's id (enqueue is idempotent).

        :param connection: the host's own database connection with a transaction
            open (a psycopg connection for the PostgreSQL outbox): the message is
            stored in that transaction and exists only if the host commits.
        :param allow_unready_account: queue it even if the account's settings
            cannot work yet (an unknown transport or login method, a bad port, no
            host): the host means to fix them before sending.  By default such
            mail is refused with the settings error, so it never sits unsendable.
        :raises mailplug.errors.ConfigurationError: the account's settings cannot work.
        """
        (entry_id,) = await self.enqueue_many(
            [message], connection=connection, allow_unready_account=allow_unready_account
        )
        return entry_id

    async def enqueue_many(
        self,
        messages: Iterable[Message],
        *,
        connection: Any = None,
        allow_unready_account: bool = False,
    ) -> list[str]:
        """Compose and store many messages in one transaction (all or none).

        :param connection: as for :meth:`enqueue`.
        :param allow_unready_account: as for :meth:`enqueue`.
        """
        async with self._errors():
            items = list(messages)
            if not items:
                return []
            runtime = self.runtime
            if not allow_unready_account:
                await self._check_accounts_ready(items)

            def compose_all() -> list[tuple[Message, Account, Composed]]:
                out = []
                for message in items:
                    account = runtime.account_for(message)
                    composed = runtime.before_send(runtime.compose(message, account), account)
                    out.append((message, account, composed))
                return out

            composed = await asyncio.to_thread(compose_all)
            added = await self.queue.add(composed, connection=connection)
            return [a.id for a in added]

    async def enqueue_raw(
        self,
        data: bytes,
        *,
        recipients: Sequence[str],
        sender: str | None = None,
        account: str | None = None,
        priority: int = 3,
        send_at: datetime | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> str:
        """Store an already-composed MIME message; returns its outbox id.

        For adapters whose framework renders the message itself (Django's
        ``message.message().as_bytes()``): nothing is translated field by field.
        The bytes are checked (see :mod:`mailplug.raw`) and sent as they are, with
        CRLF line endings; the Message-ID is the one in the bytes (one is added if
        missing), so enqueueing the same bytes twice stores them once.

        :param recipients: every envelope recipient (To, Cc and Bcc).
        :param sender: the envelope sender (default: the account's address).
        :param account: the account's name (default: the one whose address is
            ``sender``, else the default account).
        :raises mailplug.errors.MessageError: the bytes or the envelope are not sendable.
        """
        async with self._errors():
            runtime = self.runtime
            from_address = Address.parse(sender, field="sender") if sender else None
            acc = runtime.account_by(account, from_address)
            envelope_from = str(from_address.email if from_address else acc.email.email)
            runtime._check_size(len(data))  # the outbox's limit holds for raw bytes too
            raw = prepare_raw(
                data, sender=envelope_from, recipients=recipients, domain=acc.email.domain
            )
            composed = await asyncio.to_thread(runtime.before_send, raw.composed, acc)
            if isinstance(composed.data, bytes) and len(composed.data) > STREAM_THRESHOLD:
                # A big one is kept beside the database and sent in chunks, as composed ones.
                from .compose import Composed, spool_error

                try:
                    big = await asyncio.to_thread(spooled, composed.data)
                except OSError as exc:
                    raise spool_error(exc) from exc
                composed = Composed(composed.envelope, big)
            entry = NewEntry(
                id=new_id(),
                message_id=composed.envelope.message_id,
                account=acc.name,
                envelope=composed.envelope,
                data=composed.data,
                subject=raw.subject,
                sender=raw.sender or envelope_from,
                to=raw.to,
                priority=priority,
                created_at=datetime.now(UTC),
                send_at=send_at,
                metadata=dict(metadata or {}),
            )
            (added,) = await self.queue.insert([entry])
            return added.id

    async def _check_accounts_ready(self, messages: list[Message]) -> None:
        """Refuse mail for an account whose settings cannot work (the transport is
        built from them: no connection is made)."""
        checked: set[str] = set()
        for message in messages:
            account = self.runtime.account_for(message)
            if account.name not in checked:
                checked.add(account.name)
                try:
                    await self.runtime.transport_for(account)
                except ConfigurationError:
                    raise
                except MailplugError:
                    pass  # not the settings (e.g. a login not yet given): sending reports it

    async def flush(self, **kwargs: Any) -> FlushReport:
        """Send everything due in the outbox (see :func:`mailplug.dispatch.flush`)."""
        from .dispatch import flush

        async with self._errors():
            return await flush(self.runtime, **kwargs)

    async def work(self, *, stop: asyncio.Event | None = None, **kwargs: Any) -> FlushReport:
        """Send mail as it comes until ``stop`` is set (see :func:`mailplug.dispatch.work`)."""
        from .dispatch import work

        async with self._errors():
            return await work(self.runtime, stop=stop, wake=self.runtime.new_mail, **kwargs)

    def start_worker(self, **kwargs: Any) -> asyncio.Task[FlushReport]:
        """Run :meth:`work` in the background of the running loop; :meth:`stop_worker` ends it."""
        if self._worker is not None and not self._worker.done():
            return self._worker
        stop = asyncio.Event()
        task = asyncio.create_task(self.work(stop=stop, **kwargs), name="mailplug-worker")
        self._worker, self._worker_stop = task, stop
        return task

    async def stop_worker(self) -> FlushReport | None:
        """Stop the background worker: messages being sent finish, the rest stay queued."""
        task, stop = self._worker, self._worker_stop
        self._worker = self._worker_stop = None
        if task is None or stop is None:
            return None
        stop.set()
        return await task

    async def status(self, ref: str) -> OutboxEntry:
        """One outbox entry with its recipients and attempt history (see :class:`Queue`)."""
        async with self._errors():
            return await self.queue.status(ref)

    async def counts(self, *, account: str | None = None) -> dict[str, int]:
        """Messages per status."""
        async with self._errors():
            return await self.queue.counts(account=account)

    async def waiting(self, *, account: str | None = None) -> int:
        """How many messages wait to be sent (the host's "mail waiting" indicator)."""
        async with self._errors():
            return await self.queue.waiting(account=account)

    async def query(self, filter: Filter | None = None, **criteria: Any) -> list[OutboxEntry]:
        """Outbox entries: ``query(statuses=[Status.FAILED], recipient="jan@")``
        (keywords of :class:`mailplug.outbox.Filter`)."""
        async with self._errors():
            return await self.queue.query(filter, **criteria)

    async def find_sent(self, text: str | None = None, **criteria: Any) -> list[OutboxEntry]:
        """Mail sent earlier (fully or partly), newest first (see :meth:`Queue.find_sent`)."""
        async with self._errors():
            return await self.queue.find_sent(text, **criteria)

    async def retry(self, *refs: str) -> int:
        """Send these entries again as soon as possible; returns how many were requeued."""
        async with self._errors():
            return await self.queue.retry(*refs)

    async def cancel(self, *refs: str) -> int:
        """Cancel waiting entries (not those being sent); returns how many."""
        async with self._errors():
            return await self.queue.cancel(*refs)

    async def resume_account(self, name: str) -> bool:
        """Lift the pause of an account (after fixing its password or settings)."""
        async with self._errors():
            return await self.queue.resume_account(name)

    async def paused_accounts(self) -> dict[str, AccountPause]:
        """Accounts whose mail waits: paused (until fixed) or held (until a time)."""
        async with self._errors():
            return await self.queue.paused_accounts()

    async def purge(
        self, *, older_than_days: float, statuses: Iterable[Status | str] = ("sent",)
    ) -> int:
        """Delete old entries (by default: sent mail) dated more than ``older_than_days`` ago."""
        async with self._errors():
            return await self.queue.purge(older_than_days=older_than_days, statuses=statuses)

    # -- lifetime -----------------------------------------------------------

    async def aclose(self) -> None:
        """Stop the worker, then close connections and the outbox (safe to call twice)."""
        try:
            await self.stop_worker()  # a background worker finishes what is on the wire first
        except Exception:
            log.exception("the background worker failed")
        finally:
            await self.runtime.aclose()

    async def __aenter__(self) -> AsyncMailer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class Mailer:
    """A synchronous facade over :class:`AsyncMailer` for plain threads.

    It runs its own event loop in a background thread.  Calling it from a
    thread that already runs an event loop raises ``api.sync_in_event_loop``
    instead of deadlocking.  Takes the same arguments as :class:`AsyncMailer`.

    Every blocking method is listed here, explicitly; plain attributes
    (:attr:`accounts`, :attr:`plugins`, :attr:`translator`, :attr:`config`) and
    the non-blocking helpers (:meth:`account`, :meth:`reason`, :meth:`explain` …)
    are the async mailer's.  Anything else: :meth:`run` or :attr:`aio`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._init(AsyncMailer(*args, **kwargs))

    def _init(self, aio: AsyncMailer) -> None:
        self._async = aio
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        # Re-entrant: close() may run in a signal handler that interrupted _ensure_loop().
        self._start_lock = threading.RLock()
        self._fork_release: threading.Event | None = None
        forking.register(self)
        _OPEN.add(self)

    def _before_fork(self) -> None:
        """Hold the loop thread in Python code while the process forks (see
        :mod:`mailplug.forking`); :meth:`_after_fork_in_parent` lets it go on."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or thread is threading.current_thread():
            return
        parked, release = threading.Event(), threading.Event()

        def park() -> None:
            parked.set()
            release.wait(_FORK_PARK_TIMEOUT)

        try:
            loop.call_soon_threadsafe(park)
        except RuntimeError:
            return  # the loop is closed
        self._fork_release = release
        parked.wait(_FORK_PARK_TIMEOUT)

    def _after_fork_in_parent(self) -> None:
        release, self._fork_release = self._fork_release, None
        if release is not None:
            release.set()

    def _after_fork_in_child(self) -> None:
        """The loop thread did not survive the fork: start a new one on next use."""
        forking.abandon(self._loop, self._thread)
        self._loop = self._thread = None
        self._fork_release = None
        self._start_lock = threading.RLock()

    @classmethod
    def from_config(cls, path: Path | str | None = None, **kwargs: Any) -> Mailer:
        return cls(config=load_config(path), **kwargs)

    @classmethod
    def around(cls, aio: AsyncMailer) -> Mailer:
        """A sync facade over an existing async mailer (its loop runs in a new thread)."""
        mailer = cls.__new__(cls)
        mailer._init(aio)
        return mailer

    @property
    def aio(self) -> AsyncMailer:
        """The underlying async mailer."""
        return self._async

    # -- plain attributes and non-blocking helpers of the async mailer ------------

    @property
    def accounts(self) -> dict[str, Account]:
        return self._async.accounts

    @property
    def plugins(self) -> Plugins:
        return self._async.plugins

    @property
    def translator(self) -> Translator:
        return self._async.translator

    @property
    def config(self) -> Config:
        return self._async.config

    @property
    def data_dir(self) -> Path:
        return self._async.data_dir

    def add_account(self, account: Account | dict[str, Any]) -> Account:
        return self._async.add_account(account)

    def account(self, name: str) -> Account:
        return self._async.account(name)

    def account_for(self, message: Message) -> Account:
        return self._async.account_for(message)

    def on_status(self, listener: StatusListener) -> StatusListener:
        """Call ``listener`` with every status event (in the mailer's loop thread)."""
        return self._async.on_status(listener)

    def localize(self, error: MailplugError) -> MailplugError:
        return self._async.localize(error)

    def classify(self, reply: ServerReply, *, stage: str = "data", **kwargs: Any) -> ErrorSpec:
        return self._async.classify(reply, stage=stage, **kwargs)

    def explain(
        self, code: int | None, enhanced: str | None = None, text: str = "", *, stage: str = "data"
    ) -> MailplugError:
        return self._async.explain(code, enhanced, text, stage=stage)

    def reason(self, error: ErrorInfo) -> MailplugError:
        return self._async.reason(error)

    def compose(self, message: Message, account: Account | None = None) -> Composed:
        return self._async.compose(message, account)

    def describe(self, item: OutboxEntry | StatusEvent, lang: str | None = None) -> Description:
        """See :meth:`AsyncMailer.describe`."""
        return self._async.describe(item, lang)

    def waiting_text(self, n: int, lang: str | None = None) -> str:
        """See :meth:`AsyncMailer.waiting_text`."""
        return self._async.waiting_text(n, lang)

    # -- blocking methods -------------------------------------------------------------

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._start_lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="mailplug-loop", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def _submit(self, factory: Callable[[], Awaitable[T]]) -> concurrent.futures.Future[T]:
        """Start ``factory()`` on the mailer's loop thread (refused inside a running loop)."""

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise self._async.localize(keys.SYNC_IN_LOOP.error())

        async def call() -> T:
            return await factory()

        return asyncio.run_coroutine_threadsafe(call(), self._ensure_loop())

    def _run(self, factory: Callable[[], Awaitable[T]]) -> T:
        return self._submit(factory).result()

    def send(self, message: Message) -> SendResult:
        return self._run(lambda: self._async.send(message))

    def check_account(self, name: str, *, rcpt: str | None = None, **options: Any) -> CheckReport:
        """See :meth:`AsyncMailer.check_account`."""
        return self._run(lambda: self._async.check_account(name, rcpt=rcpt, **options))

    def import_path(self, path: Path | str, **options: Any) -> ImportReport:
        """See :meth:`AsyncMailer.import_path`."""
        return self._run(lambda: self._async.import_path(path, **options))

    def outbox(self) -> Outbox:
        """The opened outbox (see :meth:`AsyncMailer.outbox`); its methods are coroutines."""
        return self._run(self._async.outbox)

    def authenticator(self, account: Account) -> Authenticator | None:
        return self._run(lambda: self._async.authenticator(account))

    def enqueue(
        self, message: Message, *, connection: Any = None, allow_unready_account: bool = False
    ) -> str:
        """See :meth:`AsyncMailer.enqueue` (``connection``: e.g. Django's psycopg connection)."""
        return self._run(
            lambda: self._async.enqueue(
                message, connection=connection, allow_unready_account=allow_unready_account
            )
        )

    def enqueue_many(
        self,
        messages: Iterable[Message],
        *,
        connection: Any = None,
        allow_unready_account: bool = False,
    ) -> list[str]:
        return self._run(
            lambda: self._async.enqueue_many(
                messages, connection=connection, allow_unready_account=allow_unready_account
            )
        )

    def enqueue_raw(self, data: bytes, *, recipients: Sequence[str], **options: Any) -> str:
        """See :meth:`AsyncMailer.enqueue_raw`."""
        return self._run(lambda: self._async.enqueue_raw(data, recipients=recipients, **options))

    def flush(self, **kwargs: Any) -> FlushReport:
        """Send what is due (see :meth:`AsyncMailer.flush`).

        ``stop`` may be a :class:`threading.Event` set from another thread.  Ctrl-C
        (``KeyboardInterrupt``) while it runs stops it cleanly — messages being sent
        finish, the others stay queued — and is raised again afterwards; a second
        Ctrl-C abandons the messages being sent (they go back to the queue).
        """
        stop = kwargs.pop("stop", None)
        if stop is not None and not isinstance(stop, threading.Event):
            raise TypeError("stop must be a threading.Event")
        event = stop or threading.Event()
        future = self._submit(
            lambda: self._with_stop(event, lambda s: self._async.flush(stop=s, **kwargs))
        )
        try:
            return future.result()
        except KeyboardInterrupt:
            event.set()
            try:
                future.result()
            except KeyboardInterrupt:
                future.cancel()
            raise

    async def _with_stop(
        self, stop: threading.Event, run: Callable[[asyncio.Event], Awaitable[T]]
    ) -> T:

        event = asyncio.Event()

        async def watch() -> None:
            # A threading.Event cannot wake the loop: poll it (cheap, 10 times a second).
            while not stop.is_set():  # noqa: ASYNC110
                await asyncio.sleep(0.1)
            event.set()

        watcher = asyncio.create_task(watch())
        try:
            return await run(event)
        finally:
            watcher.cancel()

    def start_worker(self, **kwargs: Any) -> None:
        """Send mail in the background (the mailer's loop thread) until :meth:`stop_worker`."""

        async def start() -> None:
            self._async.start_worker(**kwargs)

        self._run(start)

    def stop_worker(self) -> FlushReport | None:
        return self._run(self._async.stop_worker)

    def status(self, ref: str) -> OutboxEntry:
        return self._run(lambda: self._async.status(ref))

    def counts(self, *, account: str | None = None) -> dict[str, int]:
        return self._run(lambda: self._async.counts(account=account))

    def waiting(self, *, account: str | None = None) -> int:
        return self._run(lambda: self._async.waiting(account=account))

    def query(self, filter: Filter | None = None, **criteria: Any) -> list[OutboxEntry]:
        return self._run(lambda: self._async.query(filter, **criteria))

    def find_sent(self, text: str | None = None, **criteria: Any) -> list[OutboxEntry]:
        return self._run(lambda: self._async.find_sent(text, **criteria))

    def retry(self, *refs: str) -> int:
        return self._run(lambda: self._async.retry(*refs))

    def cancel(self, *refs: str) -> int:
        return self._run(lambda: self._async.cancel(*refs))

    def resume_account(self, name: str) -> bool:
        return self._run(lambda: self._async.resume_account(name))

    def paused_accounts(self) -> dict[str, AccountPause]:
        return self._run(self._async.paused_accounts)

    def purge(self, *, older_than_days: float, statuses: Iterable[Status | str] = ("sent",)) -> int:
        return self._run(
            lambda: self._async.purge(older_than_days=older_than_days, statuses=statuses)
        )

    def run(self, factory: Callable[[AsyncMailer], Awaitable[T]]) -> T:
        """Run any coroutine of the async mailer: ``mailer.run(lambda m: m.outbox())``."""
        return self._run(lambda: factory(self._async))

    def close(self, *, timeout: float = 30.0) -> None:
        """Stop the worker, close connections and the outbox, end the loop thread.

        Safe to call twice, from ``atexit``, from a signal handler (a blocking call
        it interrupted raises :class:`concurrent.futures.CancelledError`), and in a
        forked child (which closes only what it opened itself).  The mailer may be
        used again afterwards: it starts a new loop thread.

        :param timeout: seconds to wait for messages being sent and for the thread.
        """
        with self._start_lock:
            loop, thread = self._loop, self._thread
            if thread is not None and thread is threading.current_thread():
                # A status listener closing its own mailer would wait on itself.
                raise self._async.localize(keys.SYNC_IN_LOOP.error())
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._async.aclose(), loop).result(timeout)
        except Exception:
            log.exception("closing the mailer failed")
        finally:
            done = asyncio.run_coroutine_threadsafe(_cancel_others(), loop)
            try:
                done.result(timeout)
            finally:
                loop.call_soon_threadsafe(loop.stop)
                thread.join(timeout)
                if not thread.is_alive():
                    loop.close()

    def __enter__(self) -> Mailer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


_OPEN: weakref.WeakSet[Mailer] = weakref.WeakSet()


def _close_at_exit() -> None:
    """Close every sync mailer when the interpreter exits, before Python stops its
    thread pools: afterwards a worker could not reach the outbox or resolve a host
    name, and a host's ``atexit.register(mailer.close)`` finds it already closed."""
    for mailer in list(_OPEN):
        try:
            mailer.close()
        except Exception:
            log.exception("closing a mailer at exit failed")


# The hook concurrent.futures itself uses to run before its executors shut down
# (stdlib-private, stable since Python 3.9); plain atexit runs too late for that.
# These hooks run last-registered first: the thread pool module (imported at the
# top for this reason) registered its own before ours.
_register_atexit = getattr(threading, "_register_atexit", None)
if _register_atexit is not None:
    _register_atexit(_close_at_exit)


async def _cancel_others() -> None:
    """Cancel what still runs on a loop that is about to stop (a call a signal interrupted)."""
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
