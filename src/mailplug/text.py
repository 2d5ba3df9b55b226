"""Translatable text: the :class:`Text` marker and the forgiving ``{placeholder}`` filler.

The bottom of the house: it imports nothing of mailplug, so every other module
(errors, catalogs, status names) can use it.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

__all__ = ["CatalogFile", "Text", "fill", "format_number", "format_size", "format_when"]

#: A gettext ``.po`` file: a path, or an :mod:`importlib.resources` traversable (wheel).
CatalogFile = Traversable | Path


@dataclass(frozen=True, slots=True)
class Text:
    """A user-facing text marked for translation.

    ``msgid`` is the English source; ``context`` (gettext's ``msgctxt``) keeps
    equal English strings apart when a language needs them to differ.
    ``plural`` makes it a plural-aware text rendered with a count ``n``.
    """

    msgid: str
    context: str | None = None
    plural: str | None = None


class _Params(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "…"


_UNITS = ("B", "kB", "MB", "GB", "TB")


def format_size(size: int, lang: str | None = None) -> str:
    """``size`` bytes for people: ``1,5 MB`` in Polish, ``1.5 MB`` in English (babel)."""
    from babel.numbers import format_decimal

    value = float(size)
    unit = 0
    while value >= 1024 and unit < len(_UNITS) - 1:
        value /= 1024
        unit += 1
    locale = (lang or "en").replace("-", "_")
    try:
        number = format_decimal(value, format="#,##0.#", locale=locale)
    except (ValueError, LookupError):  # a locale babel does not know: its digits are fine
        number = format_decimal(value, format="#,##0.#", locale="en")
    return f"{number}\u00a0{_UNITS[unit]}"


def format_number(value: float, lang: str | None = None) -> str:
    """``value`` with the language's digit grouping and decimal sign (babel): ``1 234``."""
    from babel.core import UnknownLocaleError
    from babel.numbers import format_decimal

    locale = (lang or "en").replace("-", "_")
    for candidate in (locale, locale.split("_", maxsplit=1)[0], "en"):
        try:
            return str(format_decimal(value, locale=candidate))
        except (ValueError, LookupError, UnknownLocaleError):
            continue
    return str(value)


def format_when(
    value: datetime, lang: str | None = None, *, seconds: bool = False, short: bool = False
) -> str:
    """A moment for people, in local time and the language's form (babel).

    ``4 grudnia 2026, 07:06`` in Polish, ``December 4, 2026, 7:06 AM`` in English;
    ``short`` gives the abbreviated date for tables (``4 gru 2026, 07:06``) and
    ``seconds`` adds the seconds (leases last seconds).  JSON keeps ISO 8601.
    """
    from babel.core import UnknownLocaleError
    from babel.dates import format_date, format_time

    local = value.astimezone() if value.tzinfo is not None else value
    naive = local.replace(tzinfo=None)
    locale = (lang or "en").replace("-", "_")
    for candidate in (locale, locale.split("_", maxsplit=1)[0], "en"):
        try:
            day = format_date(naive.date(), "medium" if short else "long", locale=candidate)
            time = format_time(naive.time(), "medium" if seconds else "short", locale=candidate)
        except (ValueError, LookupError, UnknownLocaleError):
            continue
        return f"{day}, {time}"
    return naive.isoformat(sep=" ", timespec="seconds" if seconds else "minutes")


def fill(template: str, params: Mapping[str, Any]) -> str:
    """``template`` with its ``{placeholders}`` filled from ``params``.

    Forgiving on purpose: a translation that names a placeholder the code did
    not pass shows an ellipsis instead of turning an error report into a
    ``KeyError``; a malformed template is returned as it is.
    """
    try:
        return string.Formatter().vformat(template, (), _Params(params))
    except (ValueError, IndexError):
        return template
