"""The OAuth providers mailplug knows: one table row each, no provider-specific code.

A provider is data: its endpoints (templates that may name settings such as
``{tenant}``), the scope that allows sending mail over SMTP, and a few
protocol switches.  Its mail servers are not here: the provider presets
(``mailplug accounts add``) name them, with the login method.  Adding a
provider means adding a row to :data:`PROVIDERS` (or registering an auth
factory built with :func:`mailplug_oauth.provider_auth` from a row of your own).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["AUTH_NAMES", "PROVIDERS", "OAuthProvider"]


@dataclass(frozen=True, slots=True)
class OAuthProvider:
    """One OAuth 2.0 provider.

    :param name: short name used in settings (``provider = "google"``).
    :param title: human name shown in messages (``Google``).
    :param authorization_endpoint: where the browser signs in; a template
        filled from :attr:`parameters` and the account's ``auth_settings``.
    :param token_endpoint: where codes and refresh tokens become access tokens.
    :param scope: space-separated scopes that allow SMTP sending.
    :param parameters: template parameters and their defaults (``tenant``).
    :param authorize_params: extra query parameters of the authorization URL
        (Google needs ``access_type=offline`` to hand out a refresh token).
    :param scope_on_refresh: send ``scope`` with refresh requests.
    :param console: where a user creates the OAuth client (for advice texts).
    """

    name: str
    title: str
    authorization_endpoint: str
    token_endpoint: str
    scope: str
    parameters: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    authorize_params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    scope_on_refresh: bool = False
    console: str = ""

    def endpoints(self, values: Mapping[str, str]) -> tuple[str, str]:
        """The authorization and token endpoints with ``{parameters}`` filled in."""
        params = {**self.parameters, **{k: v for k, v in values.items() if k in self.parameters}}
        return (
            self.authorization_endpoint.format_map(params),
            self.token_endpoint.format_map(params),
        )


GOOGLE = OAuthProvider(
    name="google",
    title="Google",
    authorization_endpoint="https://accounts.google.com/o/oauth2/v2/auth",
    token_endpoint="https://oauth2.googleapis.com/token",  # noqa: S106 - a URL
    scope="https://mail.google.com/",
    # offline: hand out a refresh token; consent: hand it out again on re-authorization
    # (Google returns a refresh token only when the consent screen was shown).
    authorize_params=MappingProxyType({"access_type": "offline", "prompt": "consent"}),
    scope_on_refresh=False,
    console="https://console.cloud.google.com/apis/credentials",
)

MICROSOFT = OAuthProvider(
    name="microsoft",
    title="Microsoft",
    authorization_endpoint="https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
    token_endpoint="https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",  # noqa: S106
    scope="https://outlook.office.com/SMTP.Send offline_access",
    parameters=MappingProxyType({"tenant": "common"}),
    scope_on_refresh=True,
    console="https://entra.microsoft.com",
)

#: Known providers by name.
PROVIDERS: Mapping[str, OAuthProvider] = MappingProxyType({p.name: p for p in (GOOGLE, MICROSOFT)})

#: Auth plugin names bound to one provider (``auth = "gmail-oauth2"``).
AUTH_NAMES: Mapping[str, str] = MappingProxyType(
    {"gmail-oauth2": "google", "microsoft-oauth2": "microsoft"}
)
