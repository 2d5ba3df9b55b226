"""Turning a :class:`~mailplug.models.Message` into the bytes that go on the wire.

Composition happens once (at send or enqueue); retries reuse the bytes, so
the Message-ID and Date never change between attempts.

The MIME is written directly, not through :class:`email.message.EmailMessage`
(whose modern policy re-parses every header it is given and is several
times slower).  What is written:

* CRLF line endings; header lines folded at 78 characters, body lines never
  over 998 (quoted-printable soft breaks, base64 lines of 76);
* non-ASCII display names, subjects and other header texts as RFC 2047
  encoded-words (``Q`` or ``B``, whichever is shorter), each whole UTF-8
  characters, none over 75 characters; attachment file names as RFC 2231
  ``filename*`` parameters (continued when long);
* IDN domains as punycode in headers and in the envelope; UTF-8 local parts
  as they are (the message then needs the server's SMTPUTF8);
* bodies as 7bit when ASCII with short lines, else quoted-printable or base64
  (whichever is smaller); attachments in base64;
* ``multipart/alternative`` for text + HTML, ``multipart/related`` for HTML
  with inline images (``Content-ID``), ``multipart/mixed`` for attachments;
* Bcc only in the envelope, never in a header.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import itertools
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from . import keys
from .body import CHUNK, STREAM_THRESHOLD, Data, Spool
from .charsets import find_surrogates
from .errors import MailplugError
from .files import open_regular, read_file
from .models import ascii_domain
from .outbox_keys import STORAGE_DISK_FULL, STORAGE_IO
from .transport import Envelope

if TYPE_CHECKING:
    from .models import Account, Address, Attachment, Message

__all__ = ["Composed", "compose", "read_attachment", "read_file"]

PLACEHOLDER_DOMAIN = "mailplug.invalid"

_MAX_LINE = 78
_MAX_WORD = 75  # RFC 2047: an encoded-word is at most 75 characters
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_ATEXT = frozenset(_ALNUM + "!#$%&'*+-/=?^_`{|}~")
# RFC 2047 5(3): characters a Q encoded-word may carry as they are (safe in phrases too).
_Q_SAFE = frozenset((_ALNUM + "!*+-/").encode())
_Q_BYTE = tuple("_" if b == 0x20 else chr(b) if b in _Q_SAFE else f"={b:02X}" for b in range(256))
_HIGH_BYTES = bytes(range(128, 256))
_CONTROL = frozenset(chr(c) for c in (*range(32), 127)) - {"\t"}
_PREFIX_Q = "=?utf-8?q?"
_PREFIX_B = "=?utf-8?b?"

_boundaries = itertools.count(1)
_BOUNDARY_SEED = os.urandom(6).hex()


@dataclass(frozen=True, slots=True)
class Composed:
    """A composed message: its envelope and bytes (a spooled :class:`~mailplug.body.Body`
    when its attachments are big, see :data:`~mailplug.body.STREAM_THRESHOLD`)."""

    envelope: Envelope
    data: Data


# --------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------


def read_attachment(attachment: Attachment) -> bytes:
    if attachment.content is not None:
        return attachment.content
    assert attachment.path is not None
    return read_file(attachment.path)


# --------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------


def format_date(moment: datetime) -> str:
    """RFC 5322 date: ``Tue, 14 Jan 2025 10:00:00 +0100``."""
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return (
        f"{_DAYS[moment.weekday()]}, {moment.day:02d} {_MONTHS[moment.month]} {moment.year:04d} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} {sign}{hours:02d}{mins:02d}"
    )


def _q_len(data: bytes) -> int:
    # Safe bytes cost 1, others 3 ("=XX").
    return len(data) + 2 * (len(data) - len(data.translate(None, _UNSAFE_FOR_Q)))


_UNSAFE_FOR_Q = bytes(b for b in range(256) if b not in _Q_SAFE and b != 0x20)


class _QChars(dict[str, str]):
    """Memo: character -> its Q encoding."""

    def __missing__(self, char: str) -> str:
        piece = "".join(_Q_BYTE[b] for b in char.encode("utf-8"))
        self[char] = piece
        return piece


_Q_CHARS = _QChars()


def encode_words(text: str, *, first: int = _MAX_WORD) -> list[str]:
    """``text`` as RFC 2047 encoded-words (UTF-8, Q or B, whichever is shorter).

    Each word holds whole characters and is at most 75 characters long; the
    first at most ``first`` (room left on the header's first line).  Spaces
    are inside the words, so the folding whitespace between words is ignored
    by readers and the text comes back exactly.
    """
    data = text.encode("utf-8")
    limit = max(min(first, _MAX_WORD), 16) - 12  # room for "=?utf-8?x?" and "?="
    rest_limit = _MAX_WORD - 12
    words: list[str] = []
    if _q_len(data) <= (len(data) + 2) // 3 * 4:
        pieces = [_Q_CHARS[c] for c in text]
        encoded = "".join(pieces)
        if len(encoded) <= limit:
            return [_PREFIX_Q + encoded + "?="]
        current: list[str] = []
        size = 0
        for piece in pieces:
            if size + len(piece) > limit and current:
                words.append(_PREFIX_Q + "".join(current) + "?=")
                current, size, limit = [], 0, rest_limit
            current.append(piece)
            size += len(piece)
        words.append(_PREFIX_Q + "".join(current) + "?=")
        return words
    capacity = limit // 4 * 3
    if len(data) <= capacity:
        return [_PREFIX_B + base64.b64encode(data).decode("ascii") + "?="]
    start = nbytes = 0
    for index, char in enumerate(text):
        width = 1 if char < "\x80" else len(char.encode("utf-8"))
        if nbytes + width > capacity and index > start:
            chunk = text[start:index].encode("utf-8")
            words.append(_PREFIX_B + base64.b64encode(chunk).decode("ascii") + "?=")
            start, nbytes, capacity = index, 0, rest_limit // 4 * 3
        nbytes += width
    words.append(_PREFIX_B + base64.b64encode(text[start:].encode("utf-8")).decode("ascii") + "?=")
    return words


def _fold(name: str, tokens: list[str]) -> str:
    """``Name: token token …`` with folding (CRLF + space) where a line would pass 78."""
    parts = [name, ":"]
    length = len(name) + 1
    for token in tokens:
        if length + 1 + len(token) > _MAX_LINE and length > len(name) + 1 and token:
            parts.append("\r\n ")
            length = 1
        else:
            parts.append(" ")
            length += 1
        parts.append(token)
        length += len(token)
    parts.append("\r\n")
    return "".join(parts)


def _needs_encoding(value: str) -> bool:
    if not value.isascii() or "=?" in value:
        return True
    return any(c in _CONTROL for c in value)


def _unstructured(name: str, value: str) -> str:
    """A header of free text (Subject, custom headers)."""
    if not value:
        return f"{name}: \r\n"
    if _needs_encoding(value) or any(len(t) > 900 for t in value.split(" ")):
        return _fold(name, encode_words(value, first=_MAX_LINE - len(name) - 2))
    if len(name) + 2 + len(value) <= _MAX_LINE:
        return f"{name}: {value}\r\n"
    return _fold(name, value.split(" "))


def _phrase(name: str, first: int = _MAX_WORD) -> list[str]:
    """A display name as tokens: atoms, one quoted string, or encoded-words."""
    if _needs_encoding(name):
        return encode_words(name, first=first)
    words = name.split(" ")
    if all(w and all(c in _ATEXT for c in w) for w in words):
        return words
    return ['"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"']


def _addr_spec(address: Address) -> str:
    domain = address.domain
    if not domain.isascii():
        domain = ascii_domain(domain) or domain
    return f"{address.local}@{domain}"


def _address_tokens(addresses: list[Address], header: str) -> list[str]:
    tokens: list[str] = []
    last = len(addresses) - 1
    for index, address in enumerate(addresses):
        spec = _addr_spec(address)
        if address.name:
            # The first name shares its line with "Header: ".
            tokens += _phrase(
                address.name, _MAX_LINE - 2 - len(header) if index == 0 else _MAX_WORD
            )
            tokens.append(f"<{spec}>," if index < last else f"<{spec}>")
        else:
            tokens.append(f"{spec}," if index < last else spec)
    return tokens


def _address_header(name: str, addresses: list[Address]) -> str:
    return _fold(name, _address_tokens(addresses, name))


def _param(name: str, value: str, header_len: int) -> list[str]:
    """``name="value"``, or RFC 2231 ``name*=utf-8''…`` (continued when long)."""
    if value.isascii() and not any(c in _CONTROL for c in value) and len(value) <= 60:
        return [f'{name}="' + value.replace("\\", "\\\\").replace('"', '\\"') + '"']
    encoded = quote(value, safe="!#$&+-.^_`|~", encoding="utf-8")
    single = f"{name}*=utf-8''{encoded}"
    if header_len + 2 + len(single) <= _MAX_LINE:
        return [single]
    segments: list[str] = []
    rest = encoded
    first = True
    while rest:
        # Each segment on its own folded line: " name*NN*=utf-8''" + 40 + ";" stays under 78.
        cut = rest[:40]
        # Never split a %XX escape.
        if "%" in cut[-2:]:
            cut = cut[: cut.rindex("%")]
        rest = rest[len(cut) :]
        prefix = "utf-8''" if first else ""
        segments.append(f"{name}*{len(segments)}*={prefix}{cut}")
        first = False
    return segments


def _params_header(name: str, value: str, params: list[str]) -> str:
    tokens = [value + (";" if params else "")]
    tokens += [p + ";" for p in params[:-1]]
    if params:
        tokens.append(params[-1])
    return _fold(name, tokens)


# --------------------------------------------------------------------------
# Bodies
# --------------------------------------------------------------------------


def _new_boundary() -> str:
    # "=_" never occurs in quoted-printable or base64 text.
    return f"=_mp{_BOUNDARY_SEED}.{next(_boundaries):x}"


def _b64_body(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


class _Encoded:
    """An attachment to base64-encode into the spool in chunks (streamed composition)."""

    __slots__ = ("attachment",)

    def __init__(self, attachment: Attachment) -> None:
        self.attachment = attachment

    def write_to(self, spool: Spool) -> None:
        att = self.attachment
        if att.content is not None:
            content = att.content
            for start in range(0, len(content), CHUNK):
                spool.write(_b64_body(content[start : start + CHUNK]))
            return
        assert att.path is not None
        with open_regular(att.path) as f:
            # CHUNK is a multiple of 57 bytes: the lines come out as one encodebytes() would.
            while True:
                try:
                    piece = f.read(CHUNK)
                except OSError as exc:
                    raise keys.FILE_PROBLEM.error(
                        file=str(att.path), reason=exc.strerror, cause=exc
                    ) from exc
                if not piece:
                    break
                spool.write(_b64_body(piece))


#: A part's body as pieces: bytes, and attachments encoded when written (streaming).
_Pieces = list[bytes | _Encoded]


def _text_part(text: str, subtype: str) -> tuple[str, bytes, bool]:
    """Headers (without the blank line), encoded body, whether the body is 7bit text."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"  # text bodies end with a line break (as EmailMessage.set_content does)
    lines = text.split("\n")
    if text.isascii() and "\0" not in text and max(map(len, lines)) <= 998:
        body = "\r\n".join(lines).encode("ascii")
        cte = "7bit"
    else:
        data = "\r\n".join(lines).encode("utf-8")
        high = len(data) - len(data.translate(None, _HIGH_BYTES))
        if 3 * (2 * high) <= len(data):
            body = binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)
            if len(lines) == 1:  # b2a_qp breaks lines with LF unless the text has CRLF
                body = body.replace(b"=\n", b"=\r\n")
            cte = "quoted-printable"
        else:
            body = _b64_body(data)
            cte = "base64"
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    headers = f"Content-Type: text/{subtype}; charset=utf-8\r\nContent-Transfer-Encoding: {cte}\r\n"
    return headers, body, cte == "7bit"


