"""An already-composed message (bytes + envelope) made ready for the outbox.

Frameworks render their own MIME (Django's ``EmailMessage.message()``, a
templating system, a message kept from elsewhere).  An adapter hands the bytes
and the envelope to :meth:`mailplug.AsyncMailer.enqueue_raw` instead of
translating the message field by field; this module checks them the way
:func:`mailplug.compose.compose` checks a :class:`~mailplug.models.Message`:

- the envelope addresses are parsed like any address (no line breaks, a valid
  domain); at least one recipient;
- line endings become CRLF (what SMTP sends), a bare CR is refused;
- the header block is well formed (``Name: value`` lines, folded lines start
  with white space), with one ``From``;
- the Message-ID is the one in the bytes; a message without one gets one
  (added as a header), as does one without ``Date``.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.policy import compat32

from . import keys
from .compose import Composed, format_date
from .models import Address
from .transport import Envelope

__all__ = ["RawMessage", "prepare_raw"]

_HEADER_LINE = re.compile(rb"^[!-9;-~]+[ \t]*:")  # a field name: printable ASCII but ':'
_LINE_END = re.compile(rb"\r\n|\n")


@dataclass(frozen=True, slots=True)
class RawMessage:
    """Checked bytes with their envelope, and what outbox lists show."""

    composed: Composed
    subject: str
    sender: str
    to: tuple[str, ...]


def _invalid(field: str, problem: str) -> Exception:
    return keys.MESSAGE_INVALID.error(field=field, problem=problem)


def _split(data: bytes) -> tuple[list[bytes], bytes]:
    """Header lines and the body, line endings made CRLF."""
    if b"\r" in data.replace(b"\r\n", b""):
        raise _invalid("data", "a carriage return not followed by a line feed")
    lines = _LINE_END.split(data)
    try:
        end = lines.index(b"")
    except ValueError:
        raise _invalid("data", "no empty line between the headers and the body") from None
    headers, body = lines[:end], lines[end + 1 :]
    return headers, b"\r\n".join(body)


def _check_headers(headers: list[bytes]) -> None:
    if not headers:
        raise _invalid("headers", "the message has no headers")
    for i, line in enumerate(headers):
        if line[:1] in (b" ", b"\t"):
            if i == 0:
                raise _invalid("headers", "the first header line is a continuation")
            continue
        if not _HEADER_LINE.match(line):
            shown = line[:40].decode("ascii", "replace")
            raise _invalid("headers", f"not a header line: {shown!r}")


def _text(value: str | None) -> str:
    if not value:
        return ""
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError):
        return value


def prepare_raw(data: bytes, *, sender: str, recipients: Sequence[str], domain: str) -> RawMessage:
    """Check ``data`` and build its envelope.

    :param sender: the envelope sender (``MAIL FROM``).
    :param recipients: every envelope recipient (To, Cc and Bcc alike).
    :param domain: the domain of a Message-ID added to a message without one.
    :raises mailplug.errors.MessageError: ``message.invalid``, ``message.no_recipients``,
        ``message.invalid_address``, ``message.header_injection``.
    """
    if not isinstance(data, bytes | bytearray):
        raise _invalid("data", f"bytes expected, not {type(data).__name__}")
    envelope_from = Address.parse(sender, field="sender")
    to = [Address.parse(r, field="recipients") for r in recipients]
    if not to:
        raise keys.MESSAGE_NO_RECIPIENTS.error()
    headers, body = _split(bytes(data))
    _check_headers(headers)
    parsed = BytesHeaderParser(policy=compat32).parsebytes(b"\r\n".join(headers) + b"\r\n\r\n")
    if len(parsed.get_all("From") or []) != 1:
        raise _invalid("From", "the message needs exactly one From header")
    added: list[bytes] = []
    message_id = (parsed.get("Message-ID") or "").strip()
    if not message_id:
        message_id = email.utils.make_msgid(domain=domain)
        added.append(f"Message-ID: {message_id}".encode("ascii"))
    elif not (message_id.startswith("<") and message_id.endswith(">") and "@" in message_id):
        raise _invalid("Message-ID", f"not a message identifier: {message_id[:80]}")
    if parsed.get("Date") is None:
        added.append(f"Date: {format_date(email.utils.localtime())}".encode("ascii"))
    smtputf8 = (
        envelope_from.needs_smtputf8
        or any(a.needs_smtputf8 for a in to)
        or any(not line.isascii() for line in headers)
    )

    def wire(a: Address) -> str:
        return a.email if smtputf8 else a.ascii_email

    envelope = Envelope(
        sender=wire(envelope_from),
        recipients=tuple(dict.fromkeys(wire(a) for a in to)),
        message_id=message_id,
        smtputf8=smtputf8,
    )
    shown_to = [
        *(parsed.get_all("To") or []),
        *(parsed.get_all("Cc") or []),
    ]
    return RawMessage(
        composed=Composed(envelope, b"\r\n".join([*added, *headers, b""]) + b"\r\n" + body),
        subject=_text(parsed.get("Subject")),
        sender=_text(parsed.get("From")),
        to=tuple(_text(t) for t in shown_to) or envelope.recipients,
    )
