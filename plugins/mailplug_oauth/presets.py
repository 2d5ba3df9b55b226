"""Account presets for OAuth providers: fill server and login method from an address.

::

    >>> gmail_preset("jan.kowalski@gmail.com")["settings"]
    {'host': 'smtp.gmail.com', 'port': 465, 'security': 'tls'}

The account-check work builds the full table of provider presets and may
reuse :func:`preset_for_provider`.
"""

from __future__ import annotations

from typing import Any

from mailplug.models import Address

from .providers import AUTH_NAMES, PROVIDERS, OAuthProvider

__all__ = ["apply_preset", "gmail_preset", "preset_for_provider"]


def preset_for_provider(
    provider: OAuthProvider, address: str, *, starttls: bool = False
) -> dict[str, Any]:
    """The account fields (``settings``, ``auth``, ``auth_settings``) for ``provider``.

    :param starttls: prefer the STARTTLS server (587) when the provider has one,
        e.g. where a firewall blocks port 465.
    """
    smtp = provider.smtp[0]
    if starttls:
        smtp = next((s for s in provider.smtp if s.security == "starttls"), smtp)
    auth = next((a for a, p in AUTH_NAMES.items() if p == provider.name), "oauth2")
    auth_settings: dict[str, Any] = {"username": Address.parse(address).email}
    if auth == "oauth2":
        auth_settings["provider"] = provider.name
    return {
        "transport": "smtp",
        "settings": {"host": smtp.host, "port": smtp.port, "security": smtp.security},
        "auth": auth,
        "auth_settings": auth_settings,
    }


def gmail_preset(address: str, *, starttls: bool = False) -> dict[str, Any] | None:
    """The Gmail preset for an ``@gmail.com`` / ``@googlemail.com`` address, else ``None``.

    Google Workspace addresses on their own domains cannot be told from the
    address; use :func:`preset_for_provider` with ``PROVIDERS["google"]`` for them.
    """
    google = PROVIDERS["google"]
    domain = Address.parse(address).domain.lower().rstrip(".")
    if domain not in google.domains:
        return None
    return preset_for_provider(google, address, starttls=starttls)


def apply_preset(account: dict[str, Any]) -> dict[str, Any]:
    """``account`` (a dict as in the accounts file) with Gmail defaults filled in.

    Only missing fields are filled; what the account already says wins.  The
    OAuth client ID must still be added to ``auth_settings``.
    """
    preset = gmail_preset(str(account.get("email", "")))
    if preset is None:
        return dict(account)
    out = dict(account)
    out.setdefault("transport", preset["transport"])
    out["settings"] = {**preset["settings"], **(account.get("settings") or {})}
    if "auth" not in account:
        out["auth"] = preset["auth"]
    if out["auth"] == preset["auth"]:
        out["auth_settings"] = {**preset["auth_settings"], **(account.get("auth_settings") or {})}
    return out
