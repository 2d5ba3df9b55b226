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
from typing import TYPE_CHECKING, Any, Protocol

from .errors import MailplugError

if TYPE_CHECKING:
    from .auth import Authenticator
    from .check import CheckOptions, CheckReport
    from .errors import ErrorSpec, ServerReply
    from .models import Account
    from .services import Services

__all__ = ["Envelope", "RecipientResult", "SendResult", "Transport", "TransportFactory"]


@dataclass(frozen=True, slots=True)
class Envelope:
    """Who the message is from and to on the wire (SMTP ``MAIL FROM``/``RCPT TO``)."""

    sender: str
    recipients: tuple[str, ...]
    message_id: str
    #: The message or an address needs the server's SMTPUTF8 extension.
    smtputf8: bool = False


@dataclass(frozen=True, slots=True)
class RecipientResult:
    """What the server said about one recipient."""

    address: str
    accepted: bool
    code: int | None = None
    enhanced: str | None = None
    text: str = ""
    #: Error key when refused (see the classification table).
    error_key: str | None = None
    transient: bool = False


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


class Transport(abc.ABC):
    """Delivers messages for one account.  Use as ``async with``.

    Implementations map every library or network error to a
    :class:`~mailplug.errors.MailplugError` at this boundary
    (``raise spec.error(...) from exc``).
    """

    #: Name the transport was registered under.
    name: str = ""

    @abc.abstractmethod
    async def send(self, envelope: Envelope, data: bytes) -> SendResult:
        """Deliver ``data`` (the composed message, CRLF line endings) to ``envelope``.

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

    async def check(
        self, *, rcpt: str | None = None, options: CheckOptions | None = None
    ) -> CheckReport | None:
        """Probe the account step by step without sending (``mailplug accounts test``).

        Each step (connect, greeting, TLS, login …) is recorded as passed,
        failed or skipped, with what was seen and, on failure, the error and
        the setting to change (see :mod:`mailplug.check`).

        :param rcpt: a test recipient: try ``MAIL FROM``/``RCPT TO``, then ``RSET``.
        :param options: timeouts, other ports to try, presets.
        :returns: the report, or ``None`` when this transport cannot be probed.
        """
        return None

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


class TransportFactory(Protocol):
    """Builds a transport for ``account``; validates ``account.settings`` first.

    Raises ``account.invalid_settings`` naming the wrong field.
    """

    def __call__(
        self, account: Account, *, auth: Authenticator | None, services: Services
    ) -> Transport: ...


class Classifier(Protocol):
    def __call__(
        self,
        reply: ServerReply,
        *,
        stage: str,
        host: str | None = None,
        recipient: str | None = None,
    ) -> ErrorSpec: ...


def raise_for(spec: ErrorSpec, **kwargs: Any) -> MailplugError:
    """Shorthand kept for plugin authors: ``raise raise_for(SPEC, reply=...)``."""
    return spec.error(**kwargs)
