"""The plugin manager factory and a typed facade over its hooks.

:func:`get_plugin_manager` builds a fresh :class:`pluggy.PluginManager`:
built-in plugins are registered explicitly, then third-party plugins from the
``mailplug`` entry-point group, then ``check_pending()`` makes a misspelled
hook fail loudly.  Nothing here runs at import time.

A third-party plugin that fails to import, or that declares a
``mailplug_api`` range this version does not satisfy, is refused: the host
keeps working and :attr:`Plugins.infos` (``mailplug plugins``) says why.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

from . import hookspecs, keys
from ._version import API_VERSION
from ._versions import satisfies
from .errors import ErrorSpec, MailplugError, Text

if TYPE_CHECKING:
    from .auth import AuthFactory
    from .i18n import CatalogFile
    from .importing import Importer
    from .storage import SecretStoreFactory
    from .transport import TransportFactory

__all__ = ["BUILTIN_PLUGINS", "ENTRY_POINT_GROUP", "PluginInfo", "Plugins", "get_plugin_manager"]

log = logging.getLogger("mailplug.plugins")

ENTRY_POINT_GROUP = "mailplug"
DISABLE_ENV = "MAILPLUG_DISABLE_PLUGINS"

#: Built-in plugins: (name, module).  Registered explicitly, in this order.
BUILTIN_PLUGINS: tuple[tuple[str, str], ...] = (
    ("core", "mailplug.builtin"),
    ("check", "mailplug.check_plugin"),
    ("smtp", "mailplug_smtp.plugin"),
    ("oauth", "mailplug_oauth.plugin"),
    ("sqlite", "mailplug_sqlite.plugin"),
    ("legacy", "mailplug_legacy.plugin"),
    ("secrets", "mailplug_secrets.plugin"),
    ("locales", "mailplug_locales.plugin"),
)

_REGISTRATION_HOOKS = {
    "transport": "mailplug_register_transports",
    "auth": "mailplug_register_auth",
    "storage": "mailplug_register_storage",
    "secret-store": "mailplug_register_secret_stores",
    "importer": "mailplug_register_importers",
    "catalog": "mailplug_register_catalogs",
}


@dataclass
class PluginInfo:
    """One plugin as ``mailplug plugins`` shows it."""

    name: str
    source: str  # "builtin", "entrypoint" or "host"
    status: str = "loaded"  # "loaded", "refused" or "disabled"
    distribution: str | None = None
    version: str | None = None
    provides: dict[str, list[str]] = field(default_factory=dict)
    hooks: list[str] = field(default_factory=list)
    error: MailplugError | None = None

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "status": self.status,
            "distribution": self.distribution,
            "version": self.version,
            "provides": self.provides,
            "hooks": self.hooks,
            "error": self.error.to_dict(lang) if self.error else None,
        }


def _disabled(disable: Iterable[str] | None) -> set[str]:
    if disable is not None:
        return {d.strip() for d in disable if d.strip()}
    return {d.strip() for d in os.environ.get(DISABLE_ENV, "").split(",") if d.strip()}


def _check_api(name: str, module: object) -> None:
    required = getattr(module, "mailplug_api", None)
    if required is None:
        return
    try:
        ok = satisfies(API_VERSION, str(required))
    except ValueError:
        ok = False
    if not ok:
        raise keys.PLUGIN_INCOMPATIBLE.error(
            plugin=name, required=str(required), installed=API_VERSION
        )


def get_plugin_manager(
    *,
    disable: Iterable[str] | None = None,
    plugins: Sequence[object] = (),
    entry_points: bool = True,
) -> tuple[pluggy.PluginManager, list[PluginInfo]]:
    """A fresh plugin manager with built-ins, host plugins and entry-point plugins.

    :param disable: plugin names to block; default from ``MAILPLUG_DISABLE_PLUGINS``
        (comma-separated).  Built-ins can be blocked too (``smtp``, ``sqlite`` …).
    :param plugins: plugin objects or modules the host registers itself.
    :param entry_points: load third-party plugins from the ``mailplug`` group.
    :returns: the manager and one :class:`PluginInfo` per plugin seen.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    blocked = _disabled(disable)
    infos: list[PluginInfo] = []

    for name, module_name in BUILTIN_PLUGINS:
        if name in blocked or module_name.split(".")[0] in blocked:
            infos.append(PluginInfo(name, "builtin", status="disabled"))
            continue
        module = importlib.import_module(module_name)
        pm.register(module, name=name)
        infos.append(PluginInfo(name, "builtin"))

    for index, plugin in enumerate(plugins):
        name = getattr(plugin, "__name__", None) or f"{type(plugin).__name__}-{index}"
        if name in blocked:
            infos.append(PluginInfo(name, "host", status="disabled"))
            continue
        info = PluginInfo(name, "host")
        try:
            _check_api(name, plugin)
            pm.register(plugin, name=name)
        except MailplugError as exc:
            info.status, info.error = "refused", exc
        infos.append(info)

    if entry_points:
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = ep.dist
            info = PluginInfo(
                ep.name,
                "entrypoint",
                distribution=dist.name if dist else None,
                version=dist.version if dist else None,
            )
            infos.append(info)
            if ep.name in blocked or (dist is not None and dist.name in blocked):
                info.status = "disabled"
                continue
            if pm.has_plugin(ep.name) or pm.get_plugin(ep.name) is not None:
                info.status = "refused"
                info.error = keys.PLUGIN_CONFLICT.error(
                    kind="plugin", name=ep.name, first=ep.name, second=info.distribution
                )
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # any import-time failure of third-party code
                info.status = "refused"
                info.error = keys.PLUGIN_BROKEN.error(
                    plugin=ep.name, problem=f"{type(exc).__name__}: {exc}", cause=exc
                )
                log.warning("plugin %s refused: %s", ep.name, info.error)
                continue
            try:
                _check_api(ep.name, plugin)
                pm.register(plugin, name=ep.name)
            except MailplugError as exc:
                info.status, info.error = "refused", exc
                log.warning("plugin %s refused: %s", ep.name, exc)
            except ValueError as exc:  # pluggy: invalid hook implementation
                info.status = "refused"
                info.error = keys.PLUGIN_BROKEN.error(plugin=ep.name, problem=str(exc), cause=exc)
    pm.check_pending()
    for info in infos:
        plugin_obj = pm.get_plugin(info.name)
        if plugin_obj is not None:
            info.hooks = sorted(h.name for h in pm.get_hookcallers(plugin_obj) or [])
    return pm, infos


