"""Hook implementations of the built-in smtp plugin.

Loading the plugin imports neither aiosmtplib nor the reply table: the
transport, the login method, the probe and the table are imported on first
use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mailplug.plugin import hookimpl

if TYPE_CHECKING:
    from mailplug.plugin import (
        Account,
        Authenticator,
        AuthFactory,
        CheckOptions,
        CheckReport,
        ErrorSpec,
        Probe,
        ServerReply,
        Services,
        Text,
        Transport,
        TransportFactory,
    )


# -- transport, login method, probe ----------------------------------------------


def _smtp_transport(
    account: Account, *, auth: Authenticator | None, services: Services
) -> Transport:
    from .transport import SmtpTransport

    return SmtpTransport(account, auth=auth, services=services)


class _PasswordLogin:
    """The ``password`` login method's factory (an :class:`~mailplug.plugin.AuthFactory`).

    It also names the environment variable the password may come from, so
    ``mailplug accounts add`` can tell the user where to put it.
    """

    def __call__(self, account: Account, *, services: Services) -> Authenticator:
        from .auth import PasswordAuthenticator

        return PasswordAuthenticator(account, services=services)

    @staticmethod
    def password_env(account_name: str) -> str:
        from .auth import default_password_env

        return default_password_env(account_name)


_password_auth = _PasswordLogin()


async def _probe_smtp(
    account: Account,
    *,
    transport: Transport | None,
    auth: Authenticator | None,
    services: Services,
    rcpt: str | None,
    options: CheckOptions,
) -> CheckReport | None:
    from .probe import probe

    return await probe(
        account, transport=transport, auth=auth, services=services, rcpt=rcpt, options=options
    )


@hookimpl(trylast=True)
def mailplug_register_transports(register: Callable[[str, TransportFactory], None]) -> None:
    register("smtp", _smtp_transport)


@hookimpl(trylast=True)
def mailplug_register_auth(register: Callable[[str, AuthFactory], None]) -> None:
    register("password", _password_auth)


@hookimpl(trylast=True)
def mailplug_register_probes(register: Callable[[str, Probe], None]) -> None:
    register("smtp", _probe_smtp)


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
    spec = providers.classify(reply, stage=stage, host=host)
    oauth = account is not None and account.auth == "microsoft-oauth2"
    if spec is providers.SMTP_AUTH_DISABLED and oauth:
        return providers.SMTP_AUTH_DISABLED_OAUTH
    return spec


@hookimpl(trylast=True)
def mailplug_classify_reply(reply: ServerReply, stage: str) -> ErrorSpec:
    """The built-in reply table (:mod:`mailplug_smtp.rules`)."""
    from . import rules

    return rules.classify(reply, stage=stage)


@hookimpl(trylast=True)
def mailplug_register_messages(register: Callable[[ErrorSpec | Text], None]) -> None:
    from . import keys, providers, replies

    for spec in (*keys.CLIENT_ERRORS, *replies.REPLY_ERRORS, *providers.PROVIDER_ERRORS):
        register(spec)
    for text in keys.STAGE_TEXTS:
        register(text)
