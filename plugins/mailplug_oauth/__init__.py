"""mailplug built-in plugin: OAuth 2.0 (XOAUTH2) sign-in for Gmail and Microsoft 365.

Login methods: ``gmail-oauth2``, ``microsoft-oauth2`` and ``oauth2`` (with
``auth_settings.provider``).  A provider is a row of
:data:`~mailplug_oauth.providers.PROVIDERS`.  Authlib and httpx
(``pip install 'mailplug[oauth]'``) are imported only when a token is needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .factories import provider_auth, token_provider_auth
from .providers import AUTH_NAMES, PROVIDERS, OAuthProvider

if TYPE_CHECKING:
    from .authenticator import (
        CLIENT_SECRET_KEY,
        REFRESH_TOKEN_KEY,
        OAuth2Authenticator,
        TokenProvider,
    )

_LAZY = {"CLIENT_SECRET_KEY", "REFRESH_TOKEN_KEY", "OAuth2Authenticator", "TokenProvider"}


def __getattr__(name: str) -> Any:
    # The authenticator module is loaded on first use, not when the plugin registers.
    if name in _LAZY:
        return getattr(importlib.import_module(".authenticator", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AUTH_NAMES",
    "CLIENT_SECRET_KEY",
    "PROVIDERS",
    "REFRESH_TOKEN_KEY",
    "OAuth2Authenticator",
    "OAuthProvider",
    "TokenProvider",
    "provider_auth",
    "token_provider_auth",
]
