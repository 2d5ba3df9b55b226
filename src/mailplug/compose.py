"""Turning a :class:`~mailplug.models.Message` into the bytes that go on the wire.

Composition happens once (at send or enqueue); retries reuse the bytes, so
the Message-ID and Date never change between attempts.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING

from . import keys
from .transport import Envelope

if TYPE_CHECKING:
    from .models import Account, Attachment, Message

__all__ = ["Composed", "compose", "read_attachment"]


@dataclass(frozen=True, slots=True)
class Composed:
    envelope: Envelope
    data: bytes


def _locked(fd: int) -> bool:
    """Whether another process holds an exclusive lock on the open file."""
    try:
        import fcntl
    except ImportError:  # Windows: a locked file already failed to open
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        return exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES)
    fcntl.flock(fd, fcntl.LOCK_UN)
    return False


def read_file(path: Path) -> bytes:
    """Read a mail file whole, or raise the seed's ``file.problem`` naming it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise keys.FILE_PROBLEM.error(file=str(path), reason=exc.strerror, cause=exc) from exc
    try:
        if _locked(fd):
            raise keys.FILE_PROBLEM.error(file=str(path), reason="locked")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read()
    except OSError as exc:
        raise keys.FILE_PROBLEM.error(file=str(path), reason=exc.strerror, cause=exc) from exc
    finally:
        os.close(fd)


def read_attachment(attachment: Attachment) -> bytes:
    if attachment.content is not None:
        return attachment.content
    assert attachment.path is not None
    return read_file(attachment.path)


def compose(message: Message, account: Account, *, now: datetime | None = None) -> Composed:
    """Compose ``message`` as sent from ``account``.

    :raises mailplug.errors.MessageError: no recipients.
    :raises mailplug.errors.FileError: an attachment cannot be read.
    """
    message.check_sendable()
    sender = message.sender or account.from_address
    reply_to = message.reply_to or account.reply_to
    msg = EmailMessage()
    msg["From"] = str(sender)
    if message.to:
        msg["To"] = ", ".join(str(a) for a in message.to)
    if message.cc:
        msg["Cc"] = ", ".join(str(a) for a in message.cc)
    if reply_to:
        msg["Reply-To"] = ", ".join(str(a) for a in reply_to)
    msg["Subject"] = message.subject
    msg["Date"] = format_datetime(now or datetime.now().astimezone())
    msg["Message-ID"] = message.message_id
    if message.read_receipt:
        msg["Disposition-Notification-To"] = str(reply_to[0] if reply_to else sender)
    if message.priority != 3:
        msg["X-Priority"] = str(int(message.priority))
    for name, value in message.headers.items():
        msg[name] = value
    if message.text is not None or message.html is None:
        msg.set_content(message.text or "")
    if message.html is not None:
        if message.text is None:
            msg.set_content(message.html, subtype="html")
        else:
            msg.add_alternative(message.html, subtype="html")
    for att in message.attachments:
        maintype, _, subtype = att.mime_type.partition("/")
        msg.add_attachment(
            read_attachment(att),
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=att.name,
        )
    recipients = message.recipients
    envelope_from = account.envelope_sender or sender.email
    smtputf8 = sender.needs_smtputf8 or any(r.needs_smtputf8 for r in recipients)
    envelope = Envelope(
        sender=envelope_from,
        recipients=tuple(r.ascii_email for r in recipients),
        message_id=message.message_id,
        smtputf8=smtputf8,
    )
    return Composed(envelope, msg.as_bytes())
