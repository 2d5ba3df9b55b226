"""Translatable text: the :class:`Text` marker and the forgiving ``{placeholder}`` filler.

The bottom of the house: it imports nothing of mailplug, so every other module
(errors, catalogs, status names) can use it.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

__all__ = ["CatalogFile", "Text", "fill"]

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
