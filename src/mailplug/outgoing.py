"""What a ``mailplug_before_send`` plugin sees and may change: :class:`Outgoing`.

The message as it will be stored or sent: the composed bytes and the
envelope, whichever way the host made it (``enqueue``, ``enqueue_raw``,
``send``).  A plugin adds headers (a tenant tag, ``List-Unsubscribe``),
rewrites the bytes (a footer, a signature), changes the envelope, or refuses
the message (:meth:`Outgoing.refuse`) — before anything is stored, so the
outbox holds exactly what goes on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import TYPE_CHECKING, NoReturn

from . import keys

if TYPE_CHECKING:
    from .models import Account
    from .transport import Envelope

__all__ = ["Outgoing"]


@dataclass(slots=True)
class Outgoing:
    """One message on its way to the outbox (or, for ``send``, to the transport).

    :ivar account: the account that will send it.
    :ivar envelope: ``MAIL FROM`` / ``RCPT TO`` and the Message-ID; replace it with
        :meth:`set_recipients` or :func:`dataclasses.replace`.
    :ivar data: the message bytes, CRLF line endings.
    """

    account: Account
    envelope: Envelope
    data: bytes

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (undecoded), or ``None``."""
        value = BytesHeaderParser(policy=compat32).parsebytes(self.data).get(name)
        return str(value) if value is not None else None

    def add_header(self, name: str, value: str) -> None:
        """Put ``Name: value`` at the top of the headers.

        :raises mailplug.errors.MessageError: ``message.header_injection`` (a line
            break in the value) or ``message.invalid`` (a bad name).
        """
        if any(c in value for c in "\r\n") or any(c in name for c in "\r\n"):
            raise keys.MESSAGE_HEADER_INJECTION.error(field=name)
        if not name or not name.isascii() or ":" in name or " " in name:
            raise keys.MESSAGE_INVALID.error(field="header", problem=f"bad header name {name!r}")
        encoded = value.encode("utf-8" if self.envelope.smtputf8 else "ascii", "strict")
        self.data = name.encode("ascii") + b": " + encoded + b"\r\n" + self.data

    def set_recipients(self, recipients: tuple[str, ...]) -> None:
        """Change the envelope recipients (the headers stay as they are)."""
        if not recipients:
            raise keys.MESSAGE_NO_RECIPIENTS.error()
        self.envelope = replace(self.envelope, recipients=tuple(recipients))

    def refuse(self, reason: str) -> NoReturn:
        """Refuse the message: nothing is stored or sent; the caller gets
        ``message.refused`` naming ``reason`` (write it for the person who sent it)."""
        raise keys.MESSAGE_REFUSED.error(reason=reason)
