"""Provider presets: server, port, security and login method from an e-mail address.

The built-in table (``presets.toml``, shipped inside the package) covers the
big international providers and the Polish ones; plugins add their own rows
through :func:`~mailplug.hookspecs.mailplug_register_presets` (a company
plugin can describe its in-house server).  Everything is offline: a preset is
found by the address's domain, or named by the user (Google Workspace and
hosting providers serve any domain)::

    presets = mailer.plugins.presets
    preset = presets.for_address("jan@wp.pl")            # WP Poczta
    data = preset.account_data("jan@wp.pl", name="jan")   # an accounts-file entry

Hosting providers give each customer their own server name; their rows have
no host but an example (:attr:`Preset.host_example`) and :meth:`Preset.account_data`
requires ``host=`` — nothing is guessed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

from . import check_keys
from .models import Address, ascii_domain
from .text import Text

__all__ = [
    "AUTH_METHODS",
    "NOTES",
    "Preset",
    "PresetRegistry",
    "Server",
    "builtin_presets",
]

#: How a provider wants programs to log in, and the account's ``auth`` for it.
AUTH_METHODS: dict[str, str] = {
    "password": "password",
    "app-password": "password",
    "gmail-oauth2": "gmail-oauth2",
    "microsoft-oauth2": "microsoft-oauth2",
}

#: Notes a preset may name (``notes = ["enable_access"]``), translated.
NOTES: dict[str, Text] = {
    "enable_access": Text(
        "Access for mail programs (SMTP/IMAP) must first be switched on in the {provider} "
        "web mail settings; until then the server refuses the login."
    ),
    "app_password": Text(
        "{provider} accepts only an app password from mail programs: create one in the "
        "account's security settings and enter it instead of your normal password."
    ),
    "gmail_app_password": Text(
        "Instead of signing in with Google you can use an app password (it needs 2-Step "
        "Verification on the Google account); your normal password is refused."
    ),
    "oauth": Text(
        "{provider} does not accept passwords from programs: sign in once in the browser with "
        "“mailplug accounts authorize NAME”."
    ),
    "oauth_client": Text(
        "Signing in needs an OAuth client ID (client_id in the login settings), registered by "
        "you or by the vendor of your program."
    ),
    "workspace_relay": Text(
        "A Google Workspace administrator can instead set up the SMTP relay service "
        "(smtp-relay.gmail.com) in the Admin console."
    ),
    "outlook_basic_auth_off": Text(
        "Microsoft has switched off password login for Outlook.com in mail programs; sign in "
        "with Microsoft instead."
    ),
    "m365_smtp_auth": Text(
        "The Microsoft 365 administrator must allow authenticated SMTP (SMTP AUTH) for this "
        "mailbox."
    ),
    "icloud_imap_username": Text(
        "For IMAP iCloud wants only the part of the address before @ as the user name."
    ),
    "server_per_customer": Text(
        "{provider} gives each customer their own server name, like {example}: copy yours from "
        "the customer panel."
    ),
    "ovh_offers": Text(
        "This is the server of OVHcloud MX Plan and web hosting mailboxes; Email Pro and "
        "Exchange mailboxes use other servers, shown in the OVHcloud control panel."
    ),
}

PRESET_TEXTS: tuple[Text, ...] = tuple(NOTES.values())

Security = Literal["tls", "starttls"]


@dataclass(frozen=True, slots=True)
class Server:
    """One server of a preset; an empty ``host`` means "the customer's own server"."""

    host: str
    port: int
    security: str

    def to_dict(self) -> dict[str, Any]:
        return {"host": self.host, "port": self.port, "security": self.security}


@dataclass(frozen=True, slots=True)
class Preset:
    """One provider row.

    :ivar id: stable name used with ``--provider`` (``gmail``, ``home-pl`` …).
    :ivar domains: address domains that belong to the provider (may be empty).
    :ivar smtp: submission servers, preferred first.
    :ivar imap: the IMAP server, if the provider offers one.
    :ivar auth: ``password``, ``app-password``, ``gmail-oauth2`` or ``microsoft-oauth2``.
    :ivar username: the login: ``address`` or ``local-part``.
    :ivar source: the provider's help page the values come from.
    :ivar verified: ``False`` when the values could not be confirmed against that page.
    """

    id: str
    name: str
    smtp: tuple[Server, ...]
    auth: str
    domains: tuple[str, ...] = ()
    imap: Server | None = None
    auth_alternatives: tuple[str, ...] = ()
    username: str = "address"
    imap_username: str | None = None
    notes: tuple[str, ...] = ()
    source: str = ""
    basis: str = ""
    verified: bool = False
    host_example: str | None = None
    #: The provider's server puts a copy of sent mail in the Sent folder itself
    #: (Gmail, Microsoft 365): ``imap.save_sent = "auto"`` then saves none.
    saves_sent: bool = False
    #: Who registered it (``core`` for the built-in table).
    origin: str = "core"

    def __post_init__(self) -> None:
        if not self.smtp:
            raise ValueError(f"preset {self.id}: no SMTP server")
        if self.auth not in AUTH_METHODS:
            raise ValueError(f"preset {self.id}: unknown auth method {self.auth!r}")
        if self.username not in ("address", "local-part"):
            raise ValueError(f"preset {self.id}: username must be address or local-part")
        if self.per_customer and not self.host_example:
            raise ValueError(f"preset {self.id}: a per-customer server needs host_example")

    @property
    def per_customer(self) -> bool:
        """Every customer has their own server name (hosting providers)."""
        return not self.smtp[0].host

    @property
    def account_auth(self) -> str:
        """The account's ``auth`` value for this provider."""
        return AUTH_METHODS[self.auth]

    def login_for(self, address: str, *, imap: bool = False) -> str:
        """The user name the provider expects for ``address``."""
        style = (self.imap_username or self.username) if imap else self.username
        email = Address.parse(address).email
        return email.rpartition("@")[0] if style == "local-part" else email

    def smtp_server(self, *, host: str | None = None, index: int = 0) -> Server:
        """The SMTP server to use (``host`` fills a per-customer row)."""
        server = self.smtp[min(index, len(self.smtp) - 1)]
        return Server(host or server.host, server.port, server.security)

    def account_data(
        self,
        address: str,
        *,
        name: str | None = None,
        host: str | None = None,
        index: int = 0,
    ) -> dict[str, Any]:
        """An accounts-file entry for ``address`` with this provider's servers.

        :param host: the customer's server (required for per-customer rows;
            overrides the preset's host otherwise).
        :param index: which of :attr:`smtp` to use (0: the preferred one).
        :raises mailplug.errors.ConfigurationError: ``preset.host_needed``.
        """
        if self.per_customer and not host:
            raise check_keys.PRESET_HOST_NEEDED.error(provider=self.name, example=self.host_example)
        email = Address.parse(address, field="email").email
        smtp = self.smtp_server(host=host, index=index)
        data: dict[str, Any] = {
            "name": name or email,
            "email": email,
            "transport": "smtp",
            "settings": smtp.to_dict(),
            "auth": self.account_auth,
        }
        login = self.login_for(email)
        if login != email:
            data["auth_settings"] = {"username": login}
        if self.imap is not None:
            imap: dict[str, Any] = {
                "host": self.imap.host or smtp.host,
                "port": self.imap.port,
                "security": self.imap.security,
            }
            imap_login = self.login_for(email, imap=True)
            if imap_login != login:
                imap["username"] = imap_login
            data["imap"] = imap
        return data

    def note_params(self) -> dict[str, str]:
        return {"provider": self.name, "example": self.host_example or ""}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (``accounts add --json``, a host's provider list)."""
        return {
            "id": self.id,
            "name": self.name,
            "domains": list(self.domains),
            "smtp": [s.to_dict() for s in self.smtp],
            "imap": self.imap.to_dict() if self.imap else None,
            "auth": self.auth,
            "auth_alternatives": list(self.auth_alternatives),
            "username": self.username,
            "imap_username": self.imap_username or self.username,
            "per_customer_server": self.per_customer,
            "host_example": self.host_example,
            "notes": list(self.notes),
            "source": self.source,
            "basis": self.basis,
            "verified": self.verified,
            "saves_sent": self.saves_sent,
            "origin": self.origin,
        }

    @classmethod
    def from_dict(cls, preset_id: str, data: Mapping[str, Any], *, origin: str = "core") -> Preset:
        """A preset from a table as in ``presets.toml``.

        :raises ValueError: a missing or wrong field.
        """

        def server(raw: Any) -> Server:
            if not isinstance(raw, Mapping):
                raise ValueError(f"preset {preset_id}: a server must be a table")
            security = str(raw.get("security", ""))
            if security not in ("tls", "starttls", "none"):
                raise ValueError(f"preset {preset_id}: security must be tls or starttls")
            return Server(str(raw.get("host", "")), int(raw["port"]), security)

        smtp_raw = data.get("smtp")
        if isinstance(smtp_raw, Mapping):
            smtp_raw = [smtp_raw]
        if not isinstance(smtp_raw, list):
            raise ValueError(f"preset {preset_id}: smtp must be a list of servers")
        imap_raw = data.get("imap")
        return cls(
            id=preset_id,
            name=str(data.get("name", preset_id)),
            domains=tuple(str(d).lower() for d in data.get("domains", ())),
            smtp=tuple(server(s) for s in smtp_raw),
            imap=server(imap_raw) if imap_raw else None,
            auth=str(data.get("auth", "password")),
            auth_alternatives=tuple(str(a) for a in data.get("auth_alternatives", ())),
            username=str(data.get("username", "address")),
            imap_username=data.get("imap_username"),
            notes=tuple(str(n) for n in data.get("notes", ())),
            source=str(data.get("source", "")),
            basis=str(data.get("basis", "")),
            verified=bool(data.get("verified", False)),
            host_example=data.get("host_example"),
            saves_sent=bool(data.get("saves_sent", False)),
            origin=origin,
        )


def builtin_presets() -> list[Preset]:
    """The bundled table (read through :mod:`importlib.resources`, so it works from a wheel).

    :raises mailplug.errors.ConfigurationError: ``preset.unreadable``.
    """
    try:
        raw = resources.files(__package__ or "mailplug").joinpath("presets.toml").read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
        return [Preset.from_dict(key, value) for key, value in data.get("providers", {}).items()]
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError, KeyError) as exc:
        raise check_keys.PRESETS_UNREADABLE.error(problem=str(exc), cause=exc) from exc


