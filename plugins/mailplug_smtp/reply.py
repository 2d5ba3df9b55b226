"""A reply as it comes off the wire, made a :class:`~mailplug.plugin.ServerReply`.

aiosmtplib (and :mod:`mailplug_smtp.wire`) hand a reply over as its code and
its lines joined by newlines; :func:`parse_reply` takes the enhanced status
code (RFC 3463) off the front and joins the lines.  What a reply *means* is
decided elsewhere (:mod:`mailplug_smtp.rules`).
"""

from __future__ import annotations

import re

from mailplug.plugin import ServerReply

__all__ = ["parse_reply"]

#: An enhanced status code at the start of a line: ``5.7.8 Username and …``.
_ENHANCED_RE = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)")


def parse_reply(code: int | None, message: str) -> ServerReply:
    """A reply as aiosmtplib gives it (code, lines joined by newlines) as a :class:`ServerReply`.

    The enhanced status code (RFC 3463) is taken from the first line and
    removed from every line that repeats it; lines are joined by spaces.
    """
    if message.isprintable():  # one line (a line break is not printable): the usual case
        line = message.strip()
        found = _ENHANCED_RE.match(line)
        if found is None:
            return ServerReply(code, None, line)
        status = found.group(0)
        return ServerReply(code, status, line[len(status) :].strip())
    lines = [line.strip() for line in message.splitlines()]
    enhanced = None
    if lines:
        match = _ENHANCED_RE.match(lines[0])
        if match:
            enhanced = match.group(0)
            lines = [
                line[len(enhanced) :].strip() if line.startswith(enhanced) else line
                for line in lines
            ]
    return ServerReply(code=code, enhanced=enhanced, text=" ".join(p for p in lines if p))