@dataclass(slots=True)
class _Part:
    headers: str
    body: bytes | _Pieces
    #: The body is 7bit text, in which a boundary string could occur.
    plain: bool = False


def _multipart(subtype: str, parts: list[_Part]) -> _Part:
    boundary = _new_boundary()
    # (A plain part's body is bytes: only attachments are streamed.)
    while any(p.plain and boundary.encode() in p.body for p in parts):
        boundary = _new_boundary()
    delimiter = b"--" + boundary.encode()
    chunks: _Pieces = []
    for part in parts:
        # The CRLF before a delimiter belongs to the delimiter (RFC 2046 5.1.1).
        chunks += [delimiter, b"\r\n", part.headers.encode("ascii"), b"\r\n"]
        if isinstance(part.body, bytes):
            chunks.append(part.body)
        else:
            chunks += part.body
        chunks.append(b"\r\n")
    chunks += [delimiter, b"--\r\n"]
    headers = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n'
    if all(isinstance(c, bytes) for c in chunks):
        return _Part(headers, b"".join(chunks))  # type: ignore[arg-type]
    return _Part(headers, chunks)


def _attachment_part(att: Attachment, *, inline: bool, stream: bool = False) -> _Part:
    filename = att.name
    mime = att.mime_type
    if "/" not in mime or any(c in _CONTROL or c == " " for c in mime):
        mime = "application/octet-stream"
    headers = _params_header("Content-Type", mime, _param("name", filename, 14 + len(mime)))
    headers += "Content-Transfer-Encoding: base64\r\n"
    disposition = "inline" if inline else "attachment"
    headers += _params_header(
        "Content-Disposition", disposition, _param("filename", filename, 21 + len(disposition))
    )
    if att.content_id:
        cid = att.content_id.strip().strip("<>")
        headers += f"Content-ID: <{cid}>\r\n"
    if stream:
        return _Part(headers, [_Encoded(att)])
    return _Part(headers, _b64_body(read_attachment(att)))


