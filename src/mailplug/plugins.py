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
from typing import TYPE_CHECKING, Any

import pluggy

from . import hookspecs, keys
from ._version import API_VERSION
from ._versions import satisfies
from .errors import SERVER_UNKNOWN, ErrorSpec, MailplugError
from .text import CatalogFile, Text

if TYPE_CHECKING:
    from .auth import AuthFactory
    from .check import Probe
    from .commands import Command
    from .errors import ServerReply
    from .events import StatusEvent
    from .importers import Importer
    from .models import Account
    from .outgoing import Outgoing
    from .presets import PresetRegistry
    from .reports import ReportParser
    from .sentfolder import SentCopier
    from .services import SecretStoreFactory
    from .transport import TransportFactory

__all__ = ["BUILTIN_PLUGINS", "ENTRY_POINT_GROUP", "PluginInfo", "Plugins", "get_plugin_manager"]

log = logging.getLogger("mailplug.plugins")

ENTRY_POINT_GROUP = "mailplug"
DISABLE_ENV = "MAILPLUG_DISABLE_PLUGINS"

#: Built-in plugins: (name, module).  Registered explicitly, in this order.
BUILTIN_PLUGINS: tuple[tuple[str, str], ...] = (
    ("core", "mailplug.builtin"),
    ("smtp", "mailplug_smtp.plugin"),
    ("imap", "mailplug_imap.plugin"),
    ("oauth", "mailplug_oauth.plugin"),
    ("sqlite", "mailplug_sqlite.plugin"),
    ("postgres", "mailplug_postgres.plugin"),
    ("legacy", "mailplug_legacy.plugin"),
    ("reports", "mailplug_reports.plugin"),
    ("secrets", "mailplug_secrets.plugin"),
    ("locales", "mailplug_locales.plugin"),
)

