"""Delivery reports: what a bounce, a read receipt or an auto-reply says about mail we sent.

A *report* is a message that arrives in the account's inbox because of a
message we sent: a delivery status notification (RFC 3464, or the plain-text
bounce of an MTA that predates it), a message disposition notification
(RFC 8098 read receipt), an automatic reply (RFC 3834: *not* a bounce), a
feedback report (RFC 5965) — or none of those.

Parsers are plugins (:func:`~mailplug.hookspecs.mailplug_register_report_parsers`):
each gets the parsed message and returns a :class:`Report` or ``None`` (not
mine).  The core runs them in pluggy's order and then decides the meaning of
every failed recipient **once**, with the same classifier as a live SMTP
refusal (:meth:`mailplug.runtime.Runtime.classify`, stage ``rcpt``), so the
user reads the same sentence and advice as when the server refused at once.

Parsing never raises on hostile input: a parser that fails is logged and the
next one is tried; a message nobody recognises is ``kind="none"``.
"""

from __future__ import annotations

import email
import email.policy
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message as EmailMessage
from typing import Any, Literal, Protocol

from .errors import ErrorSpec, ServerReply

__all__ = [
    "ACTIONS",
    "MAX_REPORT_BYTES",
    "Disposition",
    "Report",
    "ReportKind",
    "ReportParser",
    "ReportRecipient",
    "classify_report",
    "parse_report",
    "read_message",
]

log = logging.getLogger("mailplug.reports")

ReportKind = Literal["dsn", "mdn", "autoreply", "feedback", "none"]
Disposition = Literal["displayed", "deleted", "processed", "dispatched", "denied", "failed"]

#: RFC 3464 actions, normalised (Sendmail's "relayed (to non-DSN-aware mailer)" is "relayed").
ACTIONS = ("failed", "delayed", "delivered", "relayed", "expanded")

#: A report larger than this is cut before parsing: the part that matters (the
#: notification and the returned headers) comes first, and a 50 MB returned
#: attachment must not cost 50 MB of parsing.
MAX_REPORT_BYTES = 2_000_000


@dataclass
class ReportRecipient:
    """One recipient a delivery report speaks about.

    :ivar address: the final recipient (``jan@example.pl``).
    :ivar action: one of :data:`ACTIONS`.
    :ivar status: the enhanced status code (``5.1.1``): the one inside the remote
        reply when there is one, else the report's ``Status:``, else ``None``.
    :ivar remote_code: the remote server's SMTP reply code (``550``), ``None``
        when no server replied (timeouts, DNS failures, local errors).
    :ivar diagnostic: the reply text without its codes, or the reason the
        reporting system wrote; ``None`` when the report gives none.
    :ivar reporting_mta: the server that wrote the report, when it says.
    :ivar error: what the failure means, decided by the core's classifier
        (``None`` for successful deliveries and before classification).
    """

    address: str
    action: str = "failed"
    status: str | None = None
    remote_code: int | None = None
    diagnostic: str | None = None
    reporting_mta: str | None = None
    error: ErrorSpec | None = None

    @property
    def failed(self) -> bool:
        return self.action in ("failed", "delayed")

    @property
    def reply(self) -> ServerReply:
        """The facts as a server reply, for the classifier and for the stored error."""
        return ServerReply(code=self.remote_code, enhanced=self.status, text=self.diagnostic or "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "action": self.action,
            "status": self.status,
            "remote_code": self.remote_code,
            "diagnostic": self.diagnostic,
            "reporting_mta": self.reporting_mta,
            "key": self.error.key if self.error else None,
            "category": self.error.category if self.error else None,
            "transient": self.error.transient if self.error else None,
        }


