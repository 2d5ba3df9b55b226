"""Where a PostgreSQL outbox lives: ``postgresql://user@host:5432/db?schema=mailplug``.

The URL is handed to libpq as it is, minus the query parameters that are
ours (``schema``, ``pool_min``, ``pool_max``); everything else
(``sslmode``, ``application_name`` …) is libpq's.  The password never leaves
this module in a message: :func:`redacted` is what logs and errors show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from . import keys

__all__ = ["SCHEMES", "Options", "parse_location", "redacted"]

#: URL schemes this plugin answers to (``outbox="postgresql://…"``).
SCHEMES = ("postgresql", "postgres")

_OURS = {"schema", "pool_min", "pool_max"}
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Options:
    """How the outbox connects.

    :ivar conninfo: the libpq connection URL without our parameters.
    :ivar schema: the schema holding the outbox tables (created on open).
    :ivar pool_min: connections kept open.
    :ivar pool_max: connections at most (a worker uses one more for ``LISTEN``).
    """

    conninfo: str
    schema: str = "mailplug"
    pool_min: int = 1
    pool_max: int = 4

    @property
    def where(self) -> str:
        """The location without secrets, for messages and logs."""
        return f"{redacted(self.conninfo)} (schema {self.schema})"


def redacted(url: str) -> str:
    """``url`` without its password (user, host, port and database kept)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ""
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


def parse_location(location: Any) -> Options:
    """Options from an ``outbox_path`` URL.

    :raises mailplug.errors.ConfigurationError: a malformed schema name or number.
    """
    text = str(location)
    parts = urlsplit(text)
    if parts.scheme not in SCHEMES:
        raise keys.POSTGRES_BAD_ADDRESS.error(
            problem=f"a PostgreSQL outbox is a postgresql:// URL, not {redacted(text)}"
        )
    query = parse_qsl(parts.query, keep_blank_values=True)
    ours = {k: v for k, v in query if k in _OURS}
    rest = [(k, v) for k, v in query if k not in _OURS]
    schema = ours.get("schema", "mailplug")
    if not _SCHEMA_NAME.match(schema):
        raise keys.POSTGRES_BAD_ADDRESS.error(
            problem=f"outbox schema must be lower-case letters, digits and _, not {schema!r}"
        )
    try:
        pool_min = int(ours.get("pool_min", 1))
        pool_max = max(pool_min, int(ours.get("pool_max", 4)))
    except ValueError as exc:
        raise keys.POSTGRES_BAD_ADDRESS.error(
            problem=f"outbox URL parameter is not a number: {exc}"
        ) from exc
    conninfo = urlunsplit(("postgresql", parts.netloc, parts.path, urlencode(rest), ""))
    return Options(conninfo, schema, max(0, pool_min), max(1, pool_max))