#: Registration hooks by the kind of thing they register (``mailplug plugins`` shows it).
_REGISTRATION_HOOKS = {
    "transport": "mailplug_register_transports",
    "probe": "mailplug_register_probes",
    "auth": "mailplug_register_auth",
    "storage": "mailplug_register_storage",
    "secret-store": "mailplug_register_secret_stores",
    "importer": "mailplug_register_importers",
    "catalog": "mailplug_register_catalogs",
    "message": "mailplug_register_messages",
    "preset": "mailplug_register_presets",
    "command": "mailplug_register_commands",
    "report-parser": "mailplug_register_report_parsers",
    "sent-copier": "mailplug_register_sent_copiers",
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


def _check_wrappers(pm: pluggy.PluginManager, name: str) -> None:
    """Refuse (unregister) plugin ``name`` if it wraps a registration hook.

    Registration hooks are called once per plugin with its own ``register``
    (:meth:`Plugins._call_each`), so a wrapper (``hookwrapper=True`` or
    ``wrapper=True``) could never take part: say so instead of ignoring it.
    """
    for hook_name in _REGISTRATION_HOOKS.values():
        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            if impl.plugin_name == name and (impl.hookwrapper or impl.wrapper):
                pm.unregister(name=name)
                raise keys.PLUGIN_BROKEN.error(
                    plugin=name, problem=f"{hook_name} cannot be a hook wrapper"
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
            _check_wrappers(pm, name)
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
                _check_wrappers(pm, ep.name)
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
    """Typed access to what the plugins registered (tox's ``Plugin`` facade is the model).

    Built by the mailer's runtime.  Every registration hook is called the same
    way (:meth:`_call_each`): once per plugin in pluggy's order, with that
    plugin's own ``register`` callback, the arguments its implementation asks
    for (pluggy's ``argnames``), and a failure refusing that plugin only.
    Names are attributed to the plugin that registered them; the first
    registration of a name wins (third-party plugins run before the built-ins).
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
        #: ``(plugin, lang, po_file)`` for every catalog, in registration order.
        self.catalog_sources: list[tuple[str, str, CatalogFile]] = []
        self.catalogs: dict[str, list[CatalogFile]] = self._collect_catalogs()
        self.message_owner: dict[int, str] = {}

    # The message tables, importers, probes, presets and commands are collected on first
    # use: they import plugin modules that sending does not need.

    @functools.cached_property
    def importers(self) -> dict[str, Importer]:
        """Legacy-format importers by format name."""
        found: dict[str, Importer] = self._collect("importer")
        return found

    @functools.cached_property
    def probes(self) -> dict[str, Probe]:
        """Account probes by name (a transport's name, or ``imap`` …), in call order."""
        found: dict[str, Probe] = self._collect("probe")
        return found

    @functools.cached_property
    def commands(self) -> list[Command]:
        """CLI commands the plugins add (the first registration of a group/name wins)."""
        found: dict[tuple[str | None, str], Command] = {}

        def make(plugin_name: str) -> Callable[[Command], None]:
            def register(command: Command) -> None:
                key = (command.group, command.name)
                if key in found:
                    log.info(
                        "command %s from %s is shadowed", " ".join(filter(None, key)), plugin_name
                    )
                    return
                found[key] = command
                self._provides(plugin_name, "command", " ".join(filter(None, key)))

            return register

        self._call_each("mailplug_register_commands", make)
        return list(found.values())

    @functools.cached_property
    def report_parsers(self) -> dict[str, ReportParser]:
        """Delivery-report parsers by name, in call order (the first answer wins)."""
        found: dict[str, ReportParser] = self._collect("report-parser")
        return found

    @functools.cached_property
    def sent_copiers(self) -> dict[str, SentCopier]:
        """Sent-folder copiers by name (``imap``: the built-in one)."""
        found: dict[str, SentCopier] = self._collect("sent-copier")
        return found

    @functools.cached_property
    def presets(self) -> PresetRegistry:
        """Provider presets by id (third-party plugins run before the built-in table)."""
        from .presets import Preset, PresetRegistry

        registry = PresetRegistry()

        def make(plugin_name: str) -> Callable[[Preset], None]:
            def register(preset: Preset) -> None:
                if not isinstance(preset, Preset):
                    raise TypeError(f"plugin {plugin_name} registered {preset!r}, not a Preset")
                registry.presets.setdefault(preset.id, preset)

            return register

        self._call_each("mailplug_register_presets", make)
        return registry

    @functools.cached_property
    def messages(self) -> list[ErrorSpec | Text]:
        """Every error spec and text the plugins registered."""
        return self._collect_messages()

    @functools.cached_property
    def errors(self) -> dict[str, ErrorSpec]:
        """Error specs by key."""
        return {m.key: m for m in self.messages if isinstance(m, ErrorSpec)}

    # -- calling hooks -----------------------------------------------------------

    def _call_each(
        self, hook_name: str, make_register: Callable[[str], Callable[..., None]]
    ) -> None:
        """Call a registration hook once per plugin with that plugin's own ``register``.

        The one way registration hooks are called: pluggy's order (reverse
        registration, ``tryfirst``/``trylast`` honoured), only the arguments an
        implementation names, and a failing plugin refused (a built-in one raises).
        """
        caller = getattr(self.pm.hook, hook_name)
        # get_hookimpls() lists implementations in reverse call order.
        for impl in reversed(caller.get_hookimpls()):
            available = {"register": make_register(impl.plugin_name)}
            try:
                impl.function(*(available[name] for name in impl.argnames))
            except Exception as exc:
                self._refuse_late(impl.plugin_name, exc)

    def classify(
        self,
        reply: ServerReply,
        *,
        stage: str,
        host: str | None = None,
        account: Account | None = None,
    ) -> ErrorSpec:
        """What a server reply means: the first plugin with an answer, else ``server.unknown``."""
        spec = self.pm.hook.mailplug_classify_reply(
            reply=reply, stage=stage, host=host, account=account
        )
        return spec if isinstance(spec, ErrorSpec) else SERVER_UNKNOWN

    def before_send(self, outgoing: Outgoing) -> None:
        """Let every ``mailplug_before_send`` plugin see (and change or refuse) a message.

        :raises mailplug.errors.MailplugError: a plugin refused it (``message.refused``
            or its own key), or failed (``plugin.before_send_failed``).
        """
        hook = self.pm.hook.mailplug_before_send
        if not hook.get_hookimpls():
            return
        try:
            hook(outgoing=outgoing)
        except MailplugError:
            raise
        except Exception as exc:
            raise keys.PLUGIN_BEFORE_SEND_FAILED.error(
                problem=f"{type(exc).__name__}: {exc}", cause=exc
            ) from exc

    def emit(self, event: StatusEvent) -> None:
        """Hand a status event to every ``mailplug_message_status`` listener.

        A listener that raises is logged and the others still hear the event.
        """
        for impl in reversed(self.pm.hook.mailplug_message_status.get_hookimpls()):
            available = {"event": event}
            try:
                impl.function(*(available[name] for name in impl.argnames))
            except Exception:
                log.exception("status hook of plugin %s failed", impl.plugin_name)

    # -- collecting -------------------------------------------------------------

    def _provides(self, plugin_name: str, kind: str, name: str) -> None:
        info = self._info_by_name.get(plugin_name)
        if info is not None and name not in info.provides.get(kind, []):
            info.provides.setdefault(kind, []).append(name)

    def _collect(self, kind: str) -> dict[str, Any]:
        found: dict[str, Any] = {}
        owner: dict[str, str] = {}

        def make(plugin_name: str) -> Callable[[str, Any], None]:
            def register(name: str, obj: Any) -> None:
                if name in found:
                    log.info(
                        "%s %r from %s is shadowed by %s", kind, name, plugin_name, owner[name]
                    )
                    return
                found[name], owner[name] = obj, plugin_name
                self._provides(plugin_name, kind, name)

            return register

        self._call_each(_REGISTRATION_HOOKS[kind], make)
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

        def make(plugin_name: str) -> Callable[[str, CatalogFile], None]:
            def register(lang: str, path: CatalogFile) -> None:
                catalogs.setdefault(lang, []).append(path)
                self.catalog_sources.append((plugin_name, lang, path))
                self._provides(plugin_name, "catalog", lang)

            return register

        self._call_each("mailplug_register_catalogs", make)
        return catalogs

    def _collect_messages(self) -> list[ErrorSpec | Text]:
        out: list[ErrorSpec | Text] = []
        seen: dict[str, ErrorSpec] = {}

        def make(plugin_name: str) -> Callable[[ErrorSpec | Text], None]:
            def register(item: ErrorSpec | Text) -> None:
                if isinstance(item, ErrorSpec):
                    if item.key in seen:
                        if seen[item.key] != item:
                            log.info("error key %s from %s is shadowed", item.key, plugin_name)
                        return
                    seen[item.key] = item
                out.append(item)
                self.message_owner[id(item)] = plugin_name

            return register

        self._call_each("mailplug_register_messages", make)
        return out

    @property
    def builtin(self) -> set[str]:
        """Names of the built-in plugins (the core's own is ``core``)."""
        return {i.name for i in self.infos if i.source == "builtin"}

    def catalogs_of(self, plugins: Iterable[str]) -> dict[str, list[CatalogFile]]:
        """The catalogs ``plugins`` registered, by language (a plugin's own domain)."""
        wanted = set(plugins)
        found: dict[str, list[CatalogFile]] = {}
        for owner, lang, path in self.catalog_sources:
            if owner in wanted:
                found.setdefault(lang, []).append(path)
        return found

    def owners(self) -> set[str]:
        """Names of the plugins that registered a message."""
        self.messages  # noqa: B018 - collects the owners
        return set(self.message_owner.values())

    def texts(self, plugin: str | Iterable[str] | None = None) -> list[Text]:
        """Every translatable text (of one ``plugin``, of several, or all), deduplicated."""
        out: dict[tuple[str | None, str], Text] = {}
        wanted = {plugin} if isinstance(plugin, str) else None if plugin is None else set(plugin)
        for item in self.messages:
            if wanted is not None and self.message_owner.get(id(item)) not in wanted:
                continue
            items = [item.message_text, item.advice_text] if isinstance(item, ErrorSpec) else [item]
            for text in items:
                out.setdefault((text.context, text.msgid), text)
        return list(out.values())
