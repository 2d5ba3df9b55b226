"""``mailplug -v`` / ``-vv``: the ``mailplug.*`` loggers on standard error, secrets masked.

mailplug's modules never log a password or token on purpose; the filter here is a
second line of defence for what a library error or a server reply may carry into a
log line (an ``AUTH`` argument, a URL with a password, a bearer token).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager

#: The root of every logger mailplug and its built-in plugins use.
ROOT = "mailplug"
MASK = "***"

# Each pattern keeps its first group (what the value is) and masks the rest.
SECRET_PATTERNS = (
    # SMTP/IMAP AUTH arguments: "AUTH PLAIN AGJp…", "AUTHENTICATE XOAUTH2 dXNl…"
    re.compile(r"(\bAUTH(?:ENTICATE)?\s+[A-Z0-9_-]+\s+)\S+", re.IGNORECASE),
    # user:password@ in URLs (outbox URLs, proxies)
    re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s]+(?=@)", re.IGNORECASE),
    # "Bearer eyJ…"
    re.compile(r"(\bBearer\s+)\S+", re.IGNORECASE),
    # password=…, "access_token": "…", client_secret: …
    re.compile(
        r"""(\b(?:password|passwd|secret|client_secret|access_token|refresh_token|token)"""
        r"""["']?\s*[:=]\s*["']?)[^\s"',;&}]+""",
        re.IGNORECASE,
    ),
)


def mask_secrets(text: str) -> str:
    """``text`` with the values of the secret-looking parts replaced by ``***``."""
    for pattern in SECRET_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


class SecretMask(logging.Filter):
    """Render the record's message once, masked, so handlers never see the raw text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = mask_secrets(message), None
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text)
        record.exc_info = None  # the masked exc_text is what gets printed
        return True


def level_for(count: int) -> int | None:
    """``-v``: INFO, ``-vv`` or more: DEBUG; none: leave logging alone."""
    if count <= 0:
        return None
    return logging.INFO if count == 1 else logging.DEBUG


@contextmanager
def verbose(count: int) -> Iterator[None]:
    """Send the ``mailplug.*`` loggers to standard error while the command runs.

    Undone afterwards, so a host (or a test) calling :func:`mailplug.cli.main` twice
    gets no doubled lines and keeps its own logging setup.
    """
    level = level_for(count)
    if level is None:
        yield
        return
    logger = logging.getLogger(ROOT)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s: %(message)s"))
    handler.addFilter(SecretMask())
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
        handler.flush()
