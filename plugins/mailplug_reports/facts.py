"""Small facts read out of report text: SMTP replies, addresses, Message-IDs, hosts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from .mime import embedded_headers, header

__all__ = [
    "ADDRESS",
    "Reply",
    "clean_address",
    "find_reply",
    "message_id",
    "original_message_id",
    "strip_codes",
]

ADDRESS = re.compile(r"(?<![\w.+\-=/])[\w.%+\-=']+@[\w\-]+(?:\.[\w\-]+)+", re.UNICODE)
ENHANCED = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)")
_MSGID = re.compile(r"<[^<>\s]+@[^<>\s]+>")

# "550 5.1.1 text", "550-5.1.1 text", "#550 5.1.1 …", "'550 5.1.1 …'": a reply code
# with an enhanced status code, anywhere on a line.
_REPLY_ENHANCED = re.compile(
    r"(?<![\w.:/\-])#?([45]\d\d)[ \-]#?([45]\.\d{1,3}\.\d{1,3})(?![\d.]*\d)[ \t]*(.*)"
)
# "550 text" only where a reply is announced: line start, after "said:", a quote,
# "<<<", "#" or "returned" — a bare number in prose is not a reply.
_REPLY_PLAIN = re.compile(
    r"(?:^|<<<|[:'\"(#]|returned|said|reply|response|error)"
    r"[ \t]*([45]\d\d)[ \-](?![\d.])[ \t]*(\S.*)",
    re.IGNORECASE | re.MULTILINE,
)
_QMAIL_STATUS = re.compile(r"\(#([245]\.\d{1,3}\.\d{1,3})\)")


@dataclass
class Reply:
    """An SMTP reply found in text."""

    code: int | None
    enhanced: str | None
    text: str


def strip_codes(text: str, code: int | None = None, enhanced: str | None = None) -> str:
    """``text`` without the codes of continuation lines, trailing quotes and ``##`` marks."""
    if code is not None:
        prefix = rf"(?<![\w.]){code}[ \-]" + (
            rf"(?:{re.escape(enhanced)}[ \t]*)?" if enhanced else ""
        )
        text = re.sub(prefix, " ", text)
    text = text.strip().strip("'\"").strip()
    text = re.sub(r"\s*##+\s*$", "", text)
    text = re.sub(r"\s*\[[^\]]*\.prod\.[^\]]*\]\s*$", "", text)  # Exchange's hop suffix
    return " ".join(text.split())


def find_reply(text: str) -> Reply | None:
    """The first SMTP reply in ``text`` with its continuation lines joined."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        match = _REPLY_ENHANCED.search(line)
        enhanced: str | None
        if match:
            code, enhanced, rest = int(match.group(1)), match.group(2), match.group(3)
        else:
            plain = _REPLY_PLAIN.search(line)
            if not plain:
                continue
            code, enhanced, rest = int(plain.group(1)), None, plain.group(2)
            inner = ENHANCED.match(rest.strip())
            if inner:
                enhanced = inner.group(0)
                rest = rest.strip()[len(enhanced) :]
        quoted = line[: match.start() if match else 0].rstrip().endswith("'")
        collected = [rest]
        for follow in lines[index + 1 : index + 12]:
            stripped = follow.strip()
            if not stripped:
                break
            if re.match(rf"{code}[ \-]", stripped):
                collected.append(stripped)
                continue
            # A wrapped line of the same reply: indented, or inside a still-open quote.
            if quoted and "'" not in " ".join(collected):
                collected.append(stripped)
                continue
            if (
                follow[:1] in (" ", "\t")
                and line[:1] in (" ", "\t")
                and not ADDRESS.match(stripped)
            ):
                if re.match(r"^[A-Z][\w ]+:", stripped):  # a new labelled field
                    break
                collected.append(stripped)
                continue
            break
        body = strip_codes(" ".join(collected), code, enhanced)
        if enhanced is None:
            qmail = _QMAIL_STATUS.search(body)
            enhanced = qmail.group(1) if qmail else None
        return Reply(code, enhanced, body)
    return None


def status_in(text: str) -> str | None:
    """An enhanced status code written in ``text`` (qmail's ``(#5.1.1)`` first)."""
    qmail = _QMAIL_STATUS.search(text)
    if qmail:
        return qmail.group(1)
    plain = ENHANCED.search(text)
    return plain.group(0) if plain else None


def clean_address(value: str) -> str:
    """An address from a DSN field: type prefix, brackets and xtext/``\\x{}`` escapes removed."""
    kind, sep, rest = value.partition(";")
    address = rest if sep else kind
    address = address.strip().strip("<>").strip()
    address = re.sub(r"\\x\{([0-9A-Fa-f]{1,6})\}", lambda m: chr(int(m.group(1), 16)), address)
    address = re.sub(r"\+([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), address)
    return address


def message_id(value: str) -> str | None:
    """The first Message-ID in a header value, with ``<>`` (added when missing)."""
    value = value.strip()
    if not value:
        return None
    found = _MSGID.search(value)
    if found:
        return found.group(0)
    token = value.split()[0].strip("<>")
    return f"<{token}>" if "@" in token else None


_BODY_MSGID = re.compile(r"^[ \t>]*Message-ID:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)


def original_message_id(
    message: Message, text: str = "", *, replies: bool = True, returned: bool = True
) -> str | None:
    """The Message-ID of the message a report is about.

    In order: the returned original's headers, a ``Message-ID:`` line quoted in
    the text, ``Original-Message-ID``/``X-Original-Message-ID``, then (when
    ``replies``) ``In-Reply-To`` and the last ``References``.
    """
    if returned:
        original = embedded_headers(message)
        if original is not None:
            found = message_id(header(original, "Message-ID"))
            if found:
                return found
        if text:
            quoted = _BODY_MSGID.search(text)
            if quoted:
                found = message_id(quoted.group(1))
                if found:
                    return found
    for name in ("Original-Message-ID", "X-Original-Message-ID"):
        found = message_id(header(message, name))
        if found:
            return found
    if replies:
        found = message_id(header(message, "In-Reply-To"))
        if found:
            return found
        references = _MSGID.findall(header(message, "References"))
        if references:
            return str(references[-1])
    return None
