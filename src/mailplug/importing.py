"""What a legacy importer is: it reads mail and settings left by older programs.

(Interface completed by the legacy-import work; see ``mailplug_legacy``.)
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["Importer"]


class Importer(abc.ABC):
    """Reads one legacy format."""

    name: str = ""

    @abc.abstractmethod
    def sniff(self, path: Path) -> bool:
        """Whether ``path`` looks like this format."""

    @abc.abstractmethod
    def read(self, path: Path) -> Iterator[Any]:
        """Yield what was found; never raise for one bad item, report it instead."""