def _body(message: Message, stream: bool = False) -> _Part:
    text, html = message.text, message.html
    inline = [a for a in message.attachments if a.inline and a.content_id] if html else []
    files = [a for a in message.attachments if a not in inline]

    alternatives: list[_Part] = []
    if text is not None or html is None:
        alternatives.append(_Part(*_text_part(text or "", "plain")))
    if html is not None:
        html_part = _Part(*_text_part(html, "html"))
        if inline:
            related = [html_part] + [
                _attachment_part(a, inline=True, stream=stream) for a in inline
            ]
            html_part = _multipart("related", related)
        alternatives.append(html_part)
    body = alternatives[0] if len(alternatives) == 1 else _multipart("alternative", alternatives)
    if files:
        attachments = [_attachment_part(a, inline=a.inline, stream=stream) for a in files]
        body = _multipart("mixed", [body, *attachments])
    return body


# --------------------------------------------------------------------------
# The message
# --------------------------------------------------------------------------


def message_id_for(message: Message, account: Account) -> str:
    """The Message-ID to send: the message's own, its placeholder domain replaced.

    A message created without a sender got ``…@mailplug.invalid``; it goes
    out with the account's domain instead (the same every time it is composed).
    """
    mid = message.message_id
    suffix = "@" + PLACEHOLDER_DOMAIN + ">"
    if mid.endswith(suffix):
        domain = ascii_domain(account.email.domain) or account.email.domain
        mid = mid[: -len(suffix)] + "@" + domain + ">"
    return mid


