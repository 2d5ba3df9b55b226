"""XOAUTH2 end to end: SMTP transport, a Gmail-like aiosmtpd server, a loopback token endpoint.

The SMTP server (``tests/smtp_server.py``) accepts a token only if the token
endpoint stand-in issued it and has not revoked it; a refused token gets
Gmail's ``334`` base64 JSON, then ``535-5.7.8`` after the client's empty line.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from tests.oauth_servers import FakeOAuthServer
from tests.ports import free_ports
from tests.smtp_server import SMTPServer

from mailplug import hookimpl
from mailplug.errors import AuthenticationError, ConnectionFailedError, MailplugError
from mailplug.mailer import AsyncMailer
from mailplug.models import Message
from mailplug.storage import Status
from mailplug_oauth import PROVIDERS, REFRESH_TOKEN_KEY, OAuth2Authenticator

USER = "jan.kowalski@gmail.com"


class Clock:
    def __init__(self) -> None:
        import time

        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def google() -> Iterator[FakeOAuthServer]:
    server = FakeOAuthServer().start()
    try:
        yield server
    finally:
        server.stop()


def gmail_checker(server: FakeOAuthServer, user: str = USER) -> Callable[[str, str], bool]:
    def check(login: str, token: str) -> bool:
        return login == user and token in server.valid_access_tokens

    return check


def oauth_account(
    smtp: SMTPServer, server: FakeOAuthServer, *, name: str = "gmail", **auth: Any
) -> dict[str, Any]:
    settings = {
        "client_id": server.client_id,
        "authorization_endpoint": f"{server.base}/o/oauth2/v2/auth",
        "token_endpoint": f"{server.base}/token",
        **auth,
    }
    return smtp.account(name=name, email=USER, auth="gmail-oauth2", auth_settings=settings)


class ClockedGmail:
    """Overrides ``gmail-oauth2`` (as a host may) to give the authenticator a test clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    @hookimpl
    def mailplug_register_auth(self, register: Any) -> None:
        def factory(account: Any, *, services: Any) -> OAuth2Authenticator:
            return OAuth2Authenticator(
                account,
                services=services,
                provider=PROVIDERS["google"],
                clock=self.clock,
                name="gmail-oauth2",
            )

        register("gmail-oauth2", factory)


async def authorize(mailer: AsyncMailer, server: FakeOAuthServer, name: str = "gmail") -> str:
    """What ``accounts authorize`` leaves behind: a refresh token in the store."""
    token = server.issue_refresh_token()
    store = await mailer.secrets()
    assert store is not None
    await store.set(name, REFRESH_TOKEN_KEY, SecretStr(token), meta={"stored_at": "x"})
    return token


def message(n: int = 1) -> Message:
    return Message(account="gmail", to="ala@example.com", subject=f"Test {n}", text="Treść")


async def close_connections(mailer: AsyncMailer) -> None:
    """Drop pooled SMTP sessions so the next send logs in again."""
    transport = await mailer.transport_for(mailer.account("gmail"))
    await transport.aclose()


# -- sending ----------------------------------------------------------------------


async def test_first_send_refreshes_and_sends(
    tmp_path: Path, google: FakeOAuthServer, smtp_server: Callable[..., SMTPServer]
) -> None:
    smtp = smtp_server(tls="tls", auth_mechanisms=(), xoauth2=gmail_checker(google))
    async with AsyncMailer(
        [oauth_account(smtp, google)], data_dir=tmp_path, outbox=None, entry_points=False
    ) as mailer:
        await authorize(mailer, google)
        result = await mailer.send(message())
    assert result.ok
    assert [r.address for r in result.accepted] == ["ala@example.com"]
    assert len(google.grants("refresh_token")) == 1
    assert [(a.mechanism, a.username, a.success) for a in smtp.auth_attempts] == [
        ("XOAUTH2", USER, True)
    ]
    assert smtp.messages[0].authenticated_as == USER


async def test_expired_access_token_is_refreshed_before_login(
    tmp_path: Path, google: FakeOAuthServer, smtp_server: Callable[..., SMTPServer]
) -> None:
    clock = Clock()
    smtp = smtp_server(tls="tls", auth_mechanisms=(), xoauth2=gmail_checker(google))
    async with AsyncMailer(
        [oauth_account(smtp, google)],
        data_dir=tmp_path,
        outbox=None,
        entry_points=False,
        plugins=[ClockedGmail(clock)],
    ) as mailer:
        await authorize(mailer, google)
        await mailer.send(message(1))
        await close_connections(mailer)
        clock.now += 3600  # the hour is over
        await mailer.send(message(2))
    assert len(google.grants("refresh_token")) == 2
    assert [a.success for a in smtp.auth_attempts] == [True, True]  # no failed login
    assert len(smtp.messages) == 2


