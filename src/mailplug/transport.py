"""What a transport is: an async object that delivers composed bytes to an envelope.

A transport plugin registers a factory through
:func:`~mailplug.hookspecs.mailplug_register_transports`; the mailer builds
one transport per account and reuses it across a batch.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncGenerator, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, cast

from .body import Body, Data
from .errors import Category, ErrorSpec, MailplugError, RecipientError, ServerReply

if TYPE_CHECKING:
    from .auth import Authenticator
    from .models import Account
    from .services import Services

__all__ = [
    "RECIPIENTS_REFUSED",
    "Envelope",
    "RecipientResult",
    "RecipientsRefusedError",
    "SendLimits",
    "SendResult",
    "Transport",
    "TransportFactory",
    "payload_for",
]


@dataclass(frozen=True, slots=True)
class Envelope:
    """Who the message is from and to on the wire (SMTP ``MAIL FROM``/``RCPT TO``)."""

    sender: str
    recipients: tuple[str, ...]
    message_id: str
    #: The message or an address needs the server's SMTPUTF8 extension.
    smtputf8: bool = False


@dataclass(slots=True)
class RecipientResult:
    """What the server said about one recipient: the facts, and their meaning.

    A transport reports the facts (accepted or not, the reply, the SMTP stage);
    the core classifies a refusal once and fills in :attr:`error`, the error
    spec that the retry policy acts on and that renders the sentence.
    """

    address: str
    accepted: bool
    code: int | None = None
    enhanced: str | None = None
    text: str = ""
    #: The step that got the reply (``rcpt`` for RCPT TO).
    stage: str = "rcpt"
    #: The meaning of a refusal, decided by the core (``None`` until classified).
    error: ErrorSpec | None = None

    @property
    def reply(self) -> ServerReply:
        return ServerReply(self.code, self.enhanced, self.text)

    @property
    def error_key(self) -> str | None:
        return self.error.key if self.error is not None else None

    @property
    def transient(self) -> bool:
        return self.error.transient if self.error is not None else False


@dataclass(slots=True)
class SendResult:
    """The outcome of one delivery attempt that reached the end of DATA.

    A refused recipient does not raise: it is listed in :attr:`refused`, and
    :attr:`partial` tells that others did get the message.  When every
    recipient is refused the transport raises instead.
    """

    message_id: str
    recipients: list[RecipientResult] = field(default_factory=list)
    host: str | None = None
    reply: ServerReply | None = None
    duration: float = 0.0
    transport: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def accepted(self) -> list[RecipientResult]:
        return [r for r in self.recipients if r.accepted]

    @property
    def refused(self) -> list[RecipientResult]:
        return [r for r in self.recipients if not r.accepted]

    @property
    def partial(self) -> bool:
        return bool(self.accepted) and bool(self.refused)

    @property
    def ok(self) -> bool:
        return bool(self.accepted) and not self.refused


class RecipientsRefusedError(RecipientError):
    """Every recipient was refused, each with its own reply (nothing was delivered).

    A transport raises it with :attr:`results` holding the facts; the core
    classifies every refusal (``results[i].error``) and raises it again with the
    spec of the refusal that decides (a permanent one first), so a full
    mailbox can be retried while an unknown user fails.
    """

    def __init__(
        self,
        spec: ErrorSpec,
        *,
        results: list[RecipientResult] | None = None,
        reply: ServerReply | None = None,
        recipient: str | None = None,
        host: str | None = None,
        **params: Any,
    ) -> None:
        super().__init__(spec, reply=reply, recipient=recipient, host=host, **params)
        self.results: list[RecipientResult] = list(results or [])

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_refused, (self.spec, self.results, self.reply, self.host, self.params))


def _rebuild_refused(
    spec: ErrorSpec,
    results: list[RecipientResult],
    reply: ServerReply | None,
    host: str | None,
    params: dict[str, Any],
) -> RecipientsRefusedError:
    return RecipientsRefusedError(spec, results=results, reply=reply, host=host, **params)


#: What a transport raises (with :attr:`RecipientsRefusedError.results`) before the core
#: has classified the refusals; the core replaces it with the deciding refusal's spec.
RECIPIENTS_REFUSED = ErrorSpec(
    "delivery.recipients_refused",
    Category.RECIPIENT,
    False,
    "The server refused every recipient of the message.",
    "Check the recipients' addresses; the server's reply for each one is shown above.",
    exception=RecipientsRefusedError,
)


@dataclass(frozen=True, slots=True)
class SendLimits:
    """An account's sending limits (``rate_limit_per_minute``, ``rate_limit_burst``,
    ``daily_limit`` of its transport), enforced by :meth:`mailplug.outbox.Outbox.take_send_slot`.

    :ivar per_minute: at most this many messages a minute (``None``: no limit),
        ``burst`` of them back to back before spacing begins.
    :ivar per_day: at most this many messages a day (``None``: no limit); the day
        ends at the ``day_end`` the first worker of the day gives.
    """

    per_minute: float | None = None
    burst: int = 1
    per_day: int | None = None

    def __bool__(self) -> bool:
        return bool(self.per_minute) or self.per_day is not None


class Transport(abc.ABC):
    """Delivers messages for one account.  Use as ``async with``.

    Implementations map every library or network error to a
    :class:`~mailplug.errors.MailplugError` at this boundary
    (``raise spec.error(...) from exc``).
    """

    #: Name the transport was registered under.
    name: str = ""
    #: Whether :meth:`send` and :meth:`send_many` take a big message as a
    #: :class:`~mailplug.body.Body` (and send it in chunks); otherwise the core reads
    #: it whole and hands over bytes.
    streams_bodies: bool = False

    @abc.abstractmethod
    async def send(self, envelope: Envelope, data: bytes) -> SendResult:
        """Deliver ``data`` (the composed message, CRLF line endings) to ``envelope``.

        ``data`` is a :class:`~mailplug.body.Body` for a big message when the
        transport :attr:`streams_bodies`.

        :raises mailplug.errors.MailplugError: when nothing was delivered.
        """

    async def send_many(
        self, messages: Iterable[tuple[Envelope, bytes]]
    ) -> AsyncGenerator[SendResult | MailplugError, None]:
        """Deliver messages one after another; yield each one's outcome, in order.

        ``messages`` is consumed lazily: the transport takes the next message
        only when it is ready to start it (an SMTP transport may start it while
        the previous one ends), so the caller can stop feeding at any time.
        Every message taken gets exactly one outcome: a :class:`SendResult`,
        or the :class:`~mailplug.errors.MailplugError` :meth:`send` would have
        raised.  The default sends them one by one with :meth:`send`.
        """
        for envelope, data in messages:
            try:
                result = await self.send(envelope, data)
            except MailplugError as error:
                yield error
            else:
                yield result

    def send_limits(self) -> SendLimits | None:
        """The account's sending limits the outbox must keep across every worker
        (messages a minute, a day), or ``None``: none.

        The flush engine takes a slot of the outbox
        (:meth:`mailplug.outbox.Outbox.take_send_slot`) before each message of
        a limited account, so the limits hold however many worker processes
        share the outbox.  A transport may still space its own messages (for
        sends that bypass the outbox); the shared slots never make it wait.
        """
        return None

    async def close_idle(self) -> None:  # noqa: B027 - optional for stateless transports
        """Close connections kept open for reuse (those in use stay open).

        Called when a worker hands the account's connection slot to a worker
        in another process (see :meth:`mailplug.outbox.Outbox.take_connection`),
        so open connections never outnumber the slots held.  The transport
        stays usable.
        """

    async def aclose(self) -> None:  # noqa: B027 - optional for stateless transports
        """Close connections; called once when the mailer is done with the transport."""

    async def __aenter__(self) -> Transport:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def payload_for(transport: Transport, data: Data, message_id: str = "") -> bytes:
    """``data`` as ``transport`` takes it: a :class:`~mailplug.body.Body` as it is when
    the transport :attr:`~Transport.streams_bodies` (its ``send`` declares
    ``bytes | Body``), else the bytes.

    :raises mailplug.errors.FileError: ``storage.body_missing`` (its file cannot be read).
    """
    if isinstance(data, Body) and not transport.streams_bodies:
        try:
            return data.read()
        except OSError as exc:
            from .outbox_keys import STORAGE_BODY_MISSING

            raise STORAGE_BODY_MISSING.error(
                id=message_id, file=str(data.path), problem=exc.strerror or str(exc), cause=exc
            ) from exc
    return cast("bytes", data)


class TransportFactory(Protocol):
    """Builds a transport for ``account``; validates ``account.settings`` first.

    Raises ``account.invalid_settings`` naming the wrong field.
    """

    def __call__(
        self, account: Account, *, auth: Authenticator | None, services: Services
    ) -> Transport: ...
