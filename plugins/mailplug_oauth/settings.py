"""The ``auth_settings`` of an OAuth account, checked once when the authenticator is built.

=========================  ==================================================================
setting                    meaning
=========================  ==================================================================
``client_id``              the OAuth client (required for the built-in flow)
``client_secret``          its secret, if it has one (Google "Desktop app" clients have one
                           that is not confidential; Microsoft public clients have none);
                           prefer ``client_secret_env`` or the secret store key
                           ``oauth.client_secret``
``client_secret_env``      name of an environment variable holding the secret
``username``               the login (default: the account's address)
``provider``               ``google`` or ``microsoft`` (only for ``auth = "oauth2"``)
``tenant``                 Microsoft tenant (default ``common``); any provider parameter
``authorization_endpoint`` override of the provider's endpoint (templates allowed)
``token_endpoint``         override of the provider's endpoint
``scope``                  override of the provider's scope
``redirect_host``          host name in the redirect address: ``127.0.0.1`` or ``localhost``
``redirect_port``          fixed local port for the redirect (default: a free one)
``timeout``                seconds for one token request (default 20)
``expiry_margin``          renew access tokens this many seconds early (default 60)
=========================  ==================================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from mailplug.plugin import keys as core_keys

from . import keys
from .providers import AUTH_NAMES, PROVIDERS, OAuthProvider

if TYPE_CHECKING:
    from mailplug.plugin import Account

__all__ = ["OAuthSettings"]

_KNOWN = {
    "client_id",
    "client_secret",
    "client_secret_env",
    "username",
    "provider",
    "authorization_endpoint",
    "token_endpoint",
    "scope",
    "redirect_host",
    "redirect_port",
    "timeout",
    "expiry_margin",
}
_REDIRECT_HOSTS = ("127.0.0.1", "localhost")


def _invalid(account: Account, field: str, problem: str) -> Exception:
    return core_keys.ACCOUNT_INVALID_SETTINGS.error(
        field=f"auth_settings.{field}", problem=problem, account=account.name
    )


def _number(account: Account, data: dict[str, Any], name: str, default: float) -> float:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise _invalid(account, name, "must be a number of seconds, 0 or more")
    return float(value)


@dataclass(frozen=True, slots=True)
class OAuthSettings:
    """What the authenticator needs, validated; the client secret stays a ``SecretStr``.

    :ivar provider: ``google``, ``microsoft`` or another known provider (default: the
        one the login method names).
    :ivar client_id: the application's client ID from the provider's console.
    :ivar username: the mailbox to log in to (default: the account's address).
    :ivar authorization_endpoint: where the browser signs in (default: the provider's).
    :ivar token_endpoint: where tokens are fetched and refreshed (default: the provider's).
    :ivar scope: the permissions asked for (default: the provider's mail scope).
    :ivar client_secret: the client secret, when the provider needs one (better:
        ``client_secret_env``).
    :ivar client_secret_env: the environment variable holding the client secret.
    :ivar redirect_host: the loopback address the sign-in returns to (``127.0.0.1``
        or ``localhost``).
    :ivar redirect_port: its port (``0``: a free one; fixed when the console requires it).
    :ivar timeout: seconds to wait for the token endpoint.
    :ivar expiry_margin: seconds before expiry a token is refreshed.
    """

    provider: OAuthProvider
    client_id: str | None
    username: str
    authorization_endpoint: str
    token_endpoint: str
    scope: str
    client_secret: SecretStr | None = None
    client_secret_env: str | None = None
    redirect_host: str = "127.0.0.1"
    redirect_port: int = 0
    timeout: float = 20.0
    expiry_margin: float = 60.0

    def __repr__(self) -> str:
        return (
            f"OAuthSettings(provider={self.provider.name!r}, client_id={self.client_id!r}, "
            f"username={self.username!r}, token_endpoint={self.token_endpoint!r})"
        )

    @property
    def token_host(self) -> str:
        from urllib.parse import urlsplit

        return urlsplit(self.token_endpoint).netloc or self.token_endpoint

    def client_secret_source(self) -> str | None:
        """Where the secret comes from (``settings``, ``env:NAME``), never the secret."""
        if self.client_secret is not None:
            return "settings"
        if self.client_secret_env:
            return f"env:{self.client_secret_env}"
        return None

    def env_client_secret(self, account: Account) -> SecretStr | None:
        """The secret from the settings or the environment.

        :raises mailplug.ConfigurationError: ``client_secret_env`` names an unset variable.
        """
        if self.client_secret is not None:
            return self.client_secret
        if self.client_secret_env:
            value = os.environ.get(self.client_secret_env)
            if not value:
                raise keys.CLIENT_SECRET_ENV_MISSING.error(
                    env=self.client_secret_env, account=account.name
                )
            return SecretStr(value)
        return None

    @classmethod
    def from_account(
        cls,
        account: Account,
        *,
        provider: OAuthProvider | None = None,
        require_client_id: bool = True,
    ) -> OAuthSettings:
        """Validate ``account.auth_settings``.

        :param provider: the provider row; ``None`` reads the ``provider`` setting, else
            the one the login method names (``gmail-oauth2`` → Google).
        :param require_client_id: ``False`` when a host token provider replaces the flow.
        :raises mailplug.ConfigurationError: naming the wrong or missing setting.
        """
        data = dict(account.auth_settings)
        if provider is None:
            name = data.get("provider") or AUTH_NAMES.get(account.auth or "")
            if not isinstance(name, str) or name not in PROVIDERS:
                raise keys.PROVIDER_UNKNOWN.error(
                    name=str(name) if name is not None else "—",
                    available=", ".join(sorted(PROVIDERS)),
                    account=account.name,
                )
            provider = PROVIDERS[name]
        known = _KNOWN | set(provider.parameters)
        for name in data:
            if name not in known:
                raise _invalid(
                    account, name, "unknown setting (known: " + ", ".join(sorted(known)) + ")"
                )
        for name in known - {"redirect_port", "timeout", "expiry_margin"}:
            if name in data and not isinstance(data[name], str):
                raise _invalid(account, name, "must be text")
        client_id = data.get("client_id") or None
        if require_client_id and not client_id:
            raise keys.CLIENT_ID_MISSING.error(account=account.name, console=provider.console)
        values = {k: str(data[k]) for k in provider.parameters if data.get(k)}
        auth_default, token_default = provider.endpoints(values)
        try:
            params = {**provider.parameters, **values}
            authorization = str(data.get("authorization_endpoint") or auth_default).format_map(
                params
            )
            token = str(data.get("token_endpoint") or token_default).format_map(params)
        except (KeyError, ValueError) as exc:
            raise _invalid(account, "token_endpoint", f"unknown placeholder {exc}") from None
        for field, url in (("authorization_endpoint", authorization), ("token_endpoint", token)):
            if not url.startswith(("https://", "http://127.", "http://localhost", "http://[::1]")):
                raise _invalid(account, field, "must be an https:// address")
        redirect_host = str(data.get("redirect_host") or "127.0.0.1")
        if redirect_host not in _REDIRECT_HOSTS:
            raise _invalid(account, "redirect_host", "must be 127.0.0.1 or localhost")
        port = data.get("redirect_port", 0)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise _invalid(account, "redirect_port", "must be a port number (0 picks a free one)")
        secret = data.get("client_secret")
        return cls(
            provider=provider,
            client_id=client_id,
            username=str(data.get("username") or account.email.email),
            authorization_endpoint=authorization,
            token_endpoint=token,
            scope=str(data.get("scope") or provider.scope),
            client_secret=SecretStr(secret) if secret else None,
            client_secret_env=data.get("client_secret_env") or None,
            redirect_host=redirect_host,
            redirect_port=port,
            timeout=_number(account, data, "timeout", 20.0) or 20.0,
            expiry_margin=_number(account, data, "expiry_margin", 60.0),
        )
