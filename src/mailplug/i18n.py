"""Translation: locale choice, catalogs from the translation hook, lookups with fallback.

Catalogs are gettext ``.po`` files handed in by plugins through
:func:`~mailplug.hookspecs.mailplug_register_catalogs`; babel parses them on
first use.  A lookup tries the requested language, then English, then the
English source text, so a user never sees a raw key.
"""

from __future__ import annotations

import functools
import gettext
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING

from .text import CatalogFile, Text, format_number

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

__all__ = [
    "CatalogFile",
    "CatalogReport",
    "Translator",
    "core_catalog_files",
    "default_translator",
    "detect_locale",
    "language_pack_files",
    "normalize_lang",
]

log = logging.getLogger("mailplug.i18n")

FALLBACK_LANG = "en"


def normalize_lang(value: str) -> str:
    """``pl_PL.UTF-8`` → ``pl_PL``; ``C``/``POSIX`` → ``en``."""
    value = (
        value.split(":", maxsplit=1)[0]
        .split(".", maxsplit=1)[0]
        .split("@", maxsplit=1)[0]
        .replace("-", "_")
        .strip()
    )
    if not value or value in {"C", "POSIX"}:
        return FALLBACK_LANG
    lang, _, region = value.partition("_")
    return f"{lang.lower()}_{region.upper()}" if region else lang.lower()


