"""XOAUTH2 over IMAP for real: Dovecot's ``oauth2`` passdb checks every bearer token
against a loopback token-introspection endpoint (RFC 7662, ``tests/oauth_servers.py``),
so ``bounces fetch`` and the Sent copy log in the way Gmail and Microsoft 365 accounts do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from tests.dovecot_server import Dovecot, available
from tests.oauth_servers import FakeOAuthServer
from tests.test_tracking import dsn

from mailplug import AsyncMailer, Message
from mailplug.errors import MailplugError
from mailplug.outbox import CopyStatus, RecipientStatus
from mailplug.status import Status
from mailplug.testing.smtp import SMTPServer
from mailplug_imap.fetch import fetch_reports
from mailplug_oauth import REFRESH_TOKEN_KEY

pytestmark = pytest.mark.skipif(not available(), reason="dovecot-imapd is not installed")

USER = "biuro@example.com"
#: The test's own side (APPEND, reading folders) logs in with a password.
PASSWORD = "Sekret-IMAP-9"


@pytest.fixture
def google() -> Iterator[FakeOAuthServer]:
    server = FakeOAuthServer(subject=USER).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def dovecot(google: FakeOAuthServer) -> Iterator[Dovecot]:
    server = Dovecot.start({USER: PASSWORD}, oauth2_introspection=f"{google.base}/introspect")
    try:
        yield server
    finally:
        server.stop()


def checker(server: FakeOAuthServer) -> Callable[[str, str], bool]:
    def check(login: str, token: str) -> bool:
        return login == USER and token in server.valid_access_tokens

    return check


def oauth_account(smtp: SMTPServer, server: FakeOAuthServer, dovecot: Dovecot) -> dict[str, Any]:
    data = smtp.account(
        name="biuro",
        email=USER,
        auth="gmail-oauth2",
        auth_settings={
            "client_id": server.client_id,
            "authorization_endpoint": f"{server.base}/o/oauth2/v2/auth",
            "token_endpoint": f"{server.base}/token",
        },
        ca_file=str(dovecot.ca_file),
    )
    data["imap"] = dovecot.imap("tls")
    return data


async def authorize(mailer: AsyncMailer, server: FakeOAuthServer) -> None:
    """What ``accounts authorize`` leaves behind: a refresh token in the store."""
    store = await mailer.secrets()
    assert store is not None
    token = server.issue_refresh_token()
    await store.set("biuro", REFRESH_TOKEN_KEY, SecretStr(token), meta={"stored_at": "x"})


async def test_sent_copy_and_bounce_fetch_log_in_with_xoauth2(
    smtp_server: Callable[..., SMTPServer],
    google: FakeOAuthServer,
    dovecot: Dovecot,
    tmp_path: Path,
) -> None:
    smtp = smtp_server(tls="tls", auth_mechanisms=(), xoauth2=checker(google))
    async with AsyncMailer(
        [oauth_account(smtp, google, dovecot)], data_dir=tmp_path, entry_points=False
    ) as mailer:
        await authorize(mailer, google)
        entry_id = await mailer.enqueue(
            Message(sender=USER, to=["jan@example.pl"], subject="Faktura", text="Treść")
        )
        report = await mailer.flush()
        assert report.counts == {"sent": 1}
        entry = await mailer.queue.status(entry_id)
        assert entry.sent_copy is not None and entry.sent_copy.status is CopyStatus.SAVED
        # Dovecot asked the introspection endpoint about a token the provider issued.
        assert google.introspected and set(google.introspected) <= google.valid_access_tokens
        assert len(dovecot.messages(USER, "Sent")) == 1

        asked = len(google.introspected)
        bounce = dsn(smtp.messages[-1].data, ("jan@example.pl", "failed", "550 5.1.1 No such user"))
        dovecot.append(USER, bounce)
        result = await fetch_reports(mailer, "biuro")
        assert result.changes == 1 and len(google.introspected) > asked
        entry = await mailer.queue.status(entry_id)
        assert entry.status is Status.BOUNCED
        assert entry.recipients[0].status is RecipientStatus.BOUNCED

        # The provider stops accepting the token: Dovecot refuses the login.
        google.expire_access_tokens()
        with pytest.raises(MailplugError) as caught:
            await fetch_reports(mailer, "biuro")
        assert caught.value.key == "check.imap.login_failed"
        assert not any(t in str(caught.value) for t in google.issued)


async def test_token_of_another_user_is_refused_by_dovecot(
    smtp_server: Callable[..., SMTPServer],
    google: FakeOAuthServer,
    dovecot: Dovecot,
    tmp_path: Path,
) -> None:
    google.subject = "ktos.inny@example.com"  # the token belongs to someone else
    smtp = smtp_server()
    async with AsyncMailer(
        [oauth_account(smtp, google, dovecot)], data_dir=tmp_path, entry_points=False
    ) as mailer:
        await authorize(mailer, google)
        with pytest.raises(MailplugError) as caught:
            await fetch_reports(mailer, "biuro")
    assert caught.value.key == "check.imap.login_failed"
    assert google.introspected  # refused by Dovecot after asking, not before
