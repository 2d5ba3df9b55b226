"""Registers the built-in plugins' catalogs through the translation hook."""

from __future__ import annotations

from collections.abc import Callable

from mailplug.plugin import CatalogFile, hookimpl

from . import catalog_files


@hookimpl(trylast=True)
def mailplug_register_catalogs(register: Callable[[str, CatalogFile], None]) -> None:
    for lang, path in catalog_files():
        register(lang, path)
