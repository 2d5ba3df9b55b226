"""Headers a mail program keeps for itself, which must never reach a recipient.

Thunderbird writes its bookkeeping into the messages it queues in "Unsent
Messages": ``FCC`` (the copy-to folder's URL, which holds the IMAP login),
``X-Identity-Key``, ``X-Account-Key``, ``X-Mozilla-Draft-Info`` and other
``X-Mozilla-*`` fields, and removes them when it sends.  The importer drops
them; :func:`strip_client_headers` drops them again where a message leaves
the outbox, so mail stored by an older version (or by a third-party importer)
cannot leak them either.
"""

from __future__ import annotations

from .body import Body, Data

__all__ = ["CLIENT_HEADERS", "CLIENT_PREFIXES", "is_client_header", "strip_client_headers"]

#: Lower-case names of a mail program's own headers.
CLIENT_HEADERS = frozenset({"fcc", "x-identity-key", "x-account-key", "x-mozilla-draft-info"})
#: Lower-case prefixes of the same (every ``X-Mozilla-*`` field).
CLIENT_PREFIXES = ("x-mozilla-",)

_MARKERS = tuple(f"\n{name}:".encode() for name in CLIENT_HEADERS) + tuple(
    f"\n{prefix}".encode() for prefix in CLIENT_PREFIXES
)


def is_client_header(name: str) -> bool:
    """Whether the header called ``name`` (any case) is a mail program's own."""
    folded = name.strip().lower()
    return folded in CLIENT_HEADERS or folded.startswith(CLIENT_PREFIXES)


def strip_client_headers(data: Data) -> Data:
    """``data`` without a mail program's own headers; the same object when it has none.

    Cheap on the hot path: one look at the header block, lower-cased, and the
    message is only rebuilt when a marker is found.  A big message
    (:class:`~mailplug.body.Body`) is looked at in its first 256 KB, and never
    copied: its head is replaced.
    """
    if isinstance(data, Body):
        try:
            head = data.head(256 * 1024)
        except OSError:
            return data  # (its file is gone: sending it reports that, in its own words)
        stripped = _strip(head)
        return data if stripped is head else data.replace_head(len(head), stripped)
    return _strip(data)


def _strip(data: bytes) -> bytes:
    end = data.find(b"\r\n\r\n")
    if end < 0:
        end = data.find(b"\n\n")
        if end < 0:
            end = len(data)
    block = b"\n" + data[:end].lower().replace(b"\r\n", b"\n").replace(b" :", b":")
    if not any(marker in block for marker in _MARKERS):
        return data
    eol = b"\r\n" if data[end : end + 2] == b"\r\n" else b"\n"
    kept: list[bytes] = []
    dropping = False
    for line in data[:end].splitlines():
        if line[:1] in (b" ", b"\t"):  # a folded line belongs to the header above
            if not dropping:
                kept.append(line)
            continue
        name, colon, _ = line.partition(b":")
        dropping = bool(colon) and is_client_header(name.decode("latin-1"))
        if not dropping:
            kept.append(line)
    return eol.join(kept) + data[end:]