def attachments_size(message: Message) -> int:
    """The attachments' bytes (files by their size on disk; unreadable ones count 0)."""
    total = 0
    for att in message.attachments:
        if att.content is not None:
            total += len(att.content)
        elif att.path is not None:
            with contextlib.suppress(OSError):  # reading it says what is wrong
                total += os.stat(att.path).st_size
    return total


def compose(
    message: Message,
    account: Account,
    *,
    now: datetime | None = None,
    spool: str | os.PathLike[str] | None = None,
) -> Composed:
    """Compose ``message`` as sent from ``account``.

    Attachments over :data:`~mailplug.body.STREAM_THRESHOLD` in all are read and
    encoded in chunks into a spool file (in ``spool``, default the temporary
    folder): the message is then a :class:`~mailplug.body.Body`, never whole in memory.

    :param now: the Date header's time (default: now, in local time).
    :raises mailplug.errors.MessageError: no recipients; text that is not valid
        Unicode (``message.invalid_text``).
    :raises mailplug.errors.FileError: an attachment cannot be read.
    """
    message.check_sendable()
    # Text that cannot be encoded (lone surrogates, e.g. from undecodable file names)
    # is refused in the message's terms, not as a UnicodeEncodeError halfway through.
    where = find_surrogates(message.model_dump(exclude={"attachments"}))
    if where is None:
        where = find_surrogates([a.name for a in message.attachments], "attachments")
    if where is not None:
        # The field's name is shown translated („Temat”), so the first part of the path.
        raise keys.MESSAGE_INVALID_TEXT.error(field=where.split(".", 1)[0])
    sender = message.sender or account.from_address
    if sender.name is None and account.display_name and sender.key() == account.email.key():
        sender = account.from_address
    reply_to = message.reply_to or account.reply_to
    recipients = message.recipients
    if account.envelope_sender:
        envelope_from = _envelope_addr(account.envelope_sender)
    else:
        envelope_from = _addr_spec(sender)
    smtputf8 = (
        not envelope_from.isascii()
        or sender.needs_smtputf8
        or any(r.needs_smtputf8 for r in recipients)
        or any(a.needs_smtputf8 for a in reply_to)
    )
    message_id = message_id_for(message, account)

    head = [
        f"Date: {format_date(now or datetime.now().astimezone())}\r\n",
        _address_header("From", [sender]),
    ]
    if reply_to:
        head.append(_address_header("Reply-To", reply_to))
    if message.to:
        head.append(_address_header("To", message.to))
    if message.cc:
        head.append(_address_header("Cc", message.cc))
    head.append(_unstructured("Subject", message.subject))
    head.append(f"Message-ID: {message_id}\r\n")
    if message.read_receipt:
        head.append(_address_header("Disposition-Notification-To", [(reply_to or [sender])[0]]))
    if message.priority != 3:
        label = {1: "1 (Highest)", 5: "5 (Lowest)"}.get(int(message.priority))
        head.append(f"X-Priority: {label or int(message.priority)}\r\n")
    for name, value in message.headers.items():
        head.append(_unstructured(name, value))
    head.append("MIME-Version: 1.0\r\n")
    stream = attachments_size(message) * 4 // 3 > STREAM_THRESHOLD
    body = _body(message, stream)
    head.append(body.headers)
    head.append("\r\n")
    header_text = "".join(head)
    header_bytes = header_text.encode("utf-8" if smtputf8 else "ascii")
    envelope = Envelope(
        sender=envelope_from,
        recipients=tuple(_addr_spec(r) for r in recipients),
        message_id=message_id,
        smtputf8=smtputf8,
    )
    if isinstance(body.body, bytes):
        return Composed(envelope, header_bytes + body.body)
    return Composed(envelope, _spool(header_bytes, body.body, spool))


def _spool(head: bytes, pieces: _Pieces, directory: str | os.PathLike[str] | None) -> Data:
    try:
        spool = Spool(directory)
    except OSError as exc:
        raise spool_error(exc, directory) from exc
    try:
        spool.write(head)
        for piece in pieces:
            if isinstance(piece, bytes):
                spool.write(piece)
            else:
                piece.write_to(spool)
        return spool.body()
    except MailplugError:
        spool.abort()
        raise
    except OSError as exc:  # writing the spool file
        spool.abort()
        raise spool_error(exc, spool.path) from exc
    except BaseException:
        spool.abort()
        raise


def spool_error(exc: OSError, where: object = None) -> MailplugError:
    """A spool file that cannot be written: the disk is full, or the folder is unusable."""
    spec = STORAGE_DISK_FULL if exc.errno == errno.ENOSPC else STORAGE_IO
    where = where if where is not None else tempfile.gettempdir()
    return spec.error(file=str(where), problem=exc.strerror or str(exc), cause=exc)


def _envelope_addr(address: str) -> str:
    local, _, domain = address.rpartition("@")
    if domain.isascii():
        return address
    return f"{local}@{ascii_domain(domain) or domain}"