async def test_refused_token_is_renewed_and_the_login_retried_once(
    tmp_path: Path, google: FakeOAuthServer, smtp_server: Callable[..., SMTPServer]
) -> None:
    smtp = smtp_server(tls="tls", auth_mechanisms=(), xoauth2=gmail_checker(google))
    async with AsyncMailer(
        [oauth_account(smtp, google)], data_dir=tmp_path, outbox=None, entry_points=False
    ) as mailer:
        await authorize(mailer, google)
        await mailer.send(message(1))
        await close_connections(mailer)
        google.expire_access_tokens()  # Google stops accepting the cached token early
        result = await mailer.send(message(2))
    assert result.ok
    assert [a.success for a in smtp.auth_attempts] == [True, False, True]
    assert len(google.grants("refresh_token")) == 2
    assert len(smtp.messages) == 2


async def test_token_refused_twice_is_not_tried_a_third_time(
    tmp_path: Path, google: FakeOAuthServer, smtp_server: Callable[..., SMTPServer]
) -> None:
    smtp = smtp_server(tls="tls", auth_mechanisms=(), xoauth2=lambda user, token: False)
    async with AsyncMailer(
        [oauth_account(smtp, google)], data_dir=tmp_path, outbox=None, entry_points=False
    ) as mailer:
        await authorize(mailer, google)
        with pytest.raises(MailplugError) as info:
            await mailer.send(message())
    err = info.value
    # One login, one renewal of the token, one more login: then the reply is classified.
    assert [a.success for a in smtp.auth_attempts] == [False, False]
    assert len(google.grants("refresh_token")) == 2
    assert err.reply is not None and (err.reply.code, err.reply.enhanced) == (535, "5.7.8")
    assert smtp.messages == []


async def test_microsoft_account_over_starttls_through_the_same_code(
    tmp_path: Path, smtp_server: Callable[..., SMTPServer]
) -> None:
    scope = "https://outlook.office.com/SMTP.Send offline_access"
    ms = FakeOAuthServer(client_id="11111111-2222-3333-4444-555555555555", scope=scope)
    ms.rotate = True
    ms.start()
    try:
        user = "biuro@firma.onmicrosoft.com"
        smtp = smtp_server(tls="starttls", auth_mechanisms=(), xoauth2=gmail_checker(ms, user))
        account = smtp.account(
            name="m365",
            email=user,
            auth="microsoft-oauth2",
            auth_settings={
                "client_id": ms.client_id,
                "tenant": "firma.onmicrosoft.com",
                "authorization_endpoint": ms.base + "/{tenant}/oauth2/v2.0/authorize",
                "token_endpoint": ms.base + "/{tenant}/oauth2/v2.0/token",
            },
        )
        async with AsyncMailer([account], data_dir=tmp_path, outbox=None, entry_points=False) as m:
            old = await authorize(m, ms, "m365")
            result = await m.send(
                Message(account="m365", to="ala@example.com", subject="Hi", text="x")
            )
        assert result.ok
        [refresh] = ms.grants("refresh_token")
        assert refresh.path == "/firma.onmicrosoft.com/oauth2/v2.0/token"
        assert refresh.form["scope"] == scope and refresh.form["refresh_token"] == old
        assert [(a.mechanism, a.success, a.tls) for a in smtp.auth_attempts] == [
            ("XOAUTH2", True, True)
        ]
    finally:
        ms.stop()


async def test_send_now_with_revoked_permission_says_authorize_again(
    tmp_path: Path, google: FakeOAuthServer, smtp_server: Callable[..., SMTPServer]
) -> None:
    smtp = smtp_server(tls="tls", auth_mechanisms=(), xoauth2=gmail_checker(google))
    async with AsyncMailer(
        [oauth_account(smtp, google)], data_dir=tmp_path, outbox=None, entry_points=False
    ) as mailer:
        await authorize(mailer, google)
        google.revoke_all()
        with pytest.raises(AuthenticationError) as info:
            await mailer.send(message())
    assert info.value.key == "oauth.reauthorize_required"
    assert "mailplug accounts authorize gmail" in info.value.render("pl")
    assert smtp.auth_attempts == []  # no point logging in without a token


# -- through the outbox ---------------------------------------------------------------