class Plugins:
    """Typed access to what the plugins registered.

    Built by the mailer; collects each registration hook once, attributes
    every name to the plugin that registered it and refuses duplicates.
    """

    def __init__(
        self,
        *,
        disable: Iterable[str] | None = None,
        plugins: Sequence[object] = (),
        entry_points: bool = True,
    ) -> None:
        self.pm, self.infos = get_plugin_manager(
            disable=disable, plugins=plugins, entry_points=entry_points
        )
        self._info_by_name = {i.name: i for i in self.infos}
        self.transports: dict[str, TransportFactory] = self._collect("transport")
        self.auth: dict[str, AuthFactory] = self._collect("auth")
        self.storage: dict[str, Callable[..., Any]] = self._collect("storage")
        self.secret_stores: dict[str, SecretStoreFactory] = self._collect("secret-store")
        self.catalogs: dict[str, list[CatalogFile]] = self._collect_catalogs()
        self.message_owner: dict[int, str] = {}

    # The message tables are collected on first use (explain, i18n check, rendering a
    # stored error key): they import every plugin's key tables, which sending does not need.

    @functools.cached_property
    def importers(self) -> dict[str, Importer]:
        """Legacy-format importers by format name."""
        found: dict[str, Importer] = self._collect("importer")
        return found

    @functools.cached_property
    def messages(self) -> list[ErrorSpec | Text]:
        """Every error spec and text the plugins registered."""
        return self._collect_messages()

    @functools.cached_property
    def errors(self) -> dict[str, ErrorSpec]:
        """Error specs by key."""
        return {m.key: m for m in self.messages if isinstance(m, ErrorSpec)}

    def _impls(self, hook_name: str) -> list[tuple[str, Callable[..., Any]]]:
        caller = getattr(self.pm.hook, hook_name)
        # get_hookimpls() lists implementations in reverse call order.
        return [(impl.plugin_name, impl.function) for impl in reversed(caller.get_hookimpls())]

    def _collect(self, kind: str) -> dict[str, Any]:
        found: dict[str, Any] = {}
        owner: dict[str, str] = {}
        for plugin_name, function in self._impls(_REGISTRATION_HOOKS[kind]):

            def register(name: str, obj: Any, _plugin: str = plugin_name) -> None:
                if name in found:
                    log.info("%s %r from %s is shadowed by %s", kind, name, _plugin, owner[name])
                    return
                found[name], owner[name] = obj, _plugin
                info = self._info_by_name.get(_plugin)
                if info is not None:
                    info.provides.setdefault(kind, []).append(name)

            try:
                function(register)
            except Exception as exc:
                self._refuse_late(plugin_name, exc)
        return found

    def _refuse_late(self, plugin_name: str, exc: Exception) -> None:
        info = self._info_by_name.get(plugin_name)
        error = keys.PLUGIN_BROKEN.error(
            plugin=plugin_name, problem=f"{type(exc).__name__}: {exc}", cause=exc
        )
        log.warning("plugin %s failed while registering: %s", plugin_name, exc)
        if info is not None and info.source != "builtin":
            info.status, info.error = "refused", error
            self.pm.unregister(name=plugin_name)
        else:
            raise error

    def _collect_catalogs(self) -> dict[str, list[CatalogFile]]:
        catalogs: dict[str, list[CatalogFile]] = {}
        for plugin_name, function in self._impls("mailplug_register_catalogs"):

            def register(lang: str, path: CatalogFile, _plugin: str = plugin_name) -> None:
                catalogs.setdefault(lang, []).append(path)
                info = self._info_by_name.get(_plugin)
                if info is not None and lang not in info.provides.get("catalog", []):
                    info.provides.setdefault("catalog", []).append(lang)

            try:
                function(register)
            except Exception as exc:
                self._refuse_late(plugin_name, exc)
        return catalogs

    def _collect_messages(self) -> list[ErrorSpec | Text]:
        out: list[ErrorSpec | Text] = []
        seen: dict[str, ErrorSpec] = {}
        for plugin_name, function in self._impls("mailplug_register_messages"):

            def register(item: ErrorSpec | Text, _plugin: str = plugin_name) -> None:
                if isinstance(item, ErrorSpec):
                    if item.key in seen:
                        if seen[item.key] != item:
                            log.info("error key %s from %s is shadowed", item.key, _plugin)
                        return
                    seen[item.key] = item
                out.append(item)
                self.message_owner[id(item)] = _plugin

            try:
                function(register)
            except Exception as exc:
                self._refuse_late(plugin_name, exc)
        return out

    def texts(self, plugin: str | None = None) -> list[Text]:
        """Every translatable text (of one ``plugin``, or all), deduplicated."""
        out: dict[tuple[str | None, str], Text] = {}
        for item in self.messages:
            if plugin is not None and self.message_owner.get(id(item)) != plugin:
                continue
            items = [item.message_text, item.advice_text] if isinstance(item, ErrorSpec) else [item]
            for text in items:
                out.setdefault((text.context, text.msgid), text)
        return list(out.values())

    def module(self, name: str) -> ModuleType | None:
        plugin = self.pm.get_plugin(name)
        return plugin if isinstance(plugin, ModuleType) else None
