"""Reading one message as older programs left it: liberal in what it accepts.

:func:`parse` turns the raw bytes of one message (from an ``.eml`` file, an
mbox, a Maildir) into an :class:`~mailplug.plugin.ImportedMessage`, or
explains why it cannot: :class:`~mailplug.plugin.ImportProblem` (corrupt,
truncated) or :class:`~mailplug.plugin.ImportSkipped` (deleted in the old
program).  It never raises for bad input.

Encodings as found in the wild: RFC 2047 words in any charset (UTF-8,
ISO-8859-2, Windows-1250 and their misspellings), raw 8-bit headers, unknown or
broken charsets (decoded with a Polish-friendly guess instead of failing), CR,
LF and CRLF line endings (stored as CRLF).  Other third-party importers may use
this module too.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import contextvars
import functools
import hashlib
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, getaddresses, parsedate_to_datetime
from pathlib import Path

from mailplug.plugin import (
    Address,
    ImportedMessage,
    ImportItem,
    ImportProblem,
    ImportSkipped,
    Kind,
    MailplugError,
    Reason,
    Text,
    ascii_domain,
    is_client_header,
)
from mailplug.plugin import import_keys as imp

__all__ = [
    "LEGACY_CHARSETS",
    "decode_header",
    "decode_text",
    "folder_kind",
    "from_line_date",
    "guess_legacy",
    "normalize_newlines",
    "parse",
]

_HEADER_RE = re.compile(rb"^([!-9;-~]+)[ \t]*:")
# The payload may hold spaces and folds: real clients write them (Big5, UTF-8 subjects)
# and mail clients read them; a payload never holds "?", so a word cannot run on.
_ENCODED_WORD_RE = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*?)\?=")
_FOLD_IN_WORD_RE = re.compile(r"\r?\n[ \t]*")
_BOUNDARY_RE = re.compile(r"""boundary\s*=\s*(?:"([^"]+)"|([^;\s"]+))""", re.I)
_MSGID_RE = re.compile(r"<[^<>\s]+>")
_BAD_CONTROL_RE = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_NOT_BASE64_RE = re.compile(r"[^A-Za-z0-9+/]")
_FOLD_RE = re.compile(r"\n[ \t]+")
_CHARSET_RE = re.compile(rb"""charset\s*=\s*"?([^";\s]+)""", re.I)

#: Headers that only make sense inside the old program's mailbox files; never stored.
_INTERNAL = frozenset(
    {
        "x-mozilla-status",
        "x-mozilla-status2",
        "x-mozilla-keys",
        "status",
        "x-status",
        "x-uid",
        "x-keywords",
        "content-length",
        "lines",
        "x-imap",
        "x-imapbase",
    }
)
#: Headers removed from a message that will be sent (Bcc must not travel).
_NOT_SENT = frozenset({"bcc", "x-unsent", "return-path", "delivered-to", "x-mozilla-draft-info"})
#: Headers that make a header block look like an e-mail message.
_MAIL_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "subject",
        "date",
        "message-id",
        "received",
        "return-path",
        "sender",
        "mime-version",
        "content-type",
        "reply-to",
        "in-reply-to",
        "references",
    }
)

# Charset names as mail programs wrote them, mapped to Python codecs.
_CHARSET_ALIASES = {
    "win-1250": "cp1250",
    "win1250": "cp1250",
    "windows1250": "cp1250",
    "cp-1250": "cp1250",
    "x-cp1250": "cp1250",
    "windows-1250": "cp1250",
    "win-1252": "cp1252",
    "x-cp1252": "cp1252",
    "iso8859-2": "iso8859_2",
    "iso-8859-2": "iso8859_2",
    "iso_8859-2": "iso8859_2",
    "latin-2": "iso8859_2",
    "iso-8859-8-i": "iso8859_8",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gbk",
    "x-gbk": "gbk",
    "utf8": "utf-8",
    "x-user-defined": "cp1252",
    "ansi_x3.4-1968": "ascii",
    "us-ascii": "ascii",
}
_UNKNOWN_CHARSETS = frozenset({"unknown", "unknown-8bit", "x-unknown", "default", "8bit", ""})

# Thunderbird's X-Mozilla-Status flags.
_MOZ_EXPUNGED = 0x0008
_MOZ_QUEUED = 0x0800

_QUEUED_FOLDERS = frozenset(
    {
        "unsent messages",
        "unsent",
        "outbox",
        "queue",
        "skrzynka nadawcza",
        "do wysłania",
        "niewysłane",
        "wiadomości niewysłane",
        "postausgang",
        "nicht gesendete nachrichten",
        "boîte d'envoi",
        "messages en attente",
        "bandeja de salida",
        "caixa de saída",
        "posta in uscita",
        "postvak uit",
        "utkorgen",
        "исходящие",
    }
)
# Names mail programs and servers give the sent folder (lower case), in the languages
# our users' programs speak; IMAP names arrive decoded from modified UTF-7.
_SENT_FOLDERS = frozenset(
    {
        "sent",
        "sent mail",
        "sent items",
        "sent messages",
        "sent-mail",
        "sentmail",
        "wysłane",
        "elementy wysłane",
        "wysłane elementy",
        "wiadomości wysłane",
        "gesendet",
        "gesendete objekte",
        "gesendete elemente",
        "gesendete nachrichten",
        "envoyés",
        "éléments envoyés",
        "messages envoyés",
        "enviados",
        "elementos enviados",
        "itens enviados",
        "mensagens enviadas",
        "posta inviata",
        "inviati",
        "elementi inviati",
        "verzonden",
        "verzonden items",
        "skickat",
        "skickade objekt",
        "sendt",
        "sendte elementer",
        "sendte",
        "lähetetyt",
        "odeslané",
        "odeslaná pošta",
        "odoslané",
        "elküldött",
        "elküldött elemek",
        "gönderilmiş öğeler",
        "gönderilen",
        "отправленные",
        "надіслані",
        "trimise",
        "poslano",
        "poslane",
        "已发送",
        "送信済み",
    }
)
_MUTF7_RE = re.compile(r"&([A-Za-z0-9+,]*)-")


def _imap_utf7(name: str) -> str:
    """An IMAP folder name in modified UTF-7 (``Wys&AUI-ane``), as the server stores it."""
    if "&" not in name:
        return name

    def repl(match: re.Match[str]) -> str:
        chunk = match.group(1)
        if not chunk:
            return "&"
        data = chunk.replace(",", "/")
        try:
            return base64.b64decode(data + "=" * (-len(data) % 4)).decode("utf-16-be")
        except (binascii.Error, ValueError):
            return match.group(0)

    return _MUTF7_RE.sub(repl, name)


def folder_kind(name: str, *, sent_names: frozenset[str] = frozenset()) -> Kind | None:
    """Whether a mail folder called ``name`` holds unsent or sent mail (``None``: neither).

    Understands Maildir++ names (``.Sent``, ``INBOX.Sent``), Gmail's
    ``[Gmail]/Sent Mail``, file extensions (``Sent.mbox``) and Polish names.
    """
    folded = _imap_utf7(name.strip()).casefold()
    for suffix in (".mbox", ".mbx", ".sbd", ".eml"):
        folded = folded.removesuffix(suffix)
    folded = re.split(r"[./\\]", folded.lstrip("."))[-1].strip() if folded else folded
    if folded in _QUEUED_FOLDERS:
        return Kind.QUEUED
    if folded in _SENT_FOLDERS or folded in sent_names:
        return Kind.SENT
    return None


# --------------------------------------------------------------------------
# Bytes and text
# --------------------------------------------------------------------------


def normalize_newlines(data: bytes) -> bytes:
    """CRLF, lone CR and LF all become LF."""
    if b"\r" not in data:
        return data
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _codec(charset: str | None) -> str | None:
    if charset is None:
        return None
    name = charset.strip().strip('"').split("*", 1)[0].lower()
    if name in _UNKNOWN_CHARSETS:
        return None
    name = _CHARSET_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


#: Code pages older programs wrote in each language, most likely first.  Unlabelled 8-bit
#: text is tried in the user's language's code pages, then Polish ones (the users this
#: module was written for), then Windows-1252, the de-facto default of Western mail.
LEGACY_CHARSETS: dict[str, tuple[str, ...]] = {
    "pl": ("iso8859_2", "cp1250"),
    "cs": ("iso8859_2", "cp1250"),
    "sk": ("iso8859_2", "cp1250"),
    "hu": ("iso8859_2", "cp1250"),
    "sl": ("iso8859_2", "cp1250"),
    "hr": ("iso8859_2", "cp1250"),
    "ro": ("iso8859_16", "cp1250"),
    "de": ("cp1252",),
    "fr": ("cp1252",),
    "es": ("cp1252",),
    "it": ("cp1252",),
    "en": ("cp1252",),
    "tr": ("iso8859_9", "cp1254"),
    "ru": ("koi8_r", "cp1251"),
    "uk": ("koi8_u", "cp1251"),
    "bg": ("cp1251",),
    "el": ("iso8859_7", "cp1253"),
}
#: Letters only a language's own text has: a decoding that yields them (and no
#: letters foreign to the language) reads as that language.
_LETTERS: dict[str, frozenset[str]] = {
    "pl": frozenset("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ"),
    "cs": frozenset("áčďéěíňóřšťúůýžÁČĎÉĚÍŇÓŘŠŤÚŮÝŽ"),
    "sk": frozenset("áäčďéíĺľňóôŕšťúýžÁÄČĎÉÍĹĽŇÓÔŔŠŤÚÝŽ"),
    "hu": frozenset("áéíóöőúüűÁÉÍÓÖŐÚÜŰ"),
    "sl": frozenset("čšžČŠŽ"),
    "hr": frozenset("čćđšžČĆĐŠŽ"),
    "ro": frozenset("ăâîșşțţĂÂÎȘŞȚŢ"),
    "tr": frozenset("çğıöşüÇĞİÖŞÜ"),
}
_HOME_LANGUAGES = ("pl",)
_LANGUAGES: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "mailplug_legacy_languages", default=_HOME_LANGUAGES
)


def _reads_as(text: str, lang: str) -> int:
    """How much ``text`` reads as ``lang``: its own letters, minus foreign letters and C1.

    For a language without a letter table every letter counts, but a capital inside
    a word counts against (the mark of Cyrillic read in the wrong code page).
    """
    letters = _LETTERS.get(lang)
    score = 0
    prev = " "
    for ch in text:
        if ch >= "\x80":
            if ch <= "\x9f":
                score -= 2
            elif letters is not None:
                score += 1 if ch in letters else -1 if ch.isalpha() else 0
            elif ch.isalpha():
                score += -1 if ch.isupper() and prev.isalpha() else 1
        prev = ch
    return score


def guess_legacy(raw: bytes, languages: tuple[str, ...] | None = None) -> str:
    """Unlabelled 8-bit text: the user's languages' code pages, else Windows-1252.

    The reading that looks most like its language wins ("Nº" in Windows-1252 reads
    "Nş" in ISO-8859-2: a letter Polish does not have); on a tie the user's own
    language comes first, then Polish; when nothing reads well, Windows-1252.
    """
    langs = languages if languages is not None else _LANGUAGES.get()
    best: str | None = None
    best_score = 0
    for lang in dict.fromkeys(code.split("_")[0] for code in (*langs, *_HOME_LANGUAGES)):
        for codec in LEGACY_CHARSETS.get(lang, ()):
            try:
                text = raw.decode(codec)
            except (UnicodeDecodeError, LookupError):
                continue
            score = _reads_as(text, lang)
            if score > best_score:
                best, best_score = text, score
    return best if best is not None else raw.decode("cp1252", errors="replace")


def decode_text(raw: bytes, hint: str | None = None) -> str:
    """Bytes of unknown encoding as text; never fails.

    Tries ASCII, UTF-8, the declared ``hint``, then :func:`guess_legacy`.
    """
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    codec = _codec(hint)
    if codec is not None and codec not in {"utf-8", "ascii"}:
        try:
            return raw.decode(codec)
        except (UnicodeDecodeError, LookupError):
            pass
    return guess_legacy(raw)


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    payload = _FOLD_IN_WORD_RE.sub("", payload) if "\n" in payload else payload
    try:
        if encoding in "bB":
            clean = "".join(payload.split()).rstrip("=")
            if not clean or _NOT_BASE64_RE.search(clean):
                return None
            return base64.b64decode(clean + "=" * (-len(clean) % 4))
        data = payload.replace("_", " ").encode("ascii", errors="replace")
        return binascii.a2b_qp(data)
    except (binascii.Error, ValueError):
        return None


def decode_header(value: str, hint: str | None = None) -> str:
    """Decode RFC 2047 encoded words in ``value``; broken words stay as written.

    Adjacent words in one charset are joined before decoding, so a character
    split between two words (common in UTF-8 subjects) comes out whole.
    """
    if "=?" not in value:
        return value
    pieces: list[tuple[str | None, bytes | str]] = []  # (charset, bytes) or (None, text)
    pos = 0
    for match in _ENCODED_WORD_RE.finditer(value):
        between = value[pos : match.start()]
        decoded = _word_bytes(match.group(2), match.group(3))
        if decoded is None:
            pieces.append((None, between + match.group(0)))
            pos = match.end()
            continue
        if between and not (between.isspace() and pieces and pieces[-1][0] is not None):
            pieces.append((None, between))
        charset = match.group(1).split("*", 1)[0].lower()
        if pieces and pieces[-1][0] == charset:
            prev = pieces[-1][1]
            assert isinstance(prev, bytes)
            pieces[-1] = (charset, prev + decoded)
        else:
            pieces.append((charset, decoded))
        pos = match.end()
    pieces.append((None, value[pos:]))
    out: list[str] = []
    for charset, chunk in pieces:
        if charset is None:
            assert isinstance(chunk, str)
            out.append(chunk)
            continue
        assert isinstance(chunk, bytes)
        codec = _codec(charset)
        if codec is not None:
            try:
                out.append(chunk.decode(codec))
                continue
            except UnicodeDecodeError:
                pass
        out.append(decode_text(chunk, hint if codec is None else None))
    return "".join(out)


def _unfold(value: str) -> str:
    if "\n" not in value:
        return value.strip()
    return _FOLD_RE.sub(" ", value).replace("\n", " ").strip()


# --------------------------------------------------------------------------
# The header block
# --------------------------------------------------------------------------


class _Bad(Exception):
    def __init__(self, reason: Text, at: int | None = None) -> None:
        super().__init__(reason.msgid)
        self.reason = reason
        self.at = at  # where in the message the damage starts (bytes), if known


@dataclass(slots=True)
class _Header:
    name: str  # lower case
    raw: bytes  # the whole field, folded lines joined by LF, without the final LF

    @property
    def value(self) -> bytes:
        return self.raw.split(b":", 1)[1]


def _split(data: bytes) -> tuple[list[_Header], bytes, bool]:
    """Headers, body, and whether a blank line separated them (``data`` has LF endings)."""
    headers: list[_Header] = []
    cut = data.find(b"\n\n")
    if data.startswith(b"\n"):
        cut = 0
    block = data if cut < 0 else data[:cut]
    pos = 0
    separated = cut >= 0
    for line in block.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if not headers:
                raise _Bad(imp.REASON_NOT_MAIL)
            headers[-1].raw += b"\n" + line
        elif line or pos < len(block):
            match = _HEADER_RE.match(line)
            if match is None:
                if not headers:
                    raise _Bad(imp.REASON_NOT_MAIL)
                # A missing blank line before the body: the rest is the body.
                separated = False
                break
            headers.append(_Header(match.group(1).decode("ascii").lower(), line))
        pos += len(line) + 1
    else:  # every line of the block was a header: the body follows the blank line
        if cut >= 0:
            pos = cut + 2 if cut > 0 else 1
    bad = _BAD_CONTROL_RE.search(data, 0, min(pos, len(data)))
    if bad is not None:
        raise _Bad(imp.REASON_BINARY, bad.start())
    return headers, data[pos:], separated


def _first(headers: list[_Header], name: str) -> _Header | None:
    for h in headers:
        if h.name == name:
            return h
    return None


def _charset_hint(headers: list[_Header]) -> str | None:
    ct = _first(headers, "content-type")
    if ct is None:
        return None
    match = _CHARSET_RE.search(ct.value)
    return match.group(1).decode("ascii", errors="replace") if match else None


def _text(header: _Header | None, hint: str | None) -> str:
    if header is None:
        return ""
    return _unfold(decode_header(decode_text(header.value, hint), hint))


_SIMPLE_ADDR_RE = re.compile(
    r"\s*(?:([^<>@,]*?)\s*<([^<>\s@]+@[^<>\s@]+)>|([^<>\s@]+@[^<>\s@]+))\s*"
)


def _simple_addresses(value: str) -> list[tuple[str, str]] | None:
    """``Name <a@b>, c@d`` without quotes or comments, fast; ``None`` for anything else."""
    if '"' in value or "(" in value or "\\" in value or ";" in value:
        return None
    out: list[tuple[str, str]] = []
    for piece in value.split(","):
        if not piece.strip():
            continue
        match = _SIMPLE_ADDR_RE.fullmatch(piece)
        if match is None:
            return None
        name, bracketed, bare = match.groups()
        out.append((name or "", bracketed or bare))
    return out


def _addresses(headers: list[_Header], names: tuple[str, ...], hint: str | None) -> list[Address]:
    """Valid addresses of the named fields; unparseable ones are left out (liberal reading)."""
    values = [_unfold(decode_text(h.value, hint)) for h in headers if h.name in names]
    out: list[Address] = []
    for value in values:
        pairs = _simple_addresses(value)
        for name, found in pairs if pairs is not None else getaddresses([value]):
            email = found.strip()
            if not email or "@" not in email:
                continue
            found_address = _address(email, decode_header(name, hint) or None)
            if found_address is not None:
                out.append(found_address)
    return out


@functools.lru_cache(maxsize=4096)
def _address(email: str, name: str | None) -> Address | None:
    """A valid address or ``None``; cached, as a mailbox repeats the same few addresses."""
    try:
        return Address.parse({"email": email, "name": name})
    except MailplugError:
        return None


def _parse_date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def from_line_date(line: bytes) -> datetime | None:
    """The date on an mbox ``From sender asctime`` separator line, if it has one."""
    text = line.decode("ascii", errors="replace").strip()
    parts = text.split()
    for start in range(2, min(len(parts), 4)):
        candidate = " ".join(parts[start : start + 5])
        for fmt in ("%a %b %d %H:%M:%S %Y", "%a %b %d %H:%M %Y"):
            try:
                return datetime(*time.strptime(candidate, fmt)[:6], tzinfo=UTC)
            except ValueError:
                continue
    return None


def _message_id(headers: list[_Header]) -> str | None:
    header = _first(headers, "message-id")
    if header is None:
        return None
    value = _unfold(decode_text(header.value))
    match = _MSGID_RE.search(value)
    if match:
        return match.group(0)
    value = value.strip()
    if value and " " not in value and "@" in value:
        return f"<{value.strip('<>')}>"
    return None


def _unclosed(headers: list[_Header], body: bytes, hint: str | None) -> bool:
    ct = _first(headers, "content-type")
    if ct is None:
        return False
    value = decode_text(ct.value, hint)
    if "multipart/" not in value.lower():
        return False
    match = _BOUNDARY_RE.search(value)
    if match is None:
        return False
    boundary = (match.group(1) or match.group(2)).encode("utf-8", errors="replace")
    return b"\n--" + boundary + b"--" not in b"\n" + body


def _moz_flags(headers: list[_Header]) -> int:
    header = _first(headers, "x-mozilla-status")
    if header is None:
        return 0
    try:
        return int(header.value.strip()[:8], 16)
    except ValueError:
        return 0


def _date(
    headers: list[_Header], from_line: bytes | None, fallback: datetime | None
) -> datetime | None:
    found = _parse_date(_text(_first(headers, "date"), None))
    if found is not None:
        return found
    received = _first(headers, "received")
    if received is not None:
        text = _text(received, None)
        found = _parse_date(text.rpartition(";")[2].strip())
        if found is not None:
            return found
    if from_line:
        found = from_line_date(from_line)
        if found is not None:
            return found
    return fallback


def _crlf(data: bytes) -> bytes:
    data = data.replace(b"\n", b"\r\n")
    return data if data.endswith(b"\r\n") else data + b"\r\n"


# --------------------------------------------------------------------------
# One message
# --------------------------------------------------------------------------


def parse(
    raw: bytes,
    *,
    source: Path,
    folder: Kind | None = None,
    force: Kind | None = None,
    index: int | None = None,
    offset: int | None = None,
    from_line: bytes | None = None,
    fallback_date: datetime | None = None,
    now: datetime | None = None,
    languages: tuple[str, ...] = (),
) -> ImportItem:
    """Read one message.

    :param raw: the message bytes (any line endings; mbox escaping already undone).
    :param folder: what the folder it came from says (``Unsent Messages`` → queued).
    :param force: the user's choice (``--as``), above everything else.
    :param from_line: the mbox separator line, a last resort for the date.
    :param fallback_date: used when the message tells no date (file time).
    :param languages: the user's languages, first choice first: unlabelled 8-bit text is
        read in their code pages (:func:`guess_legacy`).
    :returns: an :class:`ImportedMessage`, :class:`ImportSkipped` or :class:`ImportProblem`.
    """
    token = _LANGUAGES.set(languages) if languages else None
    try:
        return _parse(raw, source, folder, force, index, offset, from_line, fallback_date, now)
    except _Bad as bad:
        params = {}
        if bad.at is not None:
            # The message starts after its mbox separator line (``offset`` is the line's).
            start = (offset or 0) + (len(from_line) + 1 if from_line else 0)
            params["byte"] = start + bad.at
        return ImportProblem.file(source, bad.reason, index=index, offset=offset, **params)
    except (ValueError, LookupError, UnicodeError, OverflowError, MailplugError):
        # Input we did not foresee: report it as corrupt rather than stop the import.
        return ImportProblem.file(source, imp.REASON_NOT_MAIL, index=index, offset=offset)
    finally:
        if token is not None:
            _LANGUAGES.reset(token)


def _parse(
    raw: bytes,
    source: Path,
    folder: Kind | None,
    force: Kind | None,
    index: int | None,
    offset: int | None,
    from_line: bytes | None,
    fallback_date: datetime | None,
    now: datetime | None,
) -> ImportItem:
    data = normalize_newlines(raw)
    if not data.strip():
        # Inside a mailbox only the message is empty; a file of its own is empty itself.
        raise _Bad(imp.REASON_MESSAGE_EMPTY if index is not None else imp.REASON_EMPTY)
    if data.startswith(b"From ") and b"\n" in data:
        # An .eml saved from a mailbox keeps its separator line.
        line, _, data = data.partition(b"\n")
        from_line = from_line or line
    headers, body, separated = _split(data)
    if not any(h.name in _MAIL_HEADERS for h in headers):
        raise _Bad(imp.REASON_NOT_MAIL)
    if not separated and not data.endswith(b"\n"):
        raise _Bad(imp.REASON_TRUNCATED, len(raw))
    hint = _charset_hint(headers)
    # A multipart cut before its closing boundary is read as mail clients read it (each
    # part up to where the data ends); the report notes it.
    notes = (Reason(imp.NOTE_UNCLOSED),) if _unclosed(headers, body, hint) else ()

    subject = _text(_first(headers, "subject"), hint)
    flags = _moz_flags(headers)
    if flags & _MOZ_EXPUNGED:
        return ImportSkipped(
            source, Reason(imp.REASON_DELETED), subject=subject, index=index, offset=offset
        )
    kind = force or folder
    if kind is None:
        unsent = _text(_first(headers, "x-unsent"), None).strip()
        kind = Kind.QUEUED if unsent == "1" or flags & _MOZ_QUEUED else Kind.SENT

    senders = _addresses(headers, ("from",), hint)
    if len(senders) != 1:
        senders = _addresses(headers, ("sender",), hint) or senders
    sender = senders[0] if senders else None
    recipients: list[str] = []
    visible: list[str] = []
    smtputf8 = bool(sender and sender.needs_smtputf8)
    for addr in _addresses(headers, ("to", "cc", "bcc"), hint):
        wire = addr.ascii_email
        if wire not in recipients:
            recipients.append(wire)
            smtputf8 = smtputf8 or addr.needs_smtputf8
    for addr in _addresses(headers, ("to", "cc"), hint):
        if str(addr) not in visible:
            visible.append(str(addr))

    kept = [h for h in headers if h.name not in _INTERNAL]
    canonical = _crlf(b"\n".join(h.raw for h in kept) + b"\n\n" + body)
    digest = hashlib.sha256(canonical).hexdigest()
    changed = False
    message_id = _message_id(headers)
    dedupe_key = f"message-id:{message_id}" if message_id else f"sha256:{digest}"
    date = _date(headers, from_line, fallback_date)

    if kind is Kind.QUEUED:
        # Thunderbird's own fields (FCC holds the IMAP login) go, as Thunderbird drops them.
        kept = [h for h in kept if h.name not in _NOT_SENT and not is_client_header(h.name)]
        changed = True
    if message_id is None:
        domain = (ascii_domain(sender.domain) if sender else None) or "import.mailplug.invalid"
        message_id = f"<{digest[:32]}@{domain}>"
        if kind is Kind.QUEUED:
            kept.append(_Header("message-id", b"Message-ID: " + message_id.encode("ascii")))
    if kind is Kind.QUEUED and _first(kept, "date") is None:
        stamp = format_datetime((now or datetime.now(UTC)).astimezone())
        kept.append(_Header("date", b"Date: " + stamp.encode("ascii")))
    stored = _crlf(b"\n".join(h.raw for h in kept) + b"\n\n" + body) if changed else canonical
    return ImportedMessage(
        source=source,
        kind=kind,
        data=stored,
        sender=sender,
        recipients=tuple(recipients),
        to=tuple(visible),
        subject=subject,
        message_id=message_id,
        dedupe_key=dedupe_key,
        date=date,
        smtputf8=smtputf8,
        index=index,
        offset=offset,
        notes=notes,
    )