async def test_revoked_permission_pauses_the_account_and_keeps_the_mail(
    tmp_path: Path, google: FakeOAuthServer, smtp_server: Callable[..., SMTPServer]
) -> None:
    smtp = smtp_server(tls="tls", auth_mechanisms=(), xoauth2=gmail_checker(google))
    async with AsyncMailer(
        [oauth_account(smtp, google)], data_dir=tmp_path, entry_points=False
    ) as mailer:
        await authorize(mailer, google)
        google.revoke_all()
        first = await mailer.enqueue(message(1))
        second = await mailer.enqueue(message(2))
        report = await mailer.flush()
        assert "gmail" in report.paused
        assert report.errors.get("oauth.reauthorize_required", 0) >= 1
        for entry_id in (first, second):
            entry = await mailer.status(entry_id)
            assert entry.status in (Status.QUEUED, Status.DEFERRED)
            assert entry.status is not Status.FAILED
        assert smtp.messages == []

        # The user authorizes again; the account resumes and the mail goes out.
        await authorize(mailer, google)
        outbox = await mailer.outbox()
        assert await outbox.resume_account("gmail")
        report = await mailer.flush()
        assert report.sent == 2
    assert {m.message.get("Subject") for m in smtp.messages} == {"Test 1", "Test 2"}


def _closed_port() -> int:
    (port,) = free_ports(1)
    return port


async def test_token_endpoint_down_defers_without_pausing(
    tmp_path: Path, google: FakeOAuthServer, smtp_server: Callable[..., SMTPServer]
) -> None:
    smtp = smtp_server(tls="tls", auth_mechanisms=(), xoauth2=gmail_checker(google))
    account = oauth_account(smtp, google, token_endpoint=f"http://127.0.0.1:{_closed_port()}/token")
    async with AsyncMailer([account], data_dir=tmp_path, entry_points=False) as mailer:
        await authorize(mailer, google)
        entry_id = await mailer.enqueue(message())
        report = await mailer.flush()
        entry = await mailer.status(entry_id)
        paused = await (await mailer.outbox()).paused_accounts()
    assert entry.status is Status.DEFERRED
    assert entry.error is not None and entry.error.key == "oauth.token_endpoint_unavailable"
    assert report.errors == {"oauth.token_endpoint_unavailable": 1}
    assert all(p.until is not None for p in paused.values())  # a hold at most, never a pause


async def test_send_now_with_token_endpoint_down_is_transient(
    tmp_path: Path, google: FakeOAuthServer, smtp_server: Callable[..., SMTPServer]
) -> None:
    smtp = smtp_server(tls="tls", auth_mechanisms=(), xoauth2=gmail_checker(google))
    google.fail_next.append((503, "<html>Service Unavailable</html>"))
    async with AsyncMailer(
        [oauth_account(smtp, google)], data_dir=tmp_path, outbox=None, entry_points=False
    ) as mailer:
        await authorize(mailer, google)
        with pytest.raises(ConnectionFailedError) as info:
            await mailer.send(message())
    assert info.value.key == "oauth.token_endpoint_unavailable" and info.value.transient


# -- secrets --------------------------------------------------------------------------


async def test_no_token_appears_in_logs_errors_or_results(
    tmp_path: Path,
    google: FakeOAuthServer,
    smtp_server: Callable[..., SMTPServer],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    smtp = smtp_server(tls="tls", auth_mechanisms=(), xoauth2=gmail_checker(google))
    shown: list[str] = []
    async with AsyncMailer(
        [oauth_account(smtp, google)], data_dir=tmp_path, outbox=None, entry_points=False
    ) as mailer:
        refresh = await authorize(mailer, google)
        result = await mailer.send(message(1))
        shown.append(repr(result))
        await close_connections(mailer)
        google.expire_access_tokens()
        await mailer.send(message(2))  # refused token, renewed, retried
        auth = await mailer.authenticator(mailer.account("gmail"))
        assert auth is not None
        shown += [repr(auth), json.dumps(await auth.adescribe())]
        google.revoke_all()
        await close_connections(mailer)
        google.expire_access_tokens()
        with pytest.raises(MailplugError) as info:
            await mailer.send(message(3))
        err = info.value
        shown += [str(err), repr(err), err.render("pl"), json.dumps(err.to_dict("en"))]
    # aiosmtpd (the server side, logger "mail.log") logs the AUTH line; ours must not.
    shown += [
        f"{r.name} {r.getMessage()} {r.args!r}"
        for r in caplog.records
        if not r.name.startswith("mail.log")
    ]
    assert refresh in google.issued and len(google.issued) >= 3
    for secret in google.issued:
        blob = base64.b64encode(f"user={USER}\x01auth=Bearer {secret}\x01\x01".encode())
        for text in shown:
            assert secret not in text
            assert blob.decode() not in text
