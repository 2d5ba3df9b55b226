"""The SMTP transport against a real aiosmtpd server on 127.0.0.1 (trustme certificates).

Every test sends through the core (``AsyncMailer.send``) unless it tests a
helper the account check reuses.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import socket
import ssl
from collections.abc import Callable, Iterator
from typing import Any

import keyring
import pytest
from aiosmtplib.errors import SMTPConnectError
from keyring.backend import KeyringBackend
from pydantic import SecretStr
from tests.ports import free_ports
from tests.smtp_server import Script, SMTPServer

from mailplug import AsyncMailer, Mailer, Message, hookimpl
from mailplug.auth import Authenticator, Credentials
from mailplug.errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectionFailedError,
    EncryptionError,
    MailplugError,
)
from mailplug.models import Account
from mailplug.transport import Envelope, RecipientsRefusedError, SendResult
from mailplug_smtp.reply import parse_reply
from mailplug_smtp.session import SmtpConnection, open_connection
from mailplug_smtp.settings import parse_settings
from mailplug_smtp.transport import RateLimiter, SmtpTransport

PASSWORD = "Sekret-Hasło-123!"
USER = "sender@example.com"

Server = Callable[..., SMTPServer]


def mailer(*accounts: Account | dict[str, Any], **options: Any) -> AsyncMailer:
    options.setdefault("outbox", None)
    options.setdefault("secret_store", None)
    options.setdefault("entry_points", False)
    return AsyncMailer(list(accounts), **options)


def message(**fields: Any) -> Message:
    fields.setdefault("to", ["jan@example.pl"])
    fields.setdefault("subject", "Faktura za październik")
    fields.setdefault("text", "Dzień dobry,\nw załączeniu faktura.\n")
    return Message(**fields)


def password_account(srv: SMTPServer, **settings: Any) -> dict[str, Any]:
    return srv.account(auth="password", auth_settings={"password": PASSWORD}, **settings)


async def deliver(account: dict[str, Any], msg: Message | None = None) -> SendResult:
    async with mailer(account) as m:
        return await m.send(msg or message())


async def failure(account: dict[str, Any], msg: Message | None = None) -> MailplugError:
    with pytest.raises(MailplugError) as info:
        await deliver(account, msg)
    return info.value


# -- delivery ---------------------------------------------------------------------


async def test_delivers_over_starttls_with_password(smtp_server: Server) -> None:
    srv = smtp_server(tls="starttls", require_starttls=True, users={USER: PASSWORD})
    result = await deliver(password_account(srv), message(bcc="ukryty@example.pl"))
    assert result.ok and not result.partial
    assert [r.address for r in result.accepted] == ["jan@example.pl", "ukryty@example.pl"]
    assert result.reply is not None and result.reply.code == 250
    assert result.host == "127.0.0.1"
    (received,) = srv.messages
    assert received.tls
    assert received.authenticated_as == USER
    assert received.envelope.rcpt_tos == ["jan@example.pl", "ukryty@example.pl"]
    assert received.message_id == result.message_id
    assert received.message["Subject"] == "Faktura za październik"
    assert b"ukryty" not in received.data
    assert [a.mechanism for a in srv.auth_attempts] == ["PLAIN"]
    assert all(a.tls for a in srv.auth_attempts)


async def test_implicit_tls(smtp_server: Server) -> None:
    srv = smtp_server(tls="tls", users={USER: PASSWORD})
    result = await deliver(password_account(srv))
    assert result.ok
    assert srv.messages[0].tls
    assert result.details["tls"] in ("TLSv1.2", "TLSv1.3")


async def test_reply_to_read_receipt_and_envelope_sender_reach_the_server(
    smtp_server: Server,
) -> None:
    srv = smtp_server()
    account = srv.account()
    account["envelope_sender"] = "bounces@example.com"
    account["reply_to"] = "biuro@example.com"
    await deliver(account, message(read_receipt=True))
    (received,) = srv.messages
    assert received.envelope.mail_from == "bounces@example.com"
    parsed = received.message
    assert parsed["Reply-To"].addresses[0].addr_spec == "biuro@example.com"
    assert "biuro@example.com" in str(parsed["Disposition-Notification-To"])
    assert parsed["From"].addresses[0].addr_spec == "sender@example.com"


async def test_partial_recipient_refusal(smtp_server: Server) -> None:
    srv = smtp_server(script=Script(rcpt={"nikt@example.pl": "550 5.1.1 No such user here"}))
    result = await deliver(srv.account(), message(to=["jan@example.pl", "nikt@example.pl"]))
    assert result.partial and not result.ok
    (refused,) = result.refused
    assert refused.address == "nikt@example.pl"
    assert (refused.code, refused.enhanced, refused.text) == (550, "5.1.1", "No such user here")
    assert refused.error_key == "smtp.recipient.unknown"
    assert refused.transient is False
    assert srv.messages[0].envelope.rcpt_tos == ["jan@example.pl"]


async def test_all_recipients_refused_raises_with_the_recipient(smtp_server: Server) -> None:
    srv = smtp_server(
        script=Script(
            rcpt={
                "pelna@example.pl": "452 4.2.2 Mailbox full",
                "nikt@example.pl": "550 5.1.1 No such user",
            }
        )
    )
    err = await failure(srv.account(), message(to=["pelna@example.pl", "nikt@example.pl"]))
    # The permanent refusal is the most significant one.
    assert err.recipient == "nikt@example.pl"
    assert err.key == "smtp.recipient.unknown"
    assert err.reply is not None and err.reply.code == 550
    assert isinstance(err, RecipientsRefusedError)
    assert [r.address for r in err.results] == ["pelna@example.pl", "nikt@example.pl"]
    # The transport reported the replies; the core classified each refusal.
    assert [r.error_key for r in err.results] == [
        "smtp.mailbox.full_temporary",
        "smtp.recipient.unknown",
    ]
    assert not srv.messages


async def test_smtputf8_address(smtp_server: Server) -> None:
    srv = smtp_server(smtputf8=True)
    result = await deliver(srv.account(), message(to="Żaneta <żaneta@przykład.pl>"))
    assert result.ok
    (received,) = srv.messages
    assert "SMTPUTF8" in received.envelope.mail_options
    assert received.envelope.rcpt_tos == ["żaneta@" + "przykład.pl".encode("idna").decode()]


async def test_smtputf8_unsupported_is_refused_before_sending(smtp_server: Server) -> None:
    srv = smtp_server(smtputf8=False)
    err = await failure(srv.account(), message(to="żaneta@example.pl"))
    assert err.key == "smtp.smtputf8_unsupported"
    assert err.recipient == "żaneta@example.pl"
    assert "MAIL" not in {verb for _, verb in srv.commands}


async def test_size_limit_checked_before_data(smtp_server: Server) -> None:
    srv = smtp_server(size_limit=2000)
    err = await failure(srv.account(), message(text="x" * 5000))
    assert err.key == "smtp.size_exceeded"
    assert err.params["limit"] == 2000
    assert "MAIL" not in {verb for _, verb in srv.commands}


async def test_sizes_are_human_readable_in_the_users_language(smtp_server: Server) -> None:
    srv = smtp_server(size_limit=1536)
    err = await failure(srv.account(), message(text="x" * 5000))
    async with AsyncMailer(outbox=None, entry_points=False) as mailer:
        err = mailer.localize(err)
    assert "1,5\u00a0kB" in err.message("pl")
    assert "1.5\u00a0kB" in err.message("en")
    assert "1536" not in err.message("pl") and " B," not in err.message("pl")


async def test_raw_bytes_are_dot_stuffed_and_get_crlf(smtp_server: Server) -> None:
    srv = smtp_server()
    account = Account.model_validate(srv.account())
    data = b"Subject: raw\nMessage-ID: <raw-1@example.com>\n\n.starts with a dot\n..two\n.\nend"
    envelope = Envelope(USER, ("jan@example.pl",), "<raw-1@example.com>")
    async with mailer(account) as m:
        transport = await m.transport_for(account)
        assert (await transport.send(envelope, data)).ok
    assert srv.messages[0].data == data.replace(b"\n", b"\r\n") + b"\r\n"


# -- security settings ------------------------------------------------------------


async def test_starttls_required_but_not_offered(smtp_server: Server) -> None:
    srv = smtp_server(tls="none")
    err = await failure(srv.account(security="starttls"))
    assert isinstance(err, EncryptionError)
    assert err.key == "tls.starttls_unavailable"
    assert "MAIL" not in {verb for _, verb in srv.commands}


async def test_auth_offered_only_after_tls(smtp_server: Server) -> None:
    srv = smtp_server(tls="starttls", users={USER: PASSWORD})
    err = await failure(password_account(srv, security="none"))
    assert err.key == "smtp.auth.needs_tls"
    assert not srv.auth_attempts

    result = await deliver(password_account(srv, security="starttls"))
    assert result.ok
    assert srv.auth_attempts[-1].tls


async def test_plaintext_auth_refused_unless_allowed(smtp_server: Server) -> None:
    srv = smtp_server(tls="none", users={USER: PASSWORD}, auth_require_tls=False)
    err = await failure(password_account(srv))
    assert err.key == "smtp.auth.plaintext_refused"
    assert not srv.auth_attempts

    result = await deliver(password_account(srv, allow_plaintext_auth=True))
    assert result.ok
    # Without encryption the password itself should not cross the wire.
    assert [a.mechanism for a in srv.auth_attempts] == ["CRAM-MD5"]


async def test_wrong_password_one_attempt_and_not_repeated(smtp_server: Server) -> None:
    srv = smtp_server(tls="starttls", users={USER: "another"})
    account = Account.model_validate(password_account(srv))
    async with mailer(account) as m:
        for _ in range(3):
            with pytest.raises(AuthenticationError) as info:
                await m.send(message())
            assert info.value.key == "smtp.auth.invalid_credentials"
            assert info.value.reply is not None and info.value.reply.enhanced == "5.7.8"
            assert info.value.spec.pauses == "account"
    # PLAIN, LOGIN and CRAM-MD5 are offered, but one wrong password is tried once.
    assert len(srv.auth_attempts) == 1
    assert "Niewłaściwe dane logowania" in info.value.message("pl")


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
async def test_pinned_mechanism(smtp_server: Server, mechanism: str) -> None:
    srv = smtp_server(tls="starttls", users={USER: PASSWORD})
    account = srv.account(
        auth="password", auth_settings={"password": PASSWORD, "mechanism": mechanism.lower()}
    )
    assert (await deliver(account)).ok
    assert [(a.mechanism, a.success) for a in srv.auth_attempts] == [(mechanism, True)]


async def test_pinned_mechanism_not_offered(smtp_server: Server) -> None:
    srv = smtp_server(tls="starttls", users={USER: PASSWORD}, auth_mechanisms=["PLAIN"])
    account = srv.account(
        auth="password", auth_settings={"password": PASSWORD, "mechanism": "CRAM-MD5"}
    )
    err = await failure(account)
    assert err.key == "smtp.auth.mechanism_unavailable"
    assert err.params["offered"] == "PLAIN"
    assert not srv.auth_attempts


async def test_password_from_env_and_missing_password(
    smtp_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    srv = smtp_server(tls="starttls", users={USER: PASSWORD})
    account = srv.account(auth="password", auth_settings={"password_env": "TEST_SMTP_PASSWORD"})
    err = await failure(account)
    assert isinstance(err, ConfigurationError)
    assert err.key == "account.secret_missing"
    assert err.params["env"] == "TEST_SMTP_PASSWORD"
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    assert (await deliver(account)).ok


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


async def test_password_from_keyring(smtp_server: Server, memory_keyring: MemoryKeyring) -> None:
    srv = smtp_server(tls="starttls", users={"login-biuro": PASSWORD})
    memory_keyring.set_password("mailplug", "biuro", PASSWORD)
    account = srv.account(
        name="biuro", auth="password", auth_settings={"keyring": True, "username": "login-biuro"}
    )
    assert (await deliver(account)).ok
    assert srv.auth_attempts[0].username == "login-biuro"


# -- TLS problems -----------------------------------------------------------------


@pytest.mark.parametrize("tls", ["starttls", "tls"])
async def test_certificate_for_the_wrong_host(smtp_server: Server, tls: str) -> None:
    srv = smtp_server(tls=tls, cert_hostnames=["mail.example.com"])
    err = await failure(srv.account())
    assert isinstance(err, EncryptionError)
    assert err.key == "tls.certificate_wrong_host"
    assert not srv.messages


@pytest.mark.parametrize("tls", ["starttls", "tls"])
async def test_expired_certificate(smtp_server: Server, tls: str) -> None:
    srv = smtp_server(tls=tls, expired_cert=True)
    err = await failure(srv.account())
    assert err.key == "tls.certificate_expired"


async def test_untrusted_certificate_without_ca_file(smtp_server: Server) -> None:
    srv = smtp_server(tls="starttls")
    account = srv.account()
    del account["settings"]["ca_file"]
    err = await failure(account)
    assert err.key == "tls.certificate_untrusted"


async def test_verify_off_accepts_any_certificate(smtp_server: Server) -> None:
    srv = smtp_server(tls="tls", cert_hostnames=["mail.example.com"])
    account = srv.account(verify=False)
    del account["settings"]["ca_file"]
    assert (await deliver(account)).ok


@pytest.mark.parametrize("tls", ["starttls", "tls"])
async def test_server_limited_to_older_tls_than_the_account_minimum(
    smtp_server: Server, tls: str
) -> None:
    srv = smtp_server(tls=tls, tls_max_version=ssl.TLSVersion.TLSv1_2)
    err = await failure(srv.account(min_tls="1.3"))
    assert err.key == "tls.version_too_old"
    assert err.params["min_tls"] == "1.3"
    # TLS 1.2 is accepted when the account allows it.
    assert (await deliver(srv.account(min_tls=1.2))).details["tls"] == "TLSv1.2"


async def test_implicit_tls_against_a_plaintext_port(smtp_server: Server) -> None:
    srv = smtp_server(tls="none")
    err = await failure(srv.account(security="tls"))
    assert err.key == "tls.wrong_mode"
    assert err.params["security"] == "tls"


async def test_starttls_against_an_implicit_tls_port(smtp_server: Server) -> None:
    srv = smtp_server(tls="tls")
    err = await failure(srv.account(security="starttls", connect_timeout=0.5))
    assert err.key == "tls.wrong_mode"
    assert err.params["security"] == "starttls"


async def test_missing_ca_file_names_the_setting(smtp_server: Server) -> None:
    srv = smtp_server(tls="tls")
    err = await failure(srv.account(ca_file="/nonexistent/ca.pem"))
    assert err.key == "account.invalid_settings"
    assert err.params["field"] == "settings.ca_file"


# -- connection problems ----------------------------------------------------------


async def test_connection_refused() -> None:
    (port,) = free_ports(1)
    account = {
        "name": "test",
        "email": USER,
        "settings": {"host": "127.0.0.1", "port": port, "security": "none"},
        "auth": None,
    }
    err = await failure(account)
    assert isinstance(err, ConnectionFailedError)
    assert err.key == "smtp.connect.refused"
    assert err.transient
    assert err.params["port"] == port
    assert "Połączenie nieudane" in err.message("pl")


async def test_greeting_never_arrives(smtp_server: Server) -> None:
    srv = smtp_server(script=Script(greeting_delay=3))
    err = await failure(srv.account(connect_timeout=0.3))
    assert err.key == "smtp.connect.timeout"


async def test_read_timeout(smtp_server: Server) -> None:
    srv = smtp_server(script=Script(delays={"mail": 3}))
    err = await failure(srv.account(timeout=0.3))
    assert err.key == "smtp.timeout"
    assert err.params["stage"] == "MAIL FROM"
    assert err.transient


async def test_greeting_554(smtp_server: Server) -> None:
    srv = smtp_server(script=Script(greeting="554 mx.test.invalid Service unavailable"))
    err = await failure(srv.account())
    assert err.reply is not None and err.reply.code == 554
    assert err.key == "smtp.service.refused"
    assert "Serwer odmówił obsługi tego połączenia" in err.message("pl")


@pytest.mark.parametrize("tls", ["none", "tls"])
async def test_disconnect_after_rcpt(smtp_server: Server, tls: str) -> None:
    srv = smtp_server(tls=tls, script=Script(disconnect_after_rcpt=True))
    err = await failure(srv.account())
    assert isinstance(err, ConnectionFailedError)
    assert err.key == "smtp.disconnected"
    assert err.params["stage"] == "RCPT TO"
    assert not srv.messages


@pytest.mark.parametrize("tls", ["none", "starttls", "tls"])
async def test_disconnect_after_end_of_data_is_uncertain(smtp_server: Server, tls: str) -> None:
    srv = smtp_server(tls=tls, script=Script(disconnect_after_data=True))
    msg = message(message_id="<uncertain-1@example.com>")
    err = await failure(srv.account(), msg)
    assert isinstance(err, ConnectionFailedError)
    assert err.key == "smtp.uncertain"
    assert err.transient
    # The server did get it: exactly why the outcome is "uncertain".
    assert [r.message_id for r in srv.messages] == [msg.message_id]


async def test_timeout_after_end_of_data_is_uncertain(smtp_server: Server) -> None:
    srv = smtp_server(script=Script(delays={"data": 3}))
    err = await failure(srv.account(timeout=0.3))
    assert err.key == "smtp.uncertain"


async def test_421_reply_mid_session(smtp_server: Server) -> None:
    srv = smtp_server(script=Script(rcpt={"jan@example.pl": "421 4.7.0 Too many errors, bye"}))
    err = await failure(srv.account())
    assert err.reply is not None and err.reply.code == 421
    assert err.reply.text == "Too many errors, bye"
    assert err.key == "smtp.service.unavailable"
    assert err.transient


async def test_421_sent_while_idle_is_recovered_from_the_disconnect(smtp_server: Server) -> None:
    # The 421 arrives unasked (after the MAIL reply), then the server closes:
    # aiosmtplib only sees a lost connection at RCPT.
    script = Script(unsolicited={"mail": "421 4.4.2 mx.test closing: idle timeout"})
    srv = smtp_server(script=script)
    err = await failure(srv.account())
    assert err.reply is not None and err.reply.code == 421
    assert err.reply.enhanced == "4.4.2"
    assert err.key != "smtp.disconnected"
    assert err.transient


# -- reuse, pool, rate limit ------------------------------------------------------


async def test_connection_reused_across_a_batch(smtp_server: Server) -> None:
    srv = smtp_server(tls="starttls", users={USER: PASSWORD})
    async with mailer(password_account(srv)) as m:
        for index in range(5):
            await m.send(message(subject=f"nr {index}"))
    assert srv.connections == 1
    assert len(srv.messages) == 5
    assert len(srv.auth_attempts) == 1
    assert srv.commands[-1][1] == "QUIT"  # aclose() said goodbye
    assert srv.wait_closed() == 0


async def test_rset_after_a_failed_transaction(smtp_server: Server) -> None:
    srv = smtp_server(script=Script(rcpt={"nikt@example.pl": "550 5.1.1 No such user"}))
    async with mailer(srv.account()) as m:
        with pytest.raises(MailplugError):
            await m.send(message(to="nikt@example.pl"))
        assert (await m.send(message())).ok
    verbs = [verb for _, verb in srv.commands]
    assert verbs.index("RSET") > verbs.index("RCPT")
    assert srv.connections == 1


async def test_reconnects_when_the_server_closed_the_connection(smtp_server: Server) -> None:
    srv = smtp_server(script=Script(close_after_messages=1))
    async with mailer(srv.account()) as m:
        for _ in range(3):
            assert (await m.send(message())).ok
    assert len(srv.messages) == 3
    assert srv.connections == 3


async def test_idle_connection_checked_with_noop(smtp_server: Server) -> None:
    srv = smtp_server()
    async with mailer(srv.account(idle_check=0)) as m:
        await m.send(message())
        await m.send(message())
    async with mailer(srv.account(idle_check=0.0001)) as m:
        await m.send(message())
        await asyncio.sleep(0.01)
        await m.send(message())
    assert [verb for _, verb in srv.commands].count("NOOP") == 1


async def test_parallel_connections_are_bounded(smtp_server: Server) -> None:
    srv = smtp_server(script=Script(delays={"data": 0.2}))
    async with mailer(srv.account(max_connections=2)) as m:
        results = await asyncio.gather(*(m.send(message(subject=f"{i}")) for i in range(8)))
    assert all(r.ok for r in results)
    assert len(srv.messages) == 8
    assert srv.max_concurrent == 2
    assert srv.connections == 2


def test_rate_limiter_schedule() -> None:
    limiter = RateLimiter(60, clock=lambda: 0.0)  # one a second
    assert [limiter.reserve(0.0) for _ in range(4)] == [0.0, 1.0, 2.0, 3.0]
    assert limiter.reserve(10.0) == 0.0  # idle time does not bank more than the burst
    assert limiter.reserve(10.0) == 1.0

    burst = RateLimiter(30, burst=3)  # one every 2 s, 3 back to back
    assert [burst.reserve(100.0) for _ in range(5)] == [0.0, 0.0, 0.0, 2.0, 4.0]
    assert burst.reserve(105.0) == 1.0


async def test_rate_limit_setting_builds_the_limiter(smtp_server: Server) -> None:
    srv = smtp_server()
    account = Account.model_validate(srv.account(rate_limit_per_minute=120, rate_limit_burst=2))
    async with mailer(account) as m:
        transport = await m.transport_for(account)
        assert isinstance(transport, SmtpTransport)
        assert transport.limiter is not None
        assert transport.limiter.interval == 0.5
        assert transport.limiter.tolerance == 0.5
        await m.send(message())
        await m.send(message())
    assert len(srv.messages) == 2


# -- XOAUTH2 ----------------------------------------------------------------------


class TokenAuth(Authenticator):
    """An OAuth-like authenticator: hands out tokens, renews on request."""

    name = "test-oauth"

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.failures: list[MailplugError] = []
        self.refreshes = 0

    async def credentials(self, *, refresh: bool = False) -> Credentials:
        if refresh:
            self.refreshes += 1
            self.tokens.pop(0)
        return Credentials(
            username=USER, secret=SecretStr(self.tokens[0]), mechanism="XOAUTH2", refreshable=True
        )

    async def login_failed(self, error: MailplugError) -> None:
        self.failures.append(error)


class TokenAuthPlugin:
    __name__ = "test-oauth-plugin"

    def __init__(self, auth: TokenAuth) -> None:
        self.auth = auth

    @hookimpl
    def mailplug_register_auth(self, register: Callable[..., None]) -> None:
        register("test-oauth", lambda account, *, services: self.auth)


async def test_xoauth2_refreshes_a_refused_token_once(smtp_server: Server) -> None:
    srv = smtp_server(tls="tls", xoauth2=lambda user, token: token == "fresh-token")
    auth = TokenAuth(["expired-token", "fresh-token"])
    async with mailer(srv.account(auth="test-oauth"), plugins=[TokenAuthPlugin(auth)]) as m:
        assert (await m.send(message())).ok
    assert auth.refreshes == 1
    (failed,) = auth.failures
    assert failed.params["details"]["status"] == "400"
    assert [(a.mechanism, a.success) for a in srv.auth_attempts] == [
        ("XOAUTH2", False),
        ("XOAUTH2", True),
    ]


async def test_xoauth2_gives_up_after_one_refresh(smtp_server: Server) -> None:
    srv = smtp_server(tls="tls", xoauth2=lambda user, token: False)
    auth = TokenAuth(["token-1", "token-2", "token-3"])
    async with mailer(srv.account(auth="test-oauth"), plugins=[TokenAuthPlugin(auth)]) as m:
        with pytest.raises(AuthenticationError) as info:
            await m.send(message())
    err = info.value
    # Gmail's text names its help page: the Google-specific key of the same meaning.
    assert err.key.startswith("smtp.auth.invalid_credentials")
    assert err.reply is not None and err.reply.code == 535
    assert err.params["details"] == {
        "status": "400",
        "schemes": "Bearer",
        "scope": "https://mail.google.com/",
    }
    assert auth.refreshes == 1
    assert len(srv.auth_attempts) == 2


# -- no secrets anywhere ----------------------------------------------------------


async def test_no_password_or_token_in_logs_reprs_or_errors(
    smtp_server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    token = "ya29.SECRET-ACCESS-TOKEN"
    secrets = [PASSWORD, token]
    forms = set(secrets)
    for secret in secrets:
        forms.add(base64.b64encode(secret.encode()).decode())
        forms.add(base64.b64encode(b"\0" + USER.encode() + b"\0" + secret.encode()).decode())
        forms.add(
            base64.b64encode(f"user={USER}\x01auth=Bearer {secret}\x01\x01".encode()).decode()
        )
    caplog.set_level(logging.DEBUG)

    texts: list[str] = []
    wrong = smtp_server(tls="starttls", users={USER: "other"})
    right = smtp_server(tls="starttls", users={USER: PASSWORD})
    oauth = smtp_server(tls="tls", xoauth2=lambda user, t: False)
    for srv in (wrong, right):
        account = Account.model_validate(password_account(srv))
        texts += [repr(account), str(account), str(account.public_dict())]
        async with mailer(account) as m:
            transport = await m.transport_for(account)
            auth = await m.authenticator(account)
            assert auth is not None
            creds = await auth.credentials()
            texts += [repr(transport), repr(auth), repr(creds), str(creds), str(auth.describe())]
            try:
                await m.send(message())
            except MailplugError as err:
                texts += [str(err), repr(err), err.render("pl"), err.render("en")]
                texts += [str(err.to_dict("pl")), str(err.params), repr(err.__cause__)]
    auth_oauth = TokenAuth([token, token])
    async with mailer(oauth.account(auth="test-oauth"), plugins=[TokenAuthPlugin(auth_oauth)]) as m:
        with pytest.raises(MailplugError) as info:
            await m.send(message())
        texts += [str(info.value), info.value.render("pl"), str(info.value.params)]
    texts += [repr(c) for c in [await auth_oauth.credentials()]]
    # The server's own log ("mail.log") is not ours; everything else is.
    texts += [r.getMessage() for r in caplog.records if not r.name.startswith("mail.log")]
    assert any("AUTH" in t for t in texts)  # the transport did log its login
    for text in texts:
        for form in forms:
            assert form not in text


# -- settings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"port": 587}, "settings.host"),
        ({"host": "smtp.example.com", "port": 70000}, "settings.port"),
        ({"host": "smtp.example.com", "security": "smime"}, "settings.security"),
        ({"host": "smtp.example.com", "min_tls": "1.1"}, "settings.min_tls"),
        ({"host": "smtp.example.com", "timeout": 0}, "settings.timeout"),
        ({"host": "smtp.example.com", "max_connections": 0}, "settings.max_connections"),
        ({"host": "smtp.example.com", "colour": "red"}, "settings.colour"),
        ({"host": "smtp example.com"}, "settings.host"),
        ({"host": "a" * 64 + ".example.com"}, "settings.host"),
    ],
)
async def test_invalid_settings_name_the_field(settings: dict[str, Any], field: str) -> None:
    account = {"name": "x", "email": USER, "settings": settings, "auth": None}
    err = await failure(account)
    assert err.key == "account.invalid_settings"
    assert err.params["field"] == field
    assert field in err.message("pl")


def test_dns_failure_is_mapped() -> None:
    # No test may reach a real resolver; the mapping of the error aiosmtplib raises is checked.
    conn = SmtpConnection(parse_settings({"host": "smtp.example.invalid"}))
    exc = SMTPConnectError("Error connecting to smtp.example.invalid on port 587")
    exc.__cause__ = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    err = conn.map_error(exc, "connect")
    assert isinstance(err, ConnectionFailedError)
    assert err.key == "smtp.connect.dns"
    assert err.host == "smtp.example.invalid"


def test_host_forms() -> None:
    assert parse_settings({"host": "[::1]"}).host == "::1"
    assert parse_settings({"host": "127.0.0.1"}).ascii_host == "127.0.0.1"
    assert parse_settings({"host": "poczta.żółw.pl"}).ascii_host == "poczta.xn--w-uga1v8h.pl"


def test_default_ports_follow_security() -> None:
    assert parse_settings({"host": "h.example"}).effective_port == 587
    assert parse_settings({"host": "h.example", "security": "tls"}).effective_port == 465
    assert parse_settings({"host": "h.example", "security": "none"}).effective_port == 25
    assert parse_settings({"host": "h.example", "port": 2525}).effective_port == 2525
    assert parse_settings({"host": "h.example", "min_tls": 1.3}).tls_version == (
        ssl.TLSVersion.TLSv1_3
    )


async def test_invalid_auth_settings_name_the_field(smtp_server: Server) -> None:
    srv = smtp_server()
    err = await failure(
        srv.account(auth="password", auth_settings={"password": "x", "mechanism": "NTLM"})
    )
    assert err.key == "account.invalid_settings"
    assert err.params["field"] == "auth_settings.mechanism"


# -- helpers the account check reuses --------------------------------------------


async def test_step_by_step_connection_and_check(smtp_server: Server) -> None:
    srv = smtp_server(tls="starttls", users={USER: PASSWORD}, size_limit=10_000_000)
    settings = parse_settings(srv.settings())
    conn = SmtpConnection(settings)
    greeting = await conn.connect()
    assert greeting.code == 220
    await conn.ehlo()
    assert "starttls" in conn.extensions and not conn.encrypted
    await conn.starttls()
    await conn.ehlo()
    assert conn.encrypted and conn.tls_version in ("TLSv1.2", "TLSv1.3")
    assert conn.max_size == 10_000_000
    assert set(conn.auth_mechanisms) >= {"PLAIN", "LOGIN", "CRAM-MD5"}
    await conn.authenticate(Credentials(USER, SecretStr(PASSWORD)))
    assert conn.authenticated_as == USER
    await conn.quit()
    assert not conn.connected

    account = Account.model_validate(password_account(srv))
    async with mailer(account) as m:
        transport = await m.transport_for(account)
        assert isinstance(transport, SmtpTransport)
        opened = await transport.open()  # a fresh logged-in session, outside the pool
        assert opened.mechanism == "PLAIN" and opened.authenticated_as == USER
        await opened.quit()


async def test_open_connection_maps_errors(smtp_server: Server) -> None:
    srv = smtp_server(tls="tls", cert_hostnames=["other.example"])
    with pytest.raises(EncryptionError) as info:
        await open_connection(parse_settings(srv.settings()))
    assert info.value.key == "tls.certificate_wrong_host"


def test_parse_reply() -> None:
    reply = parse_reply(
        535,
        "5.7.8 Username and Password not accepted. For more information, go to\n"
        "5.7.8  https://support.google.com/mail/?p=BadCredentials",
    )
    assert reply.code == 535 and reply.enhanced == "5.7.8"
    assert reply.text == (
        "Username and Password not accepted. For more information, go to "
        "https://support.google.com/mail/?p=BadCredentials"
    )
    assert parse_reply(250, "OK").enhanced is None


def test_sync_mailer_sends(smtp_server: Server) -> None:
    srv = smtp_server()
    with Mailer([srv.account()], outbox=None, secret_store=None, entry_points=False) as m:
        assert m.send(message()).ok
    assert len(srv.messages) == 1


async def test_untrusted_certificate_sentence_has_no_openssl_english(smtp_server: Server) -> None:
    srv = smtp_server(tls="starttls")
    account = srv.account()
    del account["settings"]["ca_file"]
    err = await failure(account)
    assert err.key == "tls.certificate_untrusted"
    async with AsyncMailer(outbox=None, entry_points=False) as mailer:
        polish = mailer.localize(err).message("pl")
    assert polish.startswith("Certyfikat serwera")
    for openssl in ("certificate", "self-signed", "unable to get", "issuer"):
        assert openssl not in polish
