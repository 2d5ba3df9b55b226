"""Hook implementations of the built-in oauth plugin.

Registers the login methods ``gmail-oauth2`` and ``microsoft-oauth2`` (one
provider row each) and ``oauth2`` (provider chosen by ``auth_settings.provider``),
the command ``mailplug accounts authorize``, and the plugin's error keys and texts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mailplug.plugin import hookimpl

from .factories import provider_auth
from .keys import OAUTH_ERRORS
from .providers import AUTH_NAMES
from .texts import OAUTH_TEXTS

if TYPE_CHECKING:
    from mailplug.plugin import AuthFactory, Command, ErrorSpec, Text


@hookimpl(trylast=True)
def mailplug_register_auth(register: Callable[[str, AuthFactory], None]) -> None:
    for auth_name, provider in AUTH_NAMES.items():
        register(auth_name, provider_auth(provider, name=auth_name))
    register("oauth2", provider_auth(None, name="oauth2"))


@hookimpl(trylast=True)
def mailplug_register_commands(register: Callable[[Command], None]) -> None:
    from .cli import AUTHORIZE

    register(AUTHORIZE)


@hookimpl(trylast=True)
def mailplug_register_messages(register: Callable[[ErrorSpec | Text], None]) -> None:
    for spec in OAUTH_ERRORS:
        register(spec)
    for text in OAUTH_TEXTS:
        register(text)
