"""Hook implementations of the built-in smtp plugin."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mailplug.hookspecs import hookimpl

if TYPE_CHECKING:
    from mailplug.auth import Authenticator, AuthFactory
    from mailplug.errors import ErrorSpec, ServerReply, Text
    from mailplug.models import Account
    from mailplug.services import Services
    from mailplug.transport import Transport, TransportFactory


# -- transport and login method ------------------------------------------------
# (imported lazily: loading the plugin must not import aiosmtplib)


def _smtp_transport(
    account: Account, *, auth: Authenticator | None, services: Services
) -> Transport:
    from .transport import SmtpTransport

    return SmtpTransport(account, auth=auth, services=services)


def _password_auth(account: Account, *, services: Services) -> Authenticator:
    from .auth import PasswordAuthenticator

    return PasswordAuthenticator(account, services=services)


@hookimpl(trylast=True)
def mailplug_register_transports(register: Callable[[str, TransportFactory], None]) -> None:
    register("smtp", _smtp_transport)


@hookimpl(trylast=True)
def mailplug_register_auth(register: Callable[[str, AuthFactory], None]) -> None:
    register("password", _password_auth)


# -- server replies and messages -------------------------------------------------


@hookimpl(specname="mailplug_classify_reply")
def classify_provider_reply(
    reply: ServerReply, stage: str, host: str | None, account: Account | None
) -> ErrorSpec | None:
    """Gmail, Microsoft 365, Yahoo: a provider's own meaning wins over the generic table."""
    from . import providers

    if host is None and account is not None:
        configured = account.settings.get("host")
        host = configured if isinstance(configured, str) else None
    return providers.classify(reply, stage=stage, host=host)


@hookimpl(trylast=True)
def mailplug_classify_reply(reply: ServerReply, stage: str) -> ErrorSpec:
    """The built-in reply table (:mod:`mailplug_smtp.replies`)."""
    from . import replies

    return replies.classify(reply, stage=stage)


@hookimpl(trylast=True)
def mailplug_register_messages(register: Callable[[ErrorSpec | Text], None]) -> None:
    from . import keys, providers, replies

    for spec in (*keys.CLIENT_ERRORS, *replies.REPLY_ERRORS, *providers.PROVIDER_ERRORS):
        register(spec)
