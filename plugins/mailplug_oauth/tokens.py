"""Talking to the provider's token endpoint, through Authlib's httpx client.

Authlib (``authlib.integrations.httpx_client.AsyncOAuth2Client``) builds the
authorization URL with PKCE, sends the form-encoded token requests with the
right client authentication, and parses the JSON answer.  This module keeps it
behind one small class and maps everything that can go wrong to mailplug error
keys at this boundary:

* ``invalid_grant`` on a refresh → ``oauth.reauthorize_required`` (pauses the account);
* no connection, a timeout, HTTP 5xx or 429 → ``oauth.token_endpoint_unavailable`` (transient);
* ``invalid_client`` (and Google's "client_secret is missing"), ``unauthorized_client``,
  ``invalid_scope`` → configuration keys;
* an answer that is not OAuth JSON → ``oauth.token_endpoint_bad_response``.

Authlib and httpx are imported on first use, so ``mailplug`` imports without
them; a missing package raises ``oauth.library_missing``.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from . import keys

if TYPE_CHECKING:
    from mailplug.plugin import MailplugError

    from .settings import OAuthSettings

__all__ = ["TokenClient", "TokenSet", "load_authlib"]

log = logging.getLogger("mailplug.oauth")

#: Used when a token response has no ``expires_in`` (RFC 6749 makes it optional).
DEFAULT_LIFETIME = 3600.0
_UNAVAILABLE_ERRORS = {"temporarily_unavailable", "server_error"}


@dataclass(frozen=True, slots=True)
class TokenSet:
    """One successful token response; the tokens stay ``SecretStr``."""

    access_token: SecretStr
    obtained_at: float
    expires_at: float
    refresh_token: SecretStr | None = None
    scope: str | None = None
    token_type: str = "Bearer"  # noqa: S105 - a token type, not a secret

    def __repr__(self) -> str:
        return (
            f"TokenSet(expires_at={self.expires_at:.0f}, scope={self.scope!r}, "
            f"refresh_token={'yes' if self.refresh_token else 'no'})"
        )


def load_authlib() -> tuple[Any, Any, Any]:
    """``(AsyncOAuth2Client, OAuthError, httpx)``, imported lazily.

    :raises mailplug.ConfigurationError: ``oauth.library_missing``.
    """
    try:
        # Authlib warns that it prefers the "httpx2" package over httpx; the httpx
        # integration still works, and a user cannot act on that warning.
        with warnings.catch_warnings(record=True):
            import httpx
            from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
    except ImportError as exc:
        raise keys.LIBRARY_MISSING.error(
            problem=f"{exc.name or 'authlib'} not found", cause=exc
        ) from exc
    return AsyncOAuth2Client, OAuthError, httpx


class TokenClient:
    """Token requests for one account.

    :param settings: the account's OAuth settings.
    :param account: the account name (for error messages).
    :param client_secret: the OAuth client secret, if the client has one.
    :param clock: wall-clock seconds (tests may pass their own).
    """

    def __init__(
        self,
        settings: OAuthSettings,
        *,
        account: str,
        client_secret: SecretStr | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.account = account
        self._client_secret = client_secret
        self._clock = clock

    def __repr__(self) -> str:
        return f"<TokenClient {self.account} {self.settings.token_host}>"

    def _params(self, **extra: Any) -> dict[str, Any]:
        provider = self.settings.provider
        return {
            "account": self.account,
            "provider": provider.title,
            "console": provider.console,
            "host": self.settings.token_host,
            "scope": self.settings.scope,
            **extra,
        }

    def _client(self, status: list[int]) -> Any:
        client_cls, _, httpx = load_authlib()
        secret = self._client_secret.get_secret_value() if self._client_secret else None

        async def remember_status(response: Any) -> None:
            status.append(response.status_code)

        return client_cls(
            client_id=self.settings.client_id,
            client_secret=secret,
            token_endpoint_auth_method="client_secret_post" if secret else "none",
            code_challenge_method="S256",
            timeout=httpx.Timeout(self.settings.timeout),
            event_hooks={"response": [remember_status]},
        )

    async def authorization_url(
        self, *, redirect_uri: str, state: str, code_verifier: str, login_hint: str | None = None
    ) -> str:
        """The address the browser opens: response_type=code, PKCE S256, ``state``."""
        extra: dict[str, str] = dict(self.settings.provider.authorize_params)
        if login_hint:
            extra["login_hint"] = login_hint
        async with self._client([]) as client:
            url, _ = client.create_authorization_url(
                self.settings.authorization_endpoint,
                state=state,
                code_verifier=code_verifier,
                redirect_uri=redirect_uri,
                scope=self.settings.scope,
                **extra,
            )
        return str(url)

    async def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        """Trade the authorization code for tokens (``grant_type=authorization_code``)."""
        status: list[int] = []
        async with self._client(status) as client:
            try:
                token = await client.fetch_token(
                    self.settings.token_endpoint,
                    grant_type="authorization_code",
                    code=code,
                    redirect_uri=redirect_uri,
                    code_verifier=code_verifier,
                )
            except Exception as exc:
                raise self._map(exc, status, grant="authorization_code") from exc
        return self._token_set(token, status)

    async def refresh(self, refresh_token: SecretStr) -> TokenSet:
        """A new access token (and maybe a new refresh token) for ``refresh_token``."""
        status: list[int] = []
        extra: dict[str, str] = {}
        if self.settings.provider.scope_on_refresh:
            extra["scope"] = self.settings.scope
        async with self._client(status) as client:
            try:
                token = await client.refresh_token(
                    self.settings.token_endpoint,
                    refresh_token=refresh_token.get_secret_value(),
                    **extra,
                )
            except Exception as exc:
                raise self._map(exc, status, grant="refresh_token") from exc
        tokens = self._token_set(token, status)
        if (
            tokens.refresh_token is not None
            and tokens.refresh_token.get_secret_value() == refresh_token.get_secret_value()
        ):
            # Authlib copies the old refresh token into an answer that had none.
            tokens = TokenSet(
                tokens.access_token,
                tokens.obtained_at,
                tokens.expires_at,
                None,
                tokens.scope,
                tokens.token_type,
            )
        return tokens

    def _token_set(self, token: Any, status: list[int]) -> TokenSet:
        access = token.get("access_token") if hasattr(token, "get") else None
        if not isinstance(access, str) or not access:
            raise keys.TOKEN_ENDPOINT_BAD_RESPONSE.error(
                **self._params(status=status[-1] if status else "?")
            )
        now = self._clock()
        try:
            lifetime = float(token.get("expires_in", DEFAULT_LIFETIME))
        except (TypeError, ValueError):
            lifetime = DEFAULT_LIFETIME
        refresh = token.get("refresh_token")
        scope = token.get("scope")
        return TokenSet(
            access_token=SecretStr(access),
            obtained_at=now,
            expires_at=now + max(lifetime, 0.0),
            refresh_token=SecretStr(refresh) if isinstance(refresh, str) and refresh else None,
            scope=scope if isinstance(scope, str) else None,
            token_type=str(token.get("token_type") or "Bearer"),
        )

    def _map(self, exc: Exception, status: list[int], *, grant: str) -> MailplugError:
        from mailplug.plugin import MailplugError

        if isinstance(exc, MailplugError):
            return exc
        _, oauth_error, httpx = load_authlib()
        code = status[-1] if status else None
        if isinstance(exc, oauth_error):
            error = str(getattr(exc, "error", "") or "unknown_error")
            description = str(getattr(exc, "description", "") or "").strip()
            # Microsoft appends trace ids on new lines; the first line is the message.
            description = description.splitlines()[0] if description else "—"
            shown = f"{error}: {description}" if description != "—" else error
            log.info("token endpoint %s answered %s", self.settings.token_host, error)
            if error == "invalid_grant" and grant == "refresh_token":
                return keys.REAUTHORIZE_REQUIRED.error(**self._params(error=shown))
            if error == "invalid_client" or (
                error == "invalid_request" and "client_secret" in description
            ):
                return keys.INVALID_CLIENT.error(**self._params(error=shown))
            if error == "unauthorized_client":
                return keys.UNAUTHORIZED_CLIENT.error(**self._params(error=shown))
            if error == "invalid_scope":
                return keys.INVALID_SCOPE.error(**self._params(error=shown))
            if error in _UNAVAILABLE_ERRORS:
                return keys.TOKEN_ENDPOINT_UNAVAILABLE.error(**self._params(problem=shown))
            return keys.TOKEN_REQUEST_FAILED.error(
                **self._params(error=error, description=description)
            )
        if isinstance(exc, httpx.HTTPStatusError):
            code = exc.response.status_code
        if code is not None and (code >= 500 or code == 429):
            return keys.TOKEN_ENDPOINT_UNAVAILABLE.error(**self._params(problem=f"HTTP {code}"))
        if isinstance(exc, httpx.TransportError):
            problem = str(exc) or type(exc).__name__
            log.info("token endpoint %s unreachable: %s", self.settings.token_host, problem)
            return keys.TOKEN_ENDPOINT_UNAVAILABLE.error(**self._params(problem=problem))
        if isinstance(exc, (httpx.HTTPStatusError, ValueError, KeyError, TypeError)):
            return keys.TOKEN_ENDPOINT_BAD_RESPONSE.error(**self._params(status=code or "?"))
        raise exc
