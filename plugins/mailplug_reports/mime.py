"""Reading the parts of a report safely: bounded walks, forgiving decoding.

Every function here accepts hostile input (missing boundaries, corrupt
base64, wrong or unknown charsets, raw binary) and returns what it can.
"""

from __future__ import annotations

import email
import email.policy
import html
import logging
import re
from collections.abc import Iterator
from email.header import decode_header, make_header
from email.message import Message

__all__ = [
    "MAX_PARTS",
    "MAX_TEXT",
    "content_type",
    "decoded_text",
    "embedded_headers",
    "fields",
    "header",
    "human_text",
    "parts",
]

log = logging.getLogger("mailplug.reports")

#: A report has a handful of parts; more is a loop or an attack: stop looking.
MAX_PARTS = 200
#: Characters of one text part that can matter (the notification comes first).
MAX_TEXT = 200_000

_EMBEDDED = ("message/rfc822", "message/global", "message/rfc822-headers", "text/rfc822-headers")


def header(message: Message, name: str) -> str:
    """A header as text (RFC 2047 decoded, whitespace collapsed), ``""`` when missing."""
    try:
        value = message.get(name)
    except Exception:
        return ""
    if value is None:
        return ""
    try:
        text = str(make_header(decode_header(str(value))))
    except Exception:
        text = str(value)
    return " ".join(text.split())


def content_type(part: Message) -> str:
    try:
        return part.get_content_type().lower()
    except Exception:
        return "text/plain"


def parts(message: Message, *, into_messages: bool = False) -> Iterator[Message]:
    """The parts of ``message`` depth first, bounded by :data:`MAX_PARTS`.

    Embedded messages (``message/rfc822``: a returned original, or a bounce a
    colleague forwarded) are yielded but not entered unless ``into_messages``.
    """
    stack: list[Message] = [message]
    seen = 0
    while stack and seen < MAX_PARTS:
        part = stack.pop()
        seen += 1
        yield part
        if part is not message and content_type(part).startswith("message/") and not into_messages:
            continue
        try:
            payload = part.get_payload()
        except Exception:  # a broken part: its siblings may still be readable
            log.debug("unreadable part skipped", exc_info=True)
            continue
        if isinstance(payload, list):
            stack.extend(reversed([p for p in payload if isinstance(p, Message)]))


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    try:
        raw = part.get_payload()
    except Exception:
        return b""
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    if isinstance(raw, list):  # a message/* part the parser already split
        return "\n".join(p.as_string() for p in raw if isinstance(p, Message)).encode(
            "utf-8", "replace"
        )
    return b""


def decoded_text(part: Message) -> str:
    """The part's text: declared charset first, then UTF-8, then windows-1250 and Latin-1.

    A charset label that lies (UTF-8 on windows-1250 bytes) or is unknown falls
    through to the next guess instead of producing mojibake or an exception.
    """
    data = _payload_bytes(part)[:MAX_TEXT]
    declared = None
    try:
        declared = part.get_content_charset()
    except Exception:
        declared = None
    for charset in (declared, "utf-8", "cp1250"):
        if not charset:
            continue
        try:
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<\s*(?:br|/p|/div|/tr|/li|/h\d)\b[^>]*>", re.IGNORECASE)
_DROP = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def _html_to_text(text: str) -> str:
    text = _DROP.sub(" ", text)
    text = _BREAK.sub("\n", text)
    return html.unescape(_TAG.sub(" ", text))


def human_text(message: Message) -> str:
    """The text a person would read: the plain parts outside embedded messages.

    Falls back to the HTML parts (tags removed) when there is no plain text.
    """
    plain: list[str] = []
    markup: list[str] = []
    for part in parts(message):
        ctype = content_type(part)
        if ctype == "text/plain" and not _is_attachment(part):
            plain.append(decoded_text(part))
        elif ctype == "text/html" and not _is_attachment(part):
            markup.append(_html_to_text(decoded_text(part)))
    text = "\n".join(plain) if plain else "\n".join(markup)
    if not text:
        # A multipart without a usable boundary arrives as one text payload.
        try:
            payload = message.get_payload()
        except Exception:
            payload = None
        if isinstance(payload, str):
            text = decoded_text(message)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _is_attachment(part: Message) -> bool:
    try:
        disposition = (part.get("Content-Disposition") or "").lower()
    except Exception:
        return False
    name = ""
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    return disposition.startswith("attachment") and not name.lower().endswith(".txt")


def embedded_headers(message: Message) -> Message | None:
    """The headers of the returned original (the first embedded message), if any."""
    for part in parts(message):
        if part is message:
            continue
        ctype = content_type(part)
        if ctype not in _EMBEDDED:
            continue
        try:
            payload = part.get_payload()
        except Exception:  # a broken part: look for the next embedded message
            log.debug("unreadable part skipped", exc_info=True)
            continue
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            return payload[0]
        text = decoded_text(part).replace("\r\n", "\n").replace("\r", "\n")
        return email.message_from_string(text.lstrip("\n"), policy=email.policy.compat32)
    return None


def fields(part: Message) -> list[dict[str, str]]:
    """The field blocks of a ``message/delivery-status``-like part (RFC 3464 §2.1).

    One dict per block (lower-case names, unfolded values).  Works whether the
    email package split the part into header blocks or left it as text.
    """
    try:
        payload = part.get_payload()
    except Exception:
        return []
    if isinstance(payload, list):
        blocks = []
        for sub in payload:
            if isinstance(sub, Message):
                block = {k.lower(): " ".join(_unescape(str(v)).split()) for k, v in sub.items()}
                if block:
                    blocks.append(block)
                raw = sub.get_payload(decode=True)
                body = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
                if ":" in body:
                    # The recipient blocks of a part the parser took as one message
                    # (message/global-delivery-status): its "body".
                    blocks.extend(_text_fields(body))
        return blocks
    return _text_fields(decoded_text(part))


def _unescape(value: str) -> str:
    """Header text the bytes parser kept as surrogates (RFC 6533's UTF-8 fields) as UTF-8."""
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8")
    except UnicodeError:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _text_fields(text: str) -> list[dict[str, str]]:
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last: str | None = None
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            if current:
                blocks.append(current)
            current, last = {}, None
            continue
        if line[:1] in (" ", "\t") and last is not None:
            current[last] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if sep and name.strip() and " " not in name.strip():
            last = name.strip().lower()
            current[last] = value.strip()
    if current:
        blocks.append(current)
    return blocks