@dataclass
class Report:
    """What one message in the inbox says about mail we sent.

    :ivar kind: ``dsn`` (bounces and delay warnings, standard or not), ``mdn``
        (read receipts), ``autoreply``, ``feedback`` or ``none``.
    :ivar format: the family that recognised it (``rfc3464``, ``text``, ``rfc8098`` …).
    :ivar original_message_id: the Message-ID (with ``<>``) of the message the
        report is about, when the report says.
    :ivar reporting_mta: the server that wrote the report, when it says.
    :ivar recipients: one entry per reported recipient (``dsn`` only).
    :ivar disposition: the MDN disposition (``mdn`` only).
    :ivar message_id: the report's own Message-ID (to recognise it again).
    :ivar subject: the report's subject (for lists of unmatched reports).
    :ivar envelope_to: the addresses the report was delivered to (``To``,
        ``Delivered-To``, ``X-Original-To``): where a per-message envelope-sender
        tag is found.
    :ivar reader: for a read receipt, the recipient who read (or deleted) the message.
    :ivar date: when the report was written (its ``Date``).
    """

    kind: ReportKind = "none"
    format: str | None = None
    original_message_id: str | None = None
    reporting_mta: str | None = None
    recipients: list[ReportRecipient] = field(default_factory=list)
    disposition: str | None = None
    message_id: str | None = None
    subject: str | None = None
    envelope_to: list[str] = field(default_factory=list)
    reader: str | None = None
    date: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """The shape of ``mailplug bounces parse --json`` (one object per report)."""
        return {
            "kind": self.kind,
            "format": self.format,
            "original_message_id": self.original_message_id,
            "reporting_mta": self.reporting_mta,
            "recipients": [r.to_dict() for r in self.recipients],
            "mdn": {"disposition": self.disposition} if self.kind == "mdn" else None,
            "message_id": self.message_id,
            "subject": self.subject,
            "reader": self.reader,
            "date": self.date.isoformat() if self.date else None,
        }


class ReportParser(Protocol):
    """Recognises one family of reports.

    ``parse`` gets the message as :mod:`email` parsed it (``compat32`` policy,
    the most forgiving) and returns a :class:`Report` when the message is of
    its family, else ``None``.  It must not classify (the core does) and
    should not raise: the core logs a parser that raises and tries the next.
    """

    def parse(self, message: EmailMessage) -> Report | None: ...


def read_message(raw: bytes) -> EmailMessage:
    """Parse raw bytes the forgiving way, cut to :data:`MAX_REPORT_BYTES`."""
    return email.message_from_bytes(raw[:MAX_REPORT_BYTES], policy=email.policy.compat32)


def parse_report(
    raw: bytes | EmailMessage,
    parsers: Sequence[ReportParser],
    classify: Callable[[ServerReply], ErrorSpec] | None = None,
) -> Report:
    """Run ``parsers`` in order on ``raw``; the first answer wins, then classify it.

    :param raw: the message as received, or already parsed.
    :param parsers: the registered parsers, in call order.
    :param classify: the core's classifier for a recipient's reply; ``None``
        leaves :attr:`ReportRecipient.error` empty.
    :returns: the report; ``kind="none"`` when no parser recognised it.
    """
    try:
        message = raw if isinstance(raw, EmailMessage) else read_message(raw)
    except Exception:  # the email package is forgiving; keep the promise anyway
        log.warning("report could not be parsed as a message", exc_info=True)
        return Report()
    report: Report | None = None
    for parser in parsers:
        try:
            report = parser.parse(message)
        except Exception:
            log.warning("report parser %r failed", parser, exc_info=True)
            report = None
        if report is not None:
            break
    if report is None:
        report = Report()
    if report.message_id is None:
        report.message_id = _header(message, "Message-ID")
    if report.subject is None:
        report.subject = _header(message, "Subject")
    if not report.envelope_to:
        report.envelope_to = _addresses(
            message, "Delivered-To", "X-Original-To", "Envelope-To", "To"
        )
    if report.date is None:
        report.date = _date(_header(message, "Date"))
    if classify is not None:
        classify_report(report, classify)
    return report


def classify_report(report: Report, classify: Callable[[ServerReply], ErrorSpec]) -> None:
    """Fill :attr:`ReportRecipient.error` for each failed or delayed recipient."""
    for recipient in report.recipients:
        if recipient.failed and recipient.error is None:
            reply = recipient.reply
            if reply.code is None and reply.enhanced is None:
                # No code at all: the action still says permanent or temporary, which
                # RFC 3463 writes as the generic x.0.0 (the classifier needs the class).
                generic = "4.0.0" if recipient.action == "delayed" else "5.0.0"
                reply = ServerReply(code=None, enhanced=generic, text=reply.text)
            recipient.error = classify(reply)


def _addresses(message: EmailMessage, *names: str) -> list[str]:
    from email.utils import getaddresses

    values = [v for v in (_header(message, n) for n in names) if v]
    found: list[str] = []
    for _, address in getaddresses(values):
        if "@" in address and address.lower() not in found:
            found.append(address.lower())
    return found


def _date(value: str | None) -> datetime | None:
    from email.utils import parsedate_to_datetime

    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _header(message: EmailMessage, name: str) -> str | None:
    try:
        value = message.get(name)
    except Exception:
        return None
    if value is None:
        return None
    from email.header import decode_header, make_header

    try:
        text = str(make_header(decode_header(str(value))))
    except Exception:
        text = str(value)
    return " ".join(text.split()) or None
