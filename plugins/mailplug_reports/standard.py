"""The standard reports: RFC 3464/6533 DSNs, RFC 8098 MDNs, RFC 5965 feedback reports."""

from __future__ import annotations

import re
from email.message import Message

from mailplug.plugin import Report, ReportRecipient

from .diagnose import diagnose
from .facts import ENHANCED, clean_address, find_reply, message_id, original_message_id, strip_codes
from .mime import content_type, fields, human_text, parts

__all__ = ["DsnParser", "FeedbackParser", "MdnParser", "report_type"]

_DSN_PARTS = ("message/delivery-status", "message/global-delivery-status")
_MDN_PARTS = ("message/disposition-notification", "message/global-disposition-notification")
_ARF_PARTS = ("message/feedback-report",)


def report_type(message: Message) -> str:
    """The ``report-type`` of a top-level ``multipart/report`` (``""`` otherwise)."""
    if content_type(message) != "multipart/report":
        return ""
    try:
        return str(message.get_param("report-type") or "").lower()
    except Exception:
        return ""


def _find(message: Message, types: tuple[str, ...]) -> Message | None:
    for part in parts(message):
        if content_type(part) in types:
            return part
    return None


def _host(value: str) -> str | None:
    host = value.partition(";")[2] if ";" in value else value
    host = host.strip().split()[0] if host.strip() else ""
    return host.strip("[]") or None


def _action(value: str) -> str:
    word = value.strip().lower().split(" ")[0].split("(")[0] if value.strip() else "failed"
    return word if word in ("failed", "delayed", "delivered", "relayed", "expanded") else "failed"


class DsnParser:
    """RFC 3464 ``multipart/report; report-type=delivery-status`` (and RFC 6533's global form).

    Recipients come from the delivery-status fields; a report whose fields are
    missing or name no recipient is left to the plain-text parser.
    """

    def parse(self, message: Message) -> Report | None:
        part = _find(message, _DSN_PARTS)
        if part is None:
            return None
        blocks = fields(part)
        per_message = blocks[0] if blocks and not _is_recipient(blocks[0]) else {}
        reporting = _host(per_message.get("reporting-mta", "")) if per_message else None
        recipients = [self._recipient(block, reporting) for block in blocks if _is_recipient(block)]
        if not recipients:
            return None
        text = human_text(message)
        for recipient in recipients:
            if recipient.diagnostic is None and text:
                # Exim and Courier write the reason only in the text part.
                found = diagnose(recipient.address, [r.address for r in recipients], text, "")
                recipient.diagnostic = found.diagnostic
                if recipient.remote_code is None and found.remote_code is not None:
                    recipient.remote_code = found.remote_code
                    recipient.status = found.status or recipient.status
        return Report(
            kind="dsn",
            format="rfc3464",
            original_message_id=original_message_id(message, text),
            reporting_mta=reporting,
            recipients=recipients,
        )

    def _recipient(self, block: dict[str, str], reporting: str | None) -> ReportRecipient:
        address = clean_address(block.get("final-recipient") or block.get("original-recipient", ""))
        status_match = ENHANCED.search(block.get("status", ""))
        status = status_match.group(0) if status_match else None
        code: int | None = None
        diagnostic: str | None = None
        raw = block.get("diagnostic-code", "")
        if raw:
            kind, sep, rest = raw.partition(";")
            value = rest if sep and " " not in kind.strip() else raw
            reply = find_reply(value.strip())
            if reply is not None and value.strip()[:3] == str(reply.code):
                code, diagnostic = reply.code, reply.text or None
                status = reply.enhanced or status
            else:
                diagnostic = strip_codes(value) or None
        return ReportRecipient(
            address=address,
            action=_action(block.get("action", "")),
            status=status,
            remote_code=code,
            diagnostic=diagnostic,
            reporting_mta=reporting,
        )


def _is_recipient(block: dict[str, str]) -> bool:
    return bool(block.get("final-recipient") or block.get("original-recipient"))


_DISPOSITIONS = ("displayed", "deleted", "processed", "dispatched", "denied", "failed")


def _disposition(value: str) -> str | None:
    after = value.rpartition(";")[2].strip().lower()
    word = re.match(r"[a-z\-]+", after)
    if word and word.group(0) in _DISPOSITIONS:
        return word.group(0)
    for name in _DISPOSITIONS:
        if name in value.lower():
            return name
    return None


class MdnParser:
    """RFC 8098 message disposition notifications (read receipts)."""

    def parse(self, message: Message) -> Report | None:
        part = _find(message, _MDN_PARTS)
        if part is None and report_type(message) != "disposition-notification":
            return None
        merged: dict[str, str] = {}
        if part is not None:
            for block in fields(part):
                merged.update(block)
        original = message_id(merged.get("original-message-id", ""))
        if original is None:
            original = original_message_id(message, human_text(message))
        return Report(
            kind="mdn",
            format="rfc8098",
            original_message_id=original,
            disposition=_disposition(merged.get("disposition", "")) or "displayed",
            reader=clean_address(merged["final-recipient"])
            if merged.get("final-recipient")
            else None,
        )


class FeedbackParser:
    """RFC 5965 feedback reports (abuse, fraud, virus, authentication failure)."""

    def parse(self, message: Message) -> Report | None:
        part = _find(message, _ARF_PARTS)
        if part is None and report_type(message) != "feedback-report":
            return None
        merged: dict[str, str] = {}
        if part is not None:
            for block in fields(part):
                merged.update(block)
        return Report(
            kind="feedback",
            format="rfc5965",
            original_message_id=original_message_id(message, replies=False),
            reporting_mta=_host(merged.get("reporting-mta", "")),
        )
