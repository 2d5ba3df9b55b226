"""Auth factories: what ``mailplug_register_auth`` registers.

A host that signs its users in itself hands mailplug its own token source::

    from mailplug import AsyncMailer, hookimpl
    from mailplug_oauth import token_provider_auth

    async def mail_token(account, *, refresh):
        return await my_app.sso.access_token("https://mail.google.com/", force=refresh)

    class HostTokens:
        @hookimpl
        def mailplug_register_auth(self, register):
            register("host-oauth2", token_provider_auth(mail_token, provider="google"))

    mailer = AsyncMailer(accounts, plugins=[HostTokens()])   # accounts use auth = "host-oauth2"

Registering the name ``gmail-oauth2`` instead overrides the built-in flow for
every Gmail account (host plugins are asked before the built-in ones).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .providers import PROVIDERS

if TYPE_CHECKING:
    from mailplug.plugin import Account, AuthFactory, Services

    from .authenticator import OAuth2Authenticator, TokenProvider

__all__ = ["provider_auth", "token_provider_auth"]


def provider_auth(provider: str | None, *, name: str | None = None) -> AuthFactory:
    """An auth factory for a provider row of :data:`~mailplug_oauth.providers.PROVIDERS`.

    :param provider: ``"google"``, ``"microsoft"``, or ``None`` to read
        ``auth_settings.provider`` of each account.
    :param name: the login method's name shown by ``accounts show``.
    """
    row = PROVIDERS[provider] if provider is not None else None

    def factory(account: Account, *, services: Services) -> OAuth2Authenticator:
        from .authenticator import OAuth2Authenticator  # on first use: keeps mailer start cheap

        return OAuth2Authenticator(
            account, services=services, provider=row, name=name or account.auth or "oauth2"
        )

    return factory


def token_provider_auth(
    token_provider: TokenProvider, *, provider: str | None = None, name: str | None = None
) -> AuthFactory:
    """An auth factory whose access tokens come from the host's ``token_provider``.

    :param token_provider: ``async (account, *, refresh) -> str`` (see
        :class:`~mailplug_oauth.authenticator.TokenProvider`).
    :param provider: the provider row (for ``describe()``); ``None`` reads
        ``auth_settings.provider``, defaulting to ``google``.
    :param name: the login method's name shown by ``accounts show``.
    """

    def factory(account: Account, *, services: Services) -> OAuth2Authenticator:
        from .authenticator import OAuth2Authenticator

        key = provider or str(account.auth_settings.get("provider") or "google")
        return OAuth2Authenticator(
            account,
            services=services,
            provider=PROVIDERS.get(key),
            token_provider=token_provider,
            name=name or account.auth or "oauth2",
        )

    return factory
