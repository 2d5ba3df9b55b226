"""Hook implementations of the built-in legacy plugin: importers and their messages.

The importer modules are imported inside the hooks, which the core calls only when an
import or the message table is needed, so building a mailer does not load them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mailplug.hookspecs import hookimpl

if TYPE_CHECKING:
    from mailplug.errors import ErrorSpec, Text
    from mailplug.importing import Importer


@hookimpl(trylast=True)
def mailplug_register_importers(register: Callable[[str, Importer], None]) -> None:
    from .eml import EmlImporter
    from .maildir import MaildirImporter
    from .mbox import MboxImporter
    from .thunderbird import ThunderbirdImporter

    for importer in (ThunderbirdImporter(), MaildirImporter(), MboxImporter(), EmlImporter()):
        register(importer.name, importer)


@hookimpl(trylast=True)
def mailplug_register_messages(register: Callable[[ErrorSpec | Text], None]) -> None:
    from mailplug.importing import IMPORT_ERRORS, IMPORT_TEXTS

    for spec in IMPORT_ERRORS:
        register(spec)
    for text in IMPORT_TEXTS:
        register(text)
