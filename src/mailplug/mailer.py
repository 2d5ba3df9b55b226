"""The object a host embeds: :class:`AsyncMailer`, and :class:`Mailer` for plain threads.

::

    async with AsyncMailer([account]) as mailer:
        result = await mailer.send(Message(to="jan@example.pl", subject="Hi", text="…"))

    with Mailer.from_config() as mailer:          # sync: any thread without a running loop
        mailer.enqueue(message)
        mailer.flush()
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from . import keys
from .config import Config, default_data_dir, load_config
from .errors import ErrorSpec, MailplugError, ServerReply
from .i18n import Translator
from .models import Account, Message
from .plugins import Plugins
from .services import Services
from .storage import SecretStore, StatusEvent

if TYPE_CHECKING:
    import asyncio
    import concurrent.futures
    from datetime import datetime

    from .auth import Authenticator
    from .check import CheckReport
    from .compose import Composed
    from .dispatch import FlushReport
    from .outbox import AccountPause, ErrorInfo, Filter, Outbox, OutboxEntry
    from .storage import Status
    from .transport import SendResult, Transport

__all__ = ["AsyncMailer", "Mailer"]

log = logging.getLogger("mailplug")
T = TypeVar("T")


def _utcnow() -> datetime:
    from datetime import UTC, datetime

    return datetime.now(UTC)


async def _to_thread(func: Callable[..., T], /, *args: Any) -> T:
    import asyncio

    return await asyncio.to_thread(func, *args)


class AsyncMailer:
    """Sends mail for a set of accounts through the installed plugins.

    :param accounts: :class:`Account` objects or dicts.
    :param lang: language of messages (default: from the environment).
    :param data_dir: where the outbox and tokens live (default: user data dir).
    :param outbox: storage plugin name (``"sqlite"``), ``None`` for none.
    :param outbox_path: path or URL given to the outbox plugin.
    :param secret_store: secret store plugin name (``"file"``, ``"keyring"``).
    :param disable_plugins: plugin names to block (else ``MAILPLUG_DISABLE_PLUGINS``).
    :param plugins: extra plugin objects the host registers itself.
    :param entry_points: load third-party plugins from entry points.
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
    ) -> None:
        self.config = config or Config()
        self.plugins = Plugins(disable=disable_plugins, plugins=plugins, entry_points=entry_points)
        self.translator = Translator(self.plugins.catalogs, lang=lang or self.config.lang)
        self.data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
        self.services = Services(
            translator=self.translator,
            classify=self.classify,
            emit=self.emit,
            data_dir=self.data_dir,
        )
        self._outbox_name = outbox if outbox is not None else None
        self._outbox_path = outbox_path
        self._outbox: Any = None
        self._secret_store_name = secret_store
        self._secrets_opened = False
        self._transports: dict[str, Transport] = {}
        self._authenticators: dict[str, Authenticator] = {}
        import asyncio  # lazily: keeps `import mailplug` cheap for sync hosts

        self._lock = asyncio.Lock()
        self.accounts: dict[str, Account] = {}
        for account in (*self.config.accounts, *accounts):
            self.add_account(account)

    # -- construction -------------------------------------------------------

    @classmethod
    def from_config(cls, path: Path | str | None = None, **kwargs: Any) -> AsyncMailer:
        """A mailer for the accounts in the accounts file (see :mod:`mailplug.config`)."""
        return cls(config=load_config(path), **kwargs)

    def add_account(self, account: Account | dict[str, Any]) -> Account:
        acc = account if isinstance(account, Account) else Account.model_validate(account)
        self.accounts[acc.name] = acc
        self._transports.pop(acc.name, None)
        self._authenticators.pop(acc.name, None)
        return acc

    # -- errors and languages ----------------------------------------------

    def localize(self, error: MailplugError) -> MailplugError:
        """Attach this mailer's catalogs so ``error.message("pl")`` uses them."""
        error.translator = self.translator
        return error

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
        recipient: str | None = None,
        account: Account | None = None,
    ) -> ErrorSpec:
        """The error spec for a server reply: plugins first, then the built-in table."""
        spec = self.plugins.pm.hook.mailplug_classify_reply(
            reply=reply, stage=stage, host=host, account=account
        )
        return spec if isinstance(spec, ErrorSpec) else keys.SERVER_UNKNOWN

    def explain(
        self, code: int | None, enhanced: str | None = None, text: str = "", *, stage: str = "data"
    ) -> MailplugError:
        """The error a server reply stands for (``mailplug explain``)."""
        reply = ServerReply(code=code, enhanced=enhanced, text=text)
        return self.localize(self.classify(reply, stage=stage).error(reply=reply))

    def emit(self, event: StatusEvent) -> None:
        """Report a status change to every ``mailplug_message_status`` implementation."""
        for impl in reversed(self.plugins.pm.hook.mailplug_message_status.get_hookimpls()):
            try:
                impl.function(event)
            except Exception:
                log.exception("status hook of plugin %s failed", impl.plugin_name)

    # -- accounts -----------------------------------------------------------

    def account(self, name: str) -> Account:
        try:
            return self.accounts[name]
        except KeyError:
            raise self.localize(keys.ACCOUNT_NOT_CONFIGURED.error(address=name)) from None

    def account_for(self, message: Message) -> Account:
        """The account that sends ``message``: by name, else by From address, else the default.

        :raises mailplug.errors.AccountNotConfiguredError: no matching account.
        """
        if message.account:
            return self.account(message.account)
        if message.sender is not None:
            wanted = message.sender.key().lower()
            for acc in self.accounts.values():
                if acc.email.key().lower() == wanted:
                    return acc
            raise self.localize(keys.ACCOUNT_NOT_CONFIGURED.error(address=message.sender.email))
        defaults = [a for a in self.accounts.values() if a.default] or list(self.accounts.values())
        if not defaults:
            raise self.localize(keys.ACCOUNT_NOT_CONFIGURED.error(address="—"))
        return defaults[0]

    async def secrets(self) -> SecretStore | None:
        """The secret store (tokens, passwords), opened on first use."""
        if not self._secrets_opened:
            self._secrets_opened = True
            name = self._secret_store_name
            if name is not None and name in self.plugins.secret_stores:
                self.services.secrets = self.plugins.secret_stores[name](services=self.services)
        return self.services.secrets

    async def authenticator(self, account: Account) -> Authenticator | None:
        if account.auth is None:
            return None
        found = self._authenticators.get(account.name)
        if found is None:
            factory = self.plugins.auth.get(account.auth)
            if factory is None:
                raise keys.AUTH_UNKNOWN.error(
                    name=account.auth, available=", ".join(sorted(self.plugins.auth)) or "—"
                )
            await self.secrets()
            found = self._authenticators[account.name] = factory(account, services=self.services)
        return found

    async def transport_for(self, account: Account) -> Transport:
        """The account's transport, built once and reused (connections stay open)."""
        async with self._lock:
            found = self._transports.get(account.name)
            if found is None:
                factory = self.plugins.transports.get(account.transport)
                if factory is None:
                    raise keys.TRANSPORT_UNKNOWN.error(
                        name=account.transport,
                        available=", ".join(sorted(self.plugins.transports)) or "—",
                    )
                auth = await self.authenticator(account)
                found = factory(account, auth=auth, services=self.services)
                found.name = found.name or account.transport
                self._transports[account.name] = found
            return found

    # -- sending now --------------------------------------------------------

    def compose(self, message: Message, account: Account | None = None) -> Composed:
        """Validate and compose ``message`` (reads attachments; raises before anything is sent)."""
        from .compose import compose

        try:
            return compose(message, account or self.account_for(message))
        except MailplugError as exc:
            raise self.localize(exc) from None

    async def send(self, message: Message) -> SendResult:
        """Send ``message`` now, bypassing the outbox.

        :returns: the result, listing accepted and refused recipients.
        :raises mailplug.errors.MailplugError: nothing was delivered.
        """
        async with self._errors():
            account = self.account_for(message)
            composed = await _to_thread(self.compose, message, account)
            transport = await self.transport_for(account)
            started = time.monotonic()
            result = await transport.send(composed.envelope, composed.data)
            result.duration = result.duration or time.monotonic() - started
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
        from .check import CheckOptions, check_account

        async with self._errors():
            return await check_account(self, name, rcpt=rcpt, options=CheckOptions(**options))

    # -- outbox -------------------------------------------------------------

    async def outbox(self) -> Outbox:
        """The outbox (opened on first use) — see :class:`mailplug.outbox.Outbox`."""
        if self._outbox is None:
            async with self._lock:
                if self._outbox is None:
                    name = self._outbox_name
                    factory = self.plugins.storage.get(name) if name else None
                    if factory is None:
                        raise self.localize(keys.OUTBOX_UNAVAILABLE.error(name=name or "—"))
                    path = self._outbox_path or self.config.outbox
                    opened = factory(path, services=self.services)
                    import inspect

                    if inspect.isawaitable(opened):
                        opened = await opened
                    opened.name = opened.name or name
                    self._outbox = opened
        outbox: Outbox = self._outbox
        return outbox

    @property
    def _new_mail(self) -> asyncio.Event:
        # Set by enqueue so a worker in this process wakes at once.
        import asyncio

        event: asyncio.Event | None = self.__dict__.get("_new_mail_event")
        if event is None:
            event = self.__dict__["_new_mail_event"] = asyncio.Event()
        return event

    async def enqueue(self, message: Message) -> str:
        """Compose ``message`` and store it in the outbox; returns its outbox id.

        Enqueueing a message whose Message-ID is already in the outbox returns
        the existing entry's id (enqueue is idempotent).
        """
        (entry_id,) = await self.enqueue_many([message])
        return entry_id

    async def enqueue_many(self, messages: Iterable[Message]) -> list[str]:
        """Compose and store many messages in one transaction (all or none)."""
        async with self._errors():
            items = list(messages)
            if not items:
                return []

            def compose_all() -> list[tuple[Message, Account, Composed]]:
                out = []
                for message in items:
                    account = self.account_for(message)
                    out.append((message, account, self.compose(message, account)))
                return out

            composed = await _to_thread(compose_all)
            outbox = await self.outbox()
            added = await outbox.add_many(composed)
            self._new_mail.set()
            return [a.id for a in added]

    async def flush(self, **kwargs: Any) -> FlushReport:
        """Send everything due in the outbox (see :func:`mailplug.dispatch.flush`)."""
        from .dispatch import flush

        async with self._errors():
            return await flush(self, **kwargs)

    async def work(self, *, stop: asyncio.Event | None = None, **kwargs: Any) -> FlushReport:
        """Send mail as it comes until ``stop`` is set (see :func:`mailplug.dispatch.work`)."""
        from .dispatch import work

        async with self._errors():
            return await work(self, stop=stop, wake=self._new_mail, **kwargs)

    def start_worker(self, **kwargs: Any) -> asyncio.Task[FlushReport]:
        """Run :meth:`work` in the background of the running loop; :meth:`stop_worker` ends it."""
        if self.__dict__.get("_worker") is not None and not self.__dict__["_worker"].done():
            worker: asyncio.Task[FlushReport] = self.__dict__["_worker"]
            return worker
        import asyncio

        stop = asyncio.Event()
        task = asyncio.create_task(self.work(stop=stop, **kwargs), name="mailplug-worker")
        self.__dict__["_worker"], self.__dict__["_worker_stop"] = task, stop
        return task

    async def stop_worker(self) -> FlushReport | None:
        """Stop the background worker: messages being sent finish, the rest stay queued."""
        task: asyncio.Task[FlushReport] | None = self.__dict__.pop("_worker", None)
        stop: asyncio.Event | None = self.__dict__.pop("_worker_stop", None)
        if task is None or stop is None:
            return None
        stop.set()
        return await task

    async def status(self, ref: str) -> OutboxEntry:
        """One outbox entry with its recipients and attempt history.

        :param ref: outbox id (or a unique prefix of it) or Message-ID.
        :raises mailplug.errors.FileError: ``outbox.not_found``.
        """
        from .outbox_keys import OUTBOX_NOT_FOUND

        async with self._errors():
            entry = await (await self.outbox()).get(ref)
            if entry is None:
                raise OUTBOX_NOT_FOUND.error(ref=ref)
            return entry

    async def counts(self, *, account: str | None = None) -> dict[str, int]:
        """Messages per status."""
        async with self._errors():
            counts: dict[str, int] = await (await self.outbox()).counts(account=account)
            return counts

    async def waiting(self, *, account: str | None = None) -> int:
        """How many messages wait to be sent (the host's "mail waiting" indicator)."""
        async with self._errors():
            return await (await self.outbox()).waiting(account=account)

    async def query(self, filter: Filter | None = None, **criteria: Any) -> list[OutboxEntry]:
        """Outbox entries: ``query(statuses=[Status.FAILED], recipient="jan@")``
        (keywords of :class:`mailplug.outbox.Filter`)."""
        from .outbox import Filter
        from .storage import Status

        flt = filter or Filter()
        if criteria:
            if "statuses" in criteria:
                criteria["statuses"] = tuple(Status(s) for s in criteria["statuses"])
            flt = flt.but(**criteria)
        async with self._errors():
            return await (await self.outbox()).query(flt)

    async def find_sent(
        self,
        text: str | None = None,
        *,
        recipient: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
    ) -> list[OutboxEntry]:
        """Mail sent earlier (fully or partly), newest first, by subject/From text,
        recipient and date."""
        from .storage import Status

        return await self.query(
            statuses=(Status.SENT, Status.PARTIAL),
            text=text,
            recipient=recipient,
            since=since,
            until=until,
            limit=limit,
        )

    async def retry(self, *refs: str) -> int:
        """Send these entries again as soon as possible; returns how many were requeued."""
        async with self._errors():
            outbox = await self.outbox()
            changes = await outbox.retry(list(refs), now=_utcnow())
            outbox.report(changes)
            if changes:
                self._new_mail.set()
            return len(changes)

    async def cancel(self, *refs: str) -> int:
        """Cancel waiting entries (not those being sent); returns how many."""
        async with self._errors():
            outbox = await self.outbox()
            changes = await outbox.cancel(list(refs), now=_utcnow())
            outbox.report(changes)
            return len(changes)

    async def resume_account(self, name: str) -> bool:
        """Lift the pause of an account (after fixing its password or settings)."""
        async with self._errors():
            resumed = await (await self.outbox()).resume_account(name)
            if resumed:
                self._new_mail.set()
            return resumed

    async def paused_accounts(self) -> dict[str, AccountPause]:
        """Accounts whose mail waits: paused (until fixed) or held (until a time)."""
        async with self._errors():
            now = _utcnow()
            pauses = await (await self.outbox()).paused_accounts()
            return {k: v for k, v in pauses.items() if v.active(now)}

    async def purge(
        self, *, older_than_days: float, statuses: Iterable[Status | str] = ("sent",)
    ) -> int:
        """Delete old entries (by default: sent mail) dated more than ``older_than_days`` ago."""
        from datetime import timedelta

        from .storage import Status

        async with self._errors():
            before = _utcnow() - timedelta(days=older_than_days)
            wanted = [Status(s) for s in statuses]
            return await (await self.outbox()).purge(before=before, statuses=wanted)

    def reason(self, error: ErrorInfo) -> MailplugError:
        """A stored error as an exception that renders localized message and advice."""
        return self.localize(error.error(self.plugins.errors))

    # -- lifetime -----------------------------------------------------------

    async def aclose(self) -> None:
        await self.stop_worker()  # a background worker finishes what is on the wire first
        transports, self._transports = list(self._transports.values()), {}
        for transport in transports:
            try:
                await transport.aclose()
            except Exception:
                log.exception("closing transport %s failed", transport.name)
        if self._outbox is not None:
            outbox, self._outbox = self._outbox, None
            await outbox.aclose()
        if self.services.secrets is not None:
            await self.services.secrets.aclose()

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
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._async = AsyncMailer(*args, **kwargs)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    @classmethod
    def from_config(cls, path: Path | str | None = None, **kwargs: Any) -> Mailer:
        return cls(config=load_config(path), **kwargs)

    @property
    def aio(self) -> AsyncMailer:
        """The underlying async mailer."""
        return self._async

    def __getattr__(self, name: str) -> Any:
        # Plain attributes (accounts, plugins, translator) come from the async mailer.
        return getattr(self._async, name)

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._start_lock:
            if self._loop is None:
                import asyncio

                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="mailplug-loop", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def _submit(self, factory: Callable[[], Awaitable[T]]) -> concurrent.futures.Future[T]:
        """Start ``factory()`` on the mailer's loop thread (refused inside a running loop)."""
        import asyncio

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

    def enqueue(self, message: Message) -> str:
        return self._run(lambda: self._async.enqueue(message))

    def enqueue_many(self, messages: Iterable[Message]) -> list[str]:
        return self._run(lambda: self._async.enqueue_many(messages))

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
        import asyncio

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

    def close(self) -> None:
        if self._loop is None:
            return
        try:
            self._run(self._async.aclose)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=10)
            self._loop.close()
            self._loop = self._thread = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
