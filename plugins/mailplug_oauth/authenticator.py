"""The XOAUTH2 authenticator: access tokens for SMTP, renewed with a stored refresh token.

The SMTP transport speaks XOAUTH2; this object only hands it a fresh access
token (:class:`~mailplug.plugin.Credentials` with ``mechanism="XOAUTH2"`` and
``refreshable=True``).  When the server refuses a token, the transport calls
:meth:`OAuth2Authenticator.login_failed` and then ``credentials(refresh=True)``
and tries once more.

Where tokens come from:

* **built-in flow** (default): ``mailplug accounts authorize NAME`` stores a
  refresh token in the secret store (key ``oauth.refresh_token``); access
  tokens are fetched with it, kept in memory until ``expiry_margin`` seconds
  before they expire, and fetched again.  A new refresh token in a response
  replaces the stored one.
* **the host's token provider**: an async callable the host hands in when it
  already signs users in itself (see :class:`TokenProvider`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import SecretStr

from mailplug.plugin import Authenticator, Credentials, MailplugError

from . import keys
from .settings import OAuthSettings
from .tokens import TokenClient, TokenSet

if TYPE_CHECKING:
    from mailplug.plugin import Account, SecretStore, Services, Text

    from .providers import OAuthProvider

__all__ = [
    "CLIENT_SECRET_KEY",
    "REFRESH_TOKEN_KEY",
    "OAuth2Authenticator",
    "TokenProvider",
]

log = logging.getLogger("mailplug.oauth")

#: Secret-store key of an account's refresh token.
REFRESH_TOKEN_KEY = "oauth.refresh_token"  # noqa: S105 - a key name
#: Secret-store key of the OAuth client secret, when kept there instead of settings.
CLIENT_SECRET_KEY = "oauth.client_secret"  # noqa: S105 - a key name


class TokenProvider(Protocol):
    """A host's own source of access tokens.

    Called before every login with the account and ``refresh=True`` after the
    server refused the previous token (then return a *new* one).  Return the
    bare access token (``str`` or :class:`pydantic.SecretStr`); cache it
    yourself if getting one is slow.  Raise a
    :class:`~mailplug.MailplugError` to report a specific problem; any
    other exception becomes ``oauth.token_provider_failed``.

    ::

        async def tokens(account: Account, *, refresh: bool) -> str:
            return await my_app.session.mail_token(account.email.email, force=refresh)
    """

    def __call__(self, account: Account, *, refresh: bool) -> Awaitable[str | SecretStr]: ...


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds") if ts else None


def _parse_ts(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


class OAuth2Authenticator(Authenticator):
    """OAuth 2.0 (XOAUTH2) credentials for one account.

    :param account: the account; its ``auth_settings`` are described in
        :mod:`mailplug_oauth.settings`.
    :param services: the mailer's services (secret store, translator, log).
    :param provider: the provider row; ``None`` reads ``auth_settings.provider``.
    :param token_provider: the host's token source instead of the built-in flow.
    :param name: the auth plugin name (``gmail-oauth2`` …) shown by ``describe()``.
    :param clock: wall-clock seconds (tests pass their own to expire tokens).
    :raises mailplug.ConfigurationError: invalid ``auth_settings``.
    """

    def __init__(
        self,
        account: Account,
        *,
        services: Services,
        provider: OAuthProvider | None = None,
        token_provider: TokenProvider | None = None,
        name: str = "oauth2",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self.account = account
        self.services = services
        self.settings = OAuthSettings.from_account(
            account, provider=provider, require_client_id=token_provider is None
        )
        self.token_provider = token_provider
        self._clock = clock
        self._cached: TokenSet | None = None
        #: A rotated refresh token the store refused to save (retried at the next refresh).
        self._unsaved_refresh: SecretStr | None = None
        self._lock = asyncio.Lock()
        #: Access tokens this object fetched with the refresh token.
        self.refreshes = 0

    def __repr__(self) -> str:
        return f"<OAuth2Authenticator {self.name} account={self.account.name!r}>"

    # -- what the transport calls -------------------------------------------

    async def credentials(self, *, refresh: bool = False) -> Credentials:
        """A valid access token as XOAUTH2 credentials.

        :param refresh: the server refused the last token: get a new one.
        :raises mailplug.MailplugError: ``oauth.not_authorized``,
            ``oauth.reauthorize_required``, ``oauth.token_endpoint_unavailable`` …
        """
        token = await self.access_token(refresh=refresh)
        return Credentials(
            username=self.settings.username,
            secret=token,
            mechanism="XOAUTH2",
            allow_plaintext=False,
            refreshable=True,
        )

    async def login_failed(self, error: MailplugError) -> None:
        """The server refused the token: forget it so the next login fetches a new one."""
        log.info(
            "account %s: the server refused the access token (%s)", self.account.name, error.key
        )
        self._cached = None

    async def access_token(self, *, refresh: bool = False) -> SecretStr:
        """The access token alone (renewed when needed)."""
        if self.token_provider is not None:
            return await self._from_host(refresh)
        async with self._lock:
            cached = self._cached
            if (
                not refresh
                and cached is not None
                and cached.expires_at - self.settings.expiry_margin > self._clock()
            ):
                return cached.access_token
            return (await self._refresh()).access_token

    async def _from_host(self, refresh: bool) -> SecretStr:
        assert self.token_provider is not None
        try:
            value = await self.token_provider(self.account, refresh=refresh)
        except MailplugError:
            raise
        except Exception as exc:
            # The exception text may quote what the host had; only its type is shown.
            raise keys.TOKEN_PROVIDER_FAILED.error(
                account=self.account.name, problem=type(exc).__name__, cause=exc
            ) from exc
        token = value if isinstance(value, SecretStr) else SecretStr(str(value))
        if not token.get_secret_value():
            raise keys.TOKEN_PROVIDER_FAILED.error(
                account=self.account.name, problem="empty access token"
            )
        return token

    # -- the refresh token --------------------------------------------------

    def _store(self) -> SecretStore:
        store = self.services.secrets
        if store is None:
            raise keys.NO_SECRET_STORE.error(account=self.account.name)
        return store

    async def _client_secret(self) -> SecretStr | None:
        secret = self.settings.env_client_secret(self.account)
        if secret is None and self.services.secrets is not None:
            secret = await self.services.secrets.get(self.account.name, CLIENT_SECRET_KEY)
        return secret

    async def token_client(self) -> TokenClient:
        """The token client for this account (client secret resolved)."""
        return TokenClient(
            self.settings,
            account=self.account.name,
            client_secret=await self._client_secret(),
            clock=self._clock,
        )

    async def _refresh(self) -> TokenSet:
        store = self._store()
        name = self.account.name
        refresh_token = self._unsaved_refresh or await store.get(name, REFRESH_TOKEN_KEY)
        if refresh_token is None:
            raise keys.NOT_AUTHORIZED.error(account=name, provider=self.settings.provider.title)
        meta = dict(await store.meta(name, REFRESH_TOKEN_KEY) or {})
        client = await self.token_client()
        try:
            tokens = await client.refresh(refresh_token)
        except MailplugError as exc:
            if exc.key == keys.REAUTHORIZE_REQUIRED.key:
                meta["rejected_at"] = _iso(self._clock())
                await store.set(name, REFRESH_TOKEN_KEY, refresh_token, meta=meta)
            raise
        self.refreshes += 1
        self._cached = tokens  # usable at once, even if saving below fails
        now = _iso(tokens.obtained_at)
        meta.pop("rejected_at", None)
        meta.update(
            refreshed_at=now,
            access_expires_at=_iso(tokens.expires_at),
            scope=tokens.scope or meta.get("scope") or self.settings.scope,
        )
        if tokens.refresh_token is not None:
            # Rotation: the provider issued a new refresh token to use from now on.
            meta["stored_at"] = now
            meta["rotated"] = int(meta.get("rotated", 0)) + 1
            refresh_token = tokens.refresh_token
        try:
            await store.set(name, REFRESH_TOKEN_KEY, refresh_token, meta=meta)
        except MailplugError as exc:
            # Keep sending; a rotated token stays in memory and is saved with the next refresh.
            self._unsaved_refresh = tokens.refresh_token or self._unsaved_refresh
            log.error("account %s: the refresh token could not be saved (%s)", name, exc.key)
        else:
            self._unsaved_refresh = None
        log.info(
            "account %s: new access token from %s, valid for %.0f s",
            name,
            self.settings.token_host,
            tokens.expires_at - tokens.obtained_at,
        )
        return tokens

    # -- consent ------------------------------------------------------------

    async def authorize(
        self,
        *,
        open_browser: Callable[[str], object] | None = None,
        on_url: Callable[[str, bool], None] | None = None,
        wait_seconds: float = 300.0,
        lang: str | None = None,
    ) -> dict[str, Any]:
        """Run the browser consent once and store the refresh token.

        :param open_browser: e.g. :func:`webbrowser.open`; ``None`` only reports the URL.
        :param on_url: called with the URL and whether a browser is being opened.
        :param wait_seconds: how long to wait for the browser's redirect.
        :param lang: language of the page the browser shows at the end.
        :returns: what :meth:`describe` tells afterwards (no secrets).
        :raises mailplug.MailplugError: see :func:`mailplug_oauth.flow.authorize`.
        """
        from .flow import authorize

        if self.token_provider is not None:
            raise keys.NOT_OAUTH_ACCOUNT.error(account=self.account.name, auth=self.name)
        store = self._store()
        client = await self.token_client()

        def page(text: Text) -> str:
            return self.services.translator.gettext(text, lang)

        tokens = await authorize(
            client,
            open_browser=open_browser,
            on_url=on_url,
            wait_seconds=wait_seconds,
            login_hint=self.settings.username,
            page=page,
        )
        if tokens.refresh_token is None:
            raise keys.NO_REFRESH_TOKEN.error(
                account=self.account.name, provider=self.settings.provider.title
            )
        now = _iso(tokens.obtained_at)
        await store.set(
            self.account.name,
            REFRESH_TOKEN_KEY,
            tokens.refresh_token,
            meta={
                "provider": self.settings.provider.name,
                "client_id": self.settings.client_id,
                "username": self.settings.username,
                "scope": tokens.scope or self.settings.scope,
                "authorized_at": now,
                "stored_at": now,
                "refreshed_at": now,
                "access_expires_at": _iso(tokens.expires_at),
            },
        )
        async with self._lock:
            self._cached = tokens
        log.info("account %s authorized with %s", self.account.name, self.settings.provider.title)
        return await self.adescribe()

    # -- what accounts show prints -----------------------------------------

    def describe(self) -> dict[str, Any]:
        """Non-secret facts known without reading the store."""
        data: dict[str, Any] = {
            "name": self.name,
            "mechanism": "XOAUTH2",
            "provider": self.settings.provider.name,
            "username": self.settings.username,
        }
        if self.token_provider is not None:
            data["tokens"] = "host"
            return data
        data.update(
            client_id=self.settings.client_id,
            client_secret=self.settings.client_secret_source(),
            scope=self.settings.scope,
            token_endpoint=self.settings.token_endpoint,
            secret_store=self.services.secrets.name if self.services.secrets else None,
        )
        cached = self._cached
        if cached is not None:
            data["access_token"] = {
                "expires_at": _iso(cached.expires_at),
                "expires_in": max(0, round(cached.expires_at - self._clock())),
            }
        return data

    async def adescribe(self) -> dict[str, Any]:
        """:meth:`describe` plus the token age and state from the secret store."""
        data = self.describe()
        store = self.services.secrets
        if self.token_provider is not None or store is None:
            return data
        name = self.account.name
        meta = await store.meta(name, REFRESH_TOKEN_KEY)
        if meta is None and await store.get(name, REFRESH_TOKEN_KEY) is None:
            data["state"] = "not_authorized"
            return data
        meta = dict(meta or {})
        now = self._clock()
        data["state"] = "reauthorize" if meta.get("rejected_at") else "authorized"
        for field in ("authorized_at", "stored_at", "refreshed_at", "rejected_at"):
            if meta.get(field):
                data[field] = meta[field]
        if meta.get("scope"):
            data["granted_scope"] = meta["scope"]
        stored = _parse_ts(meta.get("stored_at"))
        if stored is not None:
            data["refresh_token_age_s"] = max(0, round(now - stored))
        refreshed = _parse_ts(meta.get("refreshed_at"))
        if refreshed is not None:
            data["last_refresh_age_s"] = max(0, round(now - refreshed))
        if "access_token" not in data:
            expires = _parse_ts(meta.get("access_expires_at"))
            if expires is not None:
                data["access_token"] = {
                    "expires_at": meta["access_expires_at"],
                    "expires_in": max(0, round(expires - now)),
                    "cached": False,
                }
        return data