def detect_locale(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The language: ``explicit``, else ``LANGUAGE``, ``LC_ALL``/``LC_MESSAGES``/``LANG``.

    As in GNU gettext, ``LANGUAGE`` (``pl:en``, first entry) wins over the locale
    variables unless the locale is ``C``/``POSIX``; with nothing set it is English.
    """
    if explicit:
        return normalize_lang(explicit)
    env = os.environ if environ is None else environ
    locale = next((env[n] for n in ("LC_ALL", "LC_MESSAGES", "LANG") if env.get(n)), "")
    first = (env.get("LANGUAGE") or "").split(":", 1)[0].strip()
    if first and locale.split(".", 1)[0] not in ("C", "POSIX"):
        return normalize_lang(first)
    return normalize_lang(locale) if locale else FALLBACK_LANG


def _candidates(lang: str) -> list[str]:
    lang = normalize_lang(lang)
    out = [lang]
    if "_" in lang:
        out.append(lang.split("_")[0])
    if FALLBACK_LANG not in out:
        out.append(FALLBACK_LANG)
    return out


@dataclass
class _Catalog:
    entries: dict[tuple[str | None, str], str | tuple[str, ...]] = field(default_factory=dict)
    fuzzy: set[tuple[str | None, str]] = field(default_factory=set)
    plural: Callable[[int], int] = field(default=lambda n: int(n != 1))
    num_plurals: int = 2
    #: Where each entry (the one that wins) was read: ``file:line``.
    where: dict[tuple[str | None, str], str] = field(default_factory=dict)

    def merge(self, catalog: Catalog, origin: str = "") -> None:
        for message in catalog:
            if not message.id:
                continue
            msgid = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
            key = (message.context, str(msgid))
            if key not in self.entries:
                self.where.setdefault(key, f"{origin}:{message.lineno}")
            if message.fuzzy:
                self.fuzzy.add(key)
                continue
            string = message.string
            translated = (
                tuple(str(s) for s in string) if isinstance(string, (list, tuple)) else str(string)
            )
            if not any(translated if isinstance(translated, tuple) else (translated,)):
                continue
            self.entries.setdefault(key, translated)  # first registered wins


class Translator:
    """Looks texts up in the catalogs of every installed language.

    :param sources: language → ``.po`` files, in priority order (first wins).
    :param lang: default language; ``None`` detects it from the environment.
    """

    def __init__(
        self, sources: Mapping[str, Iterable[CatalogFile]], *, lang: str | None = None
    ) -> None:
        self._sources = {normalize_lang(k): list(v) for k, v in sources.items()}
        self._lang = lang
        self._loaded: dict[str, _Catalog] = {}
        self._lock = threading.Lock()

    @property
    def lang(self) -> str:
        """The default language: the one given, else the environment's (read on each use)."""
        return detect_locale(self._lang)

    def languages(self) -> list[str]:
        return sorted(self._sources)

    def sources(self, lang: str) -> list[CatalogFile]:
        return list(self._sources.get(normalize_lang(lang), []))

    def _catalog(self, lang: str) -> _Catalog | None:
        if lang not in self._sources:
            return None
        with self._lock:
            cat = self._loaded.get(lang)
            if cat is None:
                cat = self._loaded[lang] = self._load(lang)
        return cat

    def _load(self, lang: str) -> _Catalog:
        from babel.messages.pofile import read_po

        cat = _Catalog()
        for source in self._sources[lang]:
            try:
                with source.open("rb") as fh:
                    parsed = read_po(fh, locale=lang.split("_", maxsplit=1)[0], abort_invalid=False)
            except (OSError, ValueError) as exc:
                log.warning("catalog %s for %s could not be read: %s", source, lang, exc)
                continue
            if not cat.entries and parsed.plural_expr:
                cat.plural = gettext.c2py(parsed.plural_expr)
                cat.num_plurals = parsed.num_plurals
            cat.merge(parsed, str(source))
        return cat

    def gettext(self, text: Text, lang: str | None = None, n: int | None = None) -> str:
        """Translate ``text``; for plural texts pass the count ``n`` (formatted as ``{n}``)."""
        key = (text.context, text.msgid)
        shown = lang or self.lang
        count = format_number(n, shown) if n is not None else ""  # "1 234" in Polish
        for candidate in _candidates(shown):
            cat = self._catalog(candidate)
            if cat is None:
                continue
            found = cat.entries.get(key)
            if found is None and text.context is not None:
                found = cat.entries.get((None, text.msgid))
            if found is None:
                continue
            if isinstance(found, tuple):
                index = cat.plural(n if n is not None else 1)
                value = found[index] if index < len(found) else found[-1]
                if value:
                    return value.replace("{n}", count) if n is not None else value
                continue
            return found.replace("{n}", count) if n is not None else found
        source = text.plural if (text.plural and n is not None and n != 1) else text.msgid
        return source.replace("{n}", count) if n is not None else source

    def report(self, lang: str, messages: Iterable[Text]) -> CatalogReport:
        """What ``lang`` lacks among ``messages`` (the ``mailplug i18n check`` data).

        Besides missing and fuzzy entries it finds plural entries without every form the
        language has (babel's plural rules), translations whose ``{placeholders}`` differ
        from the English, and catalog headers that are wrong (charset, Plural-Forms,
        Language).  A fuzzy entry counts as untranslated: gettext does not use it.
        """
        lang = normalize_lang(lang)
        cat = self._catalog(lang) or _Catalog()
        report = CatalogReport(lang=lang, where=cat.where)
        nplurals = _language_plurals(lang)[0]
        for text in messages:
            key = (text.context, text.msgid)
            if key in cat.entries:
                value = cat.entries[key]
                if isinstance(value, tuple) and (
                    len(value) < nplurals or not all(value[:nplurals])
                ):
                    report.untranslated.append(text)
                elif not _same_placeholders(text, value):
                    report.placeholders.append(text)
                continue
            if key in cat.fuzzy:
                report.fuzzy.append(text)
            elif (
                text.context is not None
                and not text.context.endswith(".advice")  # advice needs its own entry
                and (None, text.msgid) in cat.entries
            ):
                continue
            else:
                report.missing.append(text)
        for source in self._sources.get(lang, []):
            report.headers += check_headers(source, lang)
        return report


@dataclass
class CatalogReport:
    lang: str
    missing: list[Text] = field(default_factory=list)
    fuzzy: list[Text] = field(default_factory=list)
    #: Plural entries lacking one of the language's forms (``msgstr[i]``).
    untranslated: list[Text] = field(default_factory=list)
    #: Translations whose ``{placeholders}`` differ from the English (misspelled, dropped
    #: or added): the user would see ``…`` instead of the value.
    placeholders: list[Text] = field(default_factory=list)
    #: Header problems, each ``file:line: what is wrong``.
    headers: list[str] = field(default_factory=list)
    #: ``(context, msgid)`` → ``file:line`` of the entry that was read.
    where: Mapping[tuple[str | None, str], str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not (
            self.missing or self.fuzzy or self.untranslated or self.placeholders or self.headers
        )

    def location(self, text: Text) -> str:
        """``file:line`` of ``text``'s entry, or ``""`` when the catalog lacks it."""
        return self.where.get((text.context, text.msgid), "")


def _language_plurals(lang: str) -> tuple[int, str]:
    """``(nplurals, expression)`` of ``lang`` by babel's (CLDR) plural rules."""
    from babel.core import UnknownLocaleError
    from babel.messages.plurals import get_plural

    try:
        rule = get_plural(lang.split("_", maxsplit=1)[0])
    except (ValueError, LookupError, UnknownLocaleError):
        return 2, "(n != 1)"
    return rule.num_plurals, rule.plural_expr


def _header_fields(raw: str) -> tuple[dict[str, str], int]:
    """The header entry's ``Name: value`` fields and the line it starts on."""
    lines = raw.splitlines()
    start = next(
        (i for i, line in enumerate(lines) if line.strip() == 'msgid ""'),
        -1,
    )
    if start < 0 or start + 1 >= len(lines) or not lines[start + 1].startswith("msgstr"):
        return {}, 1
    chunks: list[str] = []
    for line in lines[start + 1 :]:
        body = line.split("msgstr", 1)[1].strip() if line.startswith("msgstr") else line.strip()
        if not body.startswith('"'):
            break
        chunks.append(body[1:-1])
    text = "".join(chunks)
    fields: dict[str, str] = {}
    for item in text.split("\\n"):
        name, sep, value = item.partition(":")
        if sep:
            fields[name.strip().lower()] = value.strip()
    return fields, start + 1


def check_headers(source: CatalogFile, lang: str) -> list[str]:
    """What is wrong with the header of the ``.po`` file ``source`` for ``lang``.

    The charset must be UTF-8, ``Language`` must name ``lang`` and ``Plural-Forms`` must
    be there and agree with babel's plural rules for ``lang`` (same number of forms, the
    same form chosen for every count up to 1000).
    """
    try:
        raw = source.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [f"{source}:1: cannot be read as UTF-8 ({exc})"]
    fields, line = _header_fields(raw)
    where = f"{source}:{line}"
    problems = []
    content_type = fields.get("content-type", "")
    charset = content_type.lower().partition("charset=")[2].strip()
    if charset.replace("-", "") != "utf8":
        problems.append(f"{where}: Content-Type must say charset=UTF-8 (found {content_type!r})")
    language = fields.get("language", "")
    if not language:
        problems.append(f"{where}: no Language header (should be {lang!r})")
    elif normalize_lang(language) not in {lang, lang.split("_", maxsplit=1)[0]}:
        problems.append(f"{where}: Language is {language!r} in a catalog for {lang!r}")
    forms = fields.get("plural-forms", "")
    want_n, want_expr = _language_plurals(lang)
    if not forms:
        problems.append(
            f"{where}: no Plural-Forms header (should be nplurals={want_n}; plural={want_expr};)"
        )
        return problems
    found = re.match(r"\s*nplurals\s*=\s*(\d+)\s*;\s*plural\s*=\s*(.+?);?\s*$", forms)
    try:
        if found is None:
            raise ValueError(forms)
        n, expr = int(found.group(1)), gettext.c2py(found.group(2))
        want = gettext.c2py(want_expr)
        same = n == want_n and all(expr(i) == want(i) for i in range(1001))
    except (ValueError, SyntaxError):
        problems.append(f"{where}: Plural-Forms cannot be read: {forms!r}")
        return problems
    if not same:
        problems.append(
            f"{where}: Plural-Forms {forms!r} does not match {lang!r} "
            f"(nplurals={want_n}; plural={want_expr};)"
        )
    return problems


_PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _names(template: str) -> set[str]:
    return set(_PLACEHOLDER.findall(template))


def _same_placeholders(text: Text, translation: str | tuple[str, ...]) -> bool:
    """Whether a translation names the same ``{placeholders}`` as the English.

    Plural forms may leave out ``{n}`` (a language may say "one message" in words).
    """
    wanted = _names(text.msgid) | _names(text.plural or "")
    forms = translation if isinstance(translation, tuple) else (translation,)
    for form in forms:
        if not form:
            continue
        got = _names(form)
        if isinstance(translation, tuple):
            if got - wanted or (wanted - {"n"}) - got:
                return False
        elif got != wanted:
            return False
    return True


#: Entry-point group of catalog-only language packages: ``de = "mailplug_lang_de"`` names a
#: package holding ``locales/<lang>/LC_MESSAGES/*.po`` (no code needed).
CATALOG_ENTRY_POINT_GROUP = "mailplug.catalogs"


def _catalogs_under(root: Traversable) -> list[tuple[str, CatalogFile]]:
    """``(lang, po_file)`` for every ``<lang>/LC_MESSAGES/*.po`` under ``root``."""
    found: list[tuple[str, CatalogFile]] = []
    if not root.is_dir():
        return found
    for lang_dir in sorted(root.iterdir(), key=lambda p: p.name):
        messages = lang_dir / "LC_MESSAGES"
        if messages.is_dir():
            found += [
                (lang_dir.name, po)
                for po in sorted(messages.iterdir(), key=lambda p: p.name)
                if po.name.endswith(".po")
            ]
    return found


def core_catalog_files() -> list[tuple[str, CatalogFile]]:
    """The core's own catalogs: ``(lang, po_file)`` for its keys and texts.

    They ship inside the ``mailplug`` package (``mailplug/locales/<lang>/LC_MESSAGES``)
    and are found through :mod:`importlib.resources`, so a wheel install has them.
    Plugins bring their own catalogs through the translation hook.
    """
    return _catalogs_under(resources.files(__package__ or "mailplug") / "locales")


def language_pack_files() -> list[tuple[str, CatalogFile]]:
    """Catalogs of the installed language packages (entry-point group ``mailplug.catalogs``).

    A language package is a distribution with only ``.po`` files in
    ``<package>/locales/<lang>/LC_MESSAGES/`` and the entry point; it adds a language
    to an installed mailplug without code (``examples/mailplug-lang-de``).  A package
    that cannot be found is logged and left out.  Looked up once per ``sys.path``.
    """
    import sys

    return list(_language_pack_files(tuple(sys.path)))


@functools.lru_cache(maxsize=8)
def _language_pack_files(path: tuple[str, ...]) -> tuple[tuple[str, CatalogFile], ...]:
    """The lookup behind :func:`language_pack_files` (``path`` keys the cache)."""
    from importlib import metadata

    found: list[tuple[str, CatalogFile]] = []
    group = metadata.entry_points(group=CATALOG_ENTRY_POINT_GROUP)
    for ep in sorted(group, key=lambda e: e.name):
        try:
            root = resources.files(ep.module) / "locales"
        except Exception as exc:  # a broken package must not stop mail: logged, left out
            log.warning("language package %s (%s) cannot be read: %s", ep.name, ep.value, exc)
            continue
        files = _catalogs_under(root)
        if not files:
            log.warning(
                "language package %s (%s) has no locales/*/LC_MESSAGES/*.po", ep.name, ep.value
            )
        found += files
    return tuple(found)


@functools.cache
def default_translator() -> Translator:
    """A translator over the core's own catalogs (no plugin is loaded).

    Errors raised outside any mailer (a :class:`~mailplug.models.Message` that
    does not validate, an unreadable accounts file) render through it; errors
    a mailer raises carry that mailer's translator, with every plugin's catalogs.
    """
    sources: dict[str, list[CatalogFile]] = {}
    for lang, path in (*language_pack_files(), *core_catalog_files()):
        sources.setdefault(lang, []).append(path)
    return Translator(sources)
