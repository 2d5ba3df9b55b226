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

    from .auth import Authenticator
    from .compose import Composed
    from .transport import SendResult, Transport

__all__ = ["AsyncMailer", "Mailer"]

log = logging.getLogger("mailplug")
T = TypeVar("T")


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

    # -- outbox -------------------------------------------------------------

    async def outbox(self) -> Any:
        """The outbox (opened on first use) — see :class:`mailplug.outbox.Outbox`."""
        if self._outbox is None:
            name = self._outbox_name
            factory = self.plugins.storage.get(name) if name else None
            if factory is None:
                raise self.localize(keys.OUTBOX_UNAVAILABLE.error(name=name or "—"))
            path = self._outbox_path or self.config.outbox
            self._outbox = await factory(path, services=self.services)
        return self._outbox

    async def enqueue(self, message: Message) -> str:
        """Compose ``message`` and store it in the outbox; returns its outbox id."""
        async with self._errors():
            account = self.account_for(message)
            composed = await _to_thread(self.compose, message, account)
            outbox = await self.outbox()
            entry_id: str = await outbox.add(message, account, composed)
            return entry_id

    async def flush(self, **kwargs: Any) -> Any:
        """Send everything due in the outbox (see :func:`mailplug.dispatch.flush`)."""
        from .dispatch import flush

        async with self._errors():
            return await flush(self, **kwargs)

    async def status(self, entry_id: str) -> Any:
        """One outbox entry with its attempt history."""
        async with self._errors():
            return await (await self.outbox()).get(entry_id)

    async def counts(self) -> dict[str, int]:
        """Messages per status (the host's "mail waiting" indicator)."""
        async with self._errors():
            counts: dict[str, int] = await (await self.outbox()).counts()
            return counts

    # -- lifetime -----------------------------------------------------------

    async def aclose(self) -> None:
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

    def _run(self, factory: Callable[[], Awaitable[T]]) -> T:
        import asyncio

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise self._async.localize(keys.SYNC_IN_LOOP.error())

        async def call() -> T:
            return await factory()

        future = asyncio.run_coroutine_threadsafe(call(), self._ensure_loop())
        return future.result()

    def send(self, message: Message) -> SendResult:
        return self._run(lambda: self._async.send(message))

    def enqueue(self, message: Message) -> str:
        return self._run(lambda: self._async.enqueue(message))

    def flush(self, **kwargs: Any) -> Any:
        return self._run(lambda: self._async.flush(**kwargs))

    def status(self, entry_id: str) -> Any:
        return self._run(lambda: self._async.status(entry_id))

    def counts(self) -> dict[str, int]:
        return self._run(self._async.counts)

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
