"""The runtime: what the engines (flush, check, import) work with, instead of the facade.

One :class:`Runtime` per mailer holds the plugins, the translator, the
accounts, the services handed to plugin objects, the transports and
authenticators built so far (connections stay open across sends) and the
outbox once opened.  :class:`~mailplug.mailer.AsyncMailer` keeps the host's
verbs and delegates here; :mod:`mailplug.dispatch`, :mod:`mailplug.checking`
and :mod:`mailplug.importing` take a runtime and never see the facade.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import forking, keys
from .config import Config
from .errors import ErrorInfo, ErrorSpec, MailplugError, ServerReply
from .i18n import Translator
from .models import Account, Address, Message
from .plugins import Plugins
from .services import SecretStore, Services
from .transport import RecipientResult, RecipientsRefusedError

if TYPE_CHECKING:
    from .auth import Authenticator
    from .compose import Composed
    from .events import StatusEvent
    from .outbox import Outbox
    from .reports import Report
    from .retry import RetryPolicy
    from .transport import Transport

#: Largest message accepted by default: what large providers take (Gmail, Microsoft
#: 365: about 25 MB of attachments, 35 MB once encoded).
DEFAULT_MAX_MESSAGE_SIZE = 35_000_000

__all__ = ["Runtime", "StatusListener"]

log = logging.getLogger("mailplug")

StatusListener = Callable[["StatusEvent"], Any]


def storage_name(name: str | None, location: object, storages: Mapping[str, object]) -> str | None:
    """The storage plugin for an outbox: the one whose name is the address's scheme.

    ``outbox_path="postgresql://…"`` selects the plugin registered as
    ``postgresql`` without the host naming it; a path (or a scheme no plugin
    registered) keeps ``name``.  ``name=None`` (no outbox) stays ``None``.

    :param name: the storage the host named (``"sqlite"`` by default).
    :param location: the ``outbox_path`` (or the accounts file's ``outbox``).
    :param storages: the registered storage factories by name.
    """
    if name is None or not isinstance(location, str) or "://" not in location:
        return name
    scheme = location.split("://", 1)[0].lower()
    return scheme if scheme in storages else name


class Runtime:
    """Plugins, translator, accounts, services and the objects built from them.

    :param config: the accounts file (its accounts and ``[retry]`` table).
    :param plugins: the plugin facade (built by the caller's factory).
    :param translator: catalogs of every installed language.
    :param data_dir: where plugins keep files.
    :param outbox: storage plugin name; ``None`` for none.
    :param outbox_path: path or URL given to the outbox plugin.
    :param secret_store: secret store plugin name.
    """

    def __init__(
        self,
        *,
        config: Config,
        plugins: Plugins,
        translator: Translator,
        data_dir: Path,
        outbox: str | None,
        outbox_path: Path | str | None,
        secret_store: str | None,
        max_message_size: int | None = DEFAULT_MAX_MESSAGE_SIZE,
    ) -> None:
        self.config = config
        #: Largest composed message accepted (bytes; ``None``: no limit of ours).
        self.max_message_size = max_message_size
        self.plugins = plugins
        self.translator = translator
        self.data_dir = data_dir
        self.services = Services(
            translator=translator, classify=self.classify, emit=self.emit, data_dir=data_dir
        )
        self.accounts: dict[str, Account] = {}
        #: Called with every status event, besides the ``mailplug_message_status`` hook.
        self.listeners: list[StatusListener] = []
        if outbox is not None and "://" in outbox:
            # outbox="postgresql://…" is an address: its scheme picks the storage.
            outbox_path = outbox_path or outbox
            outbox = "sqlite"
        self._outbox_name = outbox
        self._outbox_path = outbox_path
        self._outbox: Outbox | None = None
        self._secret_store_name = secret_store
        self._secrets_opened = False
        self._transports: dict[str, Transport] = {}
        self._authenticators: dict[str, Authenticator] = {}
        self._lock: asyncio.Lock | None = None
        self._new_mail: asyncio.Event | None = None
        forking.register(self)

    # -- accounts ---------------------------------------------------------------

    def add_account(self, account: Account | dict[str, Any]) -> Account:
        acc = account if isinstance(account, Account) else Account.model_validate(account)
        self.accounts[acc.name] = acc
        self._transports.pop(acc.name, None)
        self._authenticators.pop(acc.name, None)
        return acc

    def account(self, name: str) -> Account:
        try:
            return self.accounts[name]
        except KeyError:
            raise self.localize(keys.ACCOUNT_NOT_CONFIGURED.error(address=name)) from None

    def account_for(self, message: Message) -> Account:
        """The account that sends ``message``: by name, else by From address, else the default.

        :raises mailplug.errors.AccountNotConfiguredError: no matching account.
        """
        return self.account_by(message.account, message.sender)

    def account_by(self, name: str | None, sender: Address | None) -> Account:
        """The account named ``name``, else the one whose address is ``sender``, else
        the default (see :meth:`account_for`)."""
        if name:
            return self.account(name)
        if sender is not None:
            wanted = sender.key().lower()
            for acc in self.accounts.values():
                if acc.email.key().lower() == wanted:
                    return acc
            raise self.localize(keys.ACCOUNT_NOT_CONFIGURED.error(address=sender.email))
        defaults = [a for a in self.accounts.values() if a.default] or list(self.accounts.values())
        if not defaults:
            from .config import default_config_path

            where = self.config.path or default_config_path()
            raise self.localize(keys.ACCOUNT_NONE.error(file=str(where)))
        return defaults[0]

    # -- errors and languages ---------------------------------------------------

    def localize(self, error: MailplugError) -> MailplugError:
        """Attach this runtime's catalogs so ``error.message("pl")`` uses them."""
        error.translator = self.translator
        return error

    def classify(
        self,
        reply: ServerReply,
        *,
        stage: str = "data",
        host: str | None = None,
        account: Account | None = None,
    ) -> ErrorSpec:
        """The error spec for a server reply (``mailplug_classify_reply``)."""
        return self.plugins.classify(reply, stage=stage, host=host, account=account)

    def parse_report(self, raw: bytes, *, account: Account | None = None) -> Report:
        """What a message from the inbox says about mail we sent (parsed and classified).

        Each failed or delayed recipient is classified like a live refusal of
        ``RCPT TO`` (:meth:`classify`), so a bounce gives the same key, sentence
        and advice as the server's immediate answer would have.
        """
        from .reports import parse_report

        return parse_report(
            raw,
            list(self.plugins.report_parsers.values()),
            lambda reply: self.classify(reply, stage="rcpt", account=account),
        )

    def classify_refusals(
        self, results: Iterable[RecipientResult], *, host: str | None, account: Account | None
    ) -> None:
        """Decide the meaning of every refused recipient, once (fills ``result.error``)."""
        for result in results:
            if not result.accepted and result.error is None:
                result.error = self.classify(
                    result.reply, stage=result.stage, host=host, account=account
                )

    def refused_error(
        self, error: RecipientsRefusedError, *, account: Account | None
    ) -> RecipientsRefusedError:
        """``error`` with every refusal classified and the deciding refusal's spec.

        The deciding refusal is the first permanent one (the message cannot reach
        that recipient), else the first.
        """
        self.classify_refusals(error.results, host=error.host, account=account)
        refused = [r for r in error.results if not r.accepted]
        if not refused:
            return error
        chosen = next((r for r in refused if not r.transient), refused[0])
        assert chosen.error is not None
        decided = RecipientsRefusedError(
            chosen.error,
            results=error.results,
            reply=chosen.reply,
            recipient=chosen.address,
            host=error.host,
            **{k: v for k, v in error.params.items() if k != "recipient"},
        )
        decided.__cause__ = error.__cause__
        decided.translator = error.translator
        return decided

    def reason(self, error: ErrorInfo) -> MailplugError:
        """A stored error as an exception that renders localized message and advice."""
        return self.localize(error.error(self.plugins.errors))

    # -- events -------------------------------------------------------------------

    def emit(self, event: StatusEvent) -> None:
        """Hand a status event to the hook's listeners and to the ``on_status`` callbacks."""
        self.plugins.emit(event)
        for listener in self.listeners:
            try:
                listener(event)
            except Exception:
                log.exception("status listener %r failed", listener)

    @property
    def new_mail(self) -> asyncio.Event:
        """Set when mail was queued or made due in this process (wakes a worker at once)."""
        if self._new_mail is None:
            self._new_mail = asyncio.Event()
        return self._new_mail

    # -- objects built from plugins -----------------------------------------------

    @property
    def lock(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

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
        async with self.lock:
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

    async def outbox(self) -> Outbox:
        """The outbox (opened on first use) — see :class:`mailplug.outbox.Outbox`."""
        if self._outbox is None:
            async with self.lock:
                if self._outbox is None:
                    path = self._outbox_path or self.config.outbox
                    name = storage_name(self._outbox_name, path, self.plugins.storage)
                    factory = self.plugins.storage.get(name) if name else None
                    if factory is None:
                        raise self.localize(keys.OUTBOX_UNAVAILABLE.error(name=name or "—"))
                    opened = factory(path, services=self.services)
                    if inspect.isawaitable(opened):
                        opened = await opened
                    opened.name = opened.name or name
                    self._outbox = opened
        assert self._outbox is not None
        return self._outbox

    def compose(self, message: Message, account: Account | None = None) -> Composed:
        """Validate and compose ``message`` (reads attachments; raises before anything is sent)."""
        from .body import Body, size_of
        from .compose import attachments_size, compose

        try:
            # Attachments alone over the limit are refused before they are read.
            self._check_size(attachments_size(message) * 4 // 3)
            composed = compose(message, account or self.account_for(message))
            try:
                self._check_size(size_of(composed.data))
            except MailplugError:
                if isinstance(composed.data, Body):
                    composed.data.discard()
                raise
            return composed
        except MailplugError as exc:
            raise self.localize(exc) from None

    def before_send(self, composed: Composed, account: Account) -> Composed:
        """``composed`` after the ``mailplug_before_send`` plugins (changed or refused)."""
        from .compose import Composed
        from .outgoing import Outgoing

        outgoing = Outgoing(account=account, envelope=composed.envelope, data=composed.data)
        try:
            self.plugins.before_send(outgoing)
        except MailplugError as exc:
            raise self.localize(exc) from exc.__cause__
        if outgoing.envelope is composed.envelope and outgoing.body is composed.data:
            return composed
        return Composed(outgoing.envelope, outgoing.body)

    def _check_size(self, size: int) -> None:
        limit = self.max_message_size
        if limit is not None and size > limit:
            # Sizes in bytes: shown through babel in the reader's language ("33,4 MB").
            raise keys.MESSAGE_TOO_BIG_FOR_OUTBOX.error(size=size, limit=limit)

    def retry_policy(self, policy: RetryPolicy | None = None) -> RetryPolicy:
        """``policy``, else the accounts file's ``[retry]`` table."""
        from .retry import RetryPolicy

        if policy is not None:
            return policy
        data = self.config.data.get("retry") if self.config.data else None
        return RetryPolicy.from_config(data if isinstance(data, dict) else None)

    # -- lifetime -------------------------------------------------------------------

    def _after_fork_in_child(self) -> None:
        """Drop what belongs to the parent: the outbox connection and its thread,
        pooled connections, the secret store, and loop-bound locks (see
        :mod:`mailplug.forking`).  Each is opened again on first use."""
        forking.abandon(
            self._outbox,
            self.services.secrets,
            *self._transports.values(),
            *self._authenticators.values(),
            self._lock,
            self._new_mail,
        )
        self._outbox = None
        self.services.secrets = None
        self._secrets_opened = False
        self._transports = {}
        self._authenticators = {}
        self._lock = None
        self._new_mail = None

    async def aclose(self) -> None:
        """Close connections, the outbox and the secret store; safe to call twice.

        Each is closed even when closing another failed (the failure is logged).
        """
        transports, self._transports = list(self._transports.values()), {}
        for transport in transports:
            try:
                await transport.aclose()
            except Exception:
                log.exception("closing transport %s failed", transport.name)
        if self._outbox is not None:
            outbox, self._outbox = self._outbox, None
            try:
                await outbox.aclose()
            except Exception:
                log.exception("closing the outbox failed")
        if self.services.secrets is not None:
            secrets, self.services.secrets = self.services.secrets, None
            self._secrets_opened = False
            await secrets.aclose()