@dataclass
class PresetRegistry:
    """The presets every plugin registered, first registration of an id winning."""

    presets: dict[str, Preset] = field(default_factory=dict)

    @classmethod
    def of(cls, presets: Iterable[Preset]) -> PresetRegistry:
        registry = cls()
        for preset in presets:
            registry.presets.setdefault(preset.id, preset)
        return registry

    def __iter__(self) -> Any:
        return iter(self.presets.values())

    def __len__(self) -> int:
        return len(self.presets)

    def ids(self) -> list[str]:
        return list(self.presets)

    def get(self, preset_id: str) -> Preset:
        """The preset named ``preset_id``.

        :raises mailplug.errors.ConfigurationError: ``preset.unknown``.
        """
        found = self.presets.get(preset_id.strip().lower())
        if found is None:
            raise check_keys.PRESET_UNKNOWN.error(
                provider=preset_id, available=", ".join(self.ids()) or "—"
            )
        return found

    def saves_sent(self, *hosts: str | None) -> bool:
        """Whether a provider whose server is one of ``hosts`` (SMTP or IMAP) keeps a copy
        of sent mail in the Sent folder itself."""
        wanted = {h.lower().rstrip(".") for h in hosts if h}
        for preset in self.presets.values():
            if not preset.saves_sent:
                continue
            servers = [s.host for s in preset.smtp] + ([preset.imap.host] if preset.imap else [])
            if wanted & {h.lower() for h in servers if h}:
                return True
        return False

    def for_domain(self, domain: str) -> Preset | None:
        wanted = (ascii_domain(domain) or domain).lower().rstrip(".")
        for preset in self.presets.values():
            if wanted in preset.domains:
                return preset
        return None

    def for_address(self, address: str) -> Preset | None:
        """The preset whose domains include the address's domain (``None``: unknown)."""
        return self.for_domain(Address.parse(address).domain)

    def for_host(self, host: str) -> Preset | None:
        """The preset whose SMTP server is ``host`` (used by the account check's advice)."""
        wanted = host.lower().rstrip(".")
        for preset in self.presets.values():
            if any(s.host and s.host.lower() == wanted for s in preset.smtp):
                return preset
        return None


def register_builtin(register: Callable[[Preset], None]) -> None:
    for preset in builtin_presets():
        register(preset)
