"""Polish and English catalogs of the built-in plugins (``locales/<lang>/LC_MESSAGES/*.po``).

One ``.po`` file per plugin domain (``smtp.po``, ``imap.po``, ``oauth.po``,
``secrets.po``); every ``.po`` file found is registered.  A translator adds a
language by adding ``locales/<lang>/LC_MESSAGES/`` with those files; no code
changes.  The catalogs ship inside this package in the wheel and are found
through :mod:`importlib.resources`.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from importlib.resources.abc import Traversable

__all__ = ["catalog_files"]


def catalog_files() -> Iterator[tuple[str, Traversable]]:
    """Every ``(lang, po_file)`` shipped in this package, sorted by language."""
    root = resources.files(__name__) / "locales"
    if not root.is_dir():
        return
    for lang_dir in sorted(root.iterdir(), key=lambda p: p.name):
        messages = lang_dir / "LC_MESSAGES"
        if not messages.is_dir():
            continue
        for po in sorted(messages.iterdir(), key=lambda p: p.name):
            if po.name.endswith(".po"):
                yield lang_dir.name, po
