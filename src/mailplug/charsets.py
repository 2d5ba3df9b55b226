"""Text that arrives as bytes (standard input, an HTML file): decoded as declared, or refused.

mailplug composes everything as UTF-8, so it needs to know what the bytes
mean.  It never guesses among legacy single-byte encodings (any byte string
"decodes" in all of them, just wrongly); it takes the character set that was
declared, in this order:

1. the one the caller gives (``mailplug send --charset windows-1250``);
2. a byte-order mark (UTF-8, UTF-16, UTF-32);
3. valid UTF-8;
4. for HTML, ``<meta charset="…">`` or ``<meta http-equiv="Content-Type" content="…;
   charset=…">`` near the top;
5. a fallback the caller knows (the terminal's encoding for standard input).

Anything else is refused with ``message.undecodable``, before anything is stored.
"""

from __future__ import annotations

import codecs
import re

from . import keys

__all__ = ["decode_text", "find_surrogates"]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: How far into an HTML file a ``<meta>`` charset is looked for (HTML5 says 1024 bytes;
#: real files put comments and long titles first).
_META_WINDOW = 4096
_META = re.compile(
    rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:+-]+)""", re.IGNORECASE | re.DOTALL
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _codec(name: str, field: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise keys.MESSAGE_UNDECODABLE.error(field=field, charset=name) from None


def _decode(data: bytes, charset: str, field: str) -> str:
    try:
        return data.decode(_codec(charset, field))
    except UnicodeDecodeError as exc:
        raise keys.MESSAGE_UNDECODABLE.error(field=field, charset=charset, cause=exc) from exc


def declared_in_html(data: bytes) -> str | None:
    """The character set an HTML document declares in a ``<meta>`` near its top."""
    found = _META.search(data[:_META_WINDOW])
    return found.group(1).decode("ascii") if found else None


def decode_text(
    data: bytes,
    *,
    field: str,
    charset: str | None = None,
    html: bool = False,
    fallback: str | None = None,
) -> str:
    """``data`` as text, in the character set it was declared in (see the module).

    :param field: what the text is, for the error (``text``, ``HTML``).
    :param charset: the character set the caller declares (wins over everything).
    :param html: look for a ``<meta>`` charset too.
    :param fallback: tried last (e.g. the terminal's encoding).
    :raises mailplug.errors.MessageError: ``message.undecodable``.
    """
    if charset:
        return _decode(data, charset, field)
    for bom, name in _BOMS:
        if data.startswith(bom):
            return _decode(data, name, field)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = declared_in_html(data) if html else None
    if declared is not None and _codec(declared, field) != "utf-8":
        return _decode(data, declared, field)
    if fallback and _codec(fallback, field) != "utf-8":
        return _decode(data, fallback, field)
    raise keys.MESSAGE_UNDECODABLE.error(field=field, charset=declared or "UTF-8")


def find_surrogates(value: object, path: str = "") -> str | None:
    """The first place in ``value`` (nested dicts, lists, strings) holding a lone
    surrogate, as a dotted path (``subject``, ``to.0.name``), else ``None``."""
    if isinstance(value, str):
        return path or "text" if _SURROGATE.search(value) else None
    if isinstance(value, dict):
        items = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, (list, tuple)):
        items = [(str(i), v) for i, v in enumerate(value)]
    else:
        return None
    for key, item in items:
        found = find_surrogates(item, f"{path}.{key}" if path else key)
        if found is not None:
            return found
    return None
