"""Hook implementations of the built-in legacy plugin: the importers.

The importer modules are imported inside the hook, which the core calls only when an
import needs them, so building a mailer does not load them.  Their error keys and
texts (``legacy.*``, the reasons) are the core's: the core registers them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mailplug.plugin import hookimpl

if TYPE_CHECKING:
    from mailplug.plugin import Importer


@hookimpl(trylast=True)
def mailplug_register_importers(register: Callable[[str, Importer], None]) -> None:
    from .eml import EmlImporter
    from .maildir import MaildirImporter
    from .mbox import MboxImporter
    from .thunderbird import ThunderbirdImporter

    for importer in (ThunderbirdImporter(), MaildirImporter(), MboxImporter(), EmlImporter()):
        register(importer.name, importer)
