"""Hook implementations of the built-in legacy plugin: importers and their messages."""

from __future__ import annotations

from collections.abc import Callable

from mailplug.errors import ErrorSpec, Text
from mailplug.hookspecs import hookimpl
from mailplug.importing import IMPORT_ERRORS, IMPORT_TEXTS, Importer

from .eml import EmlImporter
from .maildir import MaildirImporter
from .mbox import MboxImporter
from .thunderbird import ThunderbirdImporter


@hookimpl(trylast=True)
def mailplug_register_importers(register: Callable[[str, Importer], None]) -> None:
    for importer in (ThunderbirdImporter(), MaildirImporter(), MboxImporter(), EmlImporter()):
        register(importer.name, importer)


@hookimpl(trylast=True)
def mailplug_register_messages(register: Callable[[ErrorSpec | Text], None]) -> None:
    for spec in IMPORT_ERRORS:
        register(spec)
    for text in IMPORT_TEXTS:
        register(text)
