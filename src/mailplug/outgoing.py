"""What a ``mailplug_before_send`` plugin sees and may change: :class:`Outgoing`.

The message as it will be stored or sent: the composed bytes and the
envelope, whichever way the host made it (``enqueue``, ``enqueue_raw``,
``send``).  A plugin adds headers (a tenant tag, ``List-Unsubscribe``),
rewrites the bytes (a footer, a signature), changes the envelope, or refuses
the message (:meth:`Outgoing.refuse`) — before anything is stored, so the
outbox holds exactly what goes on the wire.
"""

from __future__ import annotations

from dataclasses import replace
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import TYPE_CHECKING, NoReturn

from . import keys
from .body import Body, Data, as_bytes

if TYPE_CHECKING:
    from .models import Account
    from .transport import Envelope

__all__ = ["Outgoing"]


class Outgoing:
    """One message on its way to the outbox (or, for ``send``, to the transport).

    :ivar account: the account that will send it.
    :ivar envelope: ``MAIL FROM`` / ``RCPT TO`` and the Message-ID; replace it with
        :meth:`set_recipients` or :func:`dataclasses.replace`.
    :ivar body: the message as it is: bytes, or a :class:`~mailplug.body.Body` for
        a big one (read it in chunks; :meth:`header` and :meth:`add_header` never
        read it whole).
    """

    __slots__ = ("account", "body", "envelope")

    def __init__(self, account: Account, envelope: Envelope, data: Data) -> None:
        self.account = account
        self.envelope = envelope
        self.body: Data = data

    @property
    def data(self) -> bytes:
        """The message bytes, CRLF line endings (a big message is read whole: prefer
        :attr:`body`).  Assign bytes to replace the message."""
        return as_bytes(self.body)

    @data.setter
    def data(self, value: bytes) -> None:
        self.body = value

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (undecoded), or ``None``."""
        head = self.body.head() if isinstance(self.body, Body) else self.body
        value = BytesHeaderParser(policy=compat32).parsebytes(head).get(name)
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
        line = name.encode("ascii") + b": " + encoded + b"\r\n"
        if isinstance(self.body, Body):
            self.body = self.body.replace_head(0, line)
        else:
            self.body = line + self.body

    def set_recipients(self, recipients: tuple[str, ...]) -> None:
        """Change the envelope recipients (the headers stay as they are)."""
        if not recipients:
            raise keys.MESSAGE_NO_RECIPIENTS.error()
        self.envelope = replace(self.envelope, recipients=tuple(recipients))

    def refuse(self, reason: str) -> NoReturn:
        """Refuse the message: nothing is stored or sent; the caller gets
        ``message.refused`` naming ``reason`` (write it for the person who sent it)."""
        raise keys.MESSAGE_REFUSED.error(reason=reason)
