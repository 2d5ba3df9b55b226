"""The account check against real SMTP servers on 127.0.0.1, one misconfiguration each.

Every test asserts the step that failed, the error key, and the setting the
check names (with the value that works when probing can find it).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import types
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from tests.ports import free_ports
from tests.smtp_server import Script, SMTPServer

from mailplug import AsyncMailer, Category, hookimpl
from mailplug.check import CheckReport, CheckStep, StepStatus

USER, PASSWORD = "jan@example.pl", "s3cret-Pa55w0rd"
#: Short timeouts; no other ports tried unless a test names them.
FAST: dict[str, Any] = {"timeout": 2.0, "probe_timeout": 0.8, "try_ports": {}}

pytestmark = pytest.mark.timeout(60)

Start = Callable[..., SMTPServer]


def login(srv: SMTPServer, *, name: str = "test", password: str = PASSWORD, **settings: Any) -> Any:
    return srv.account(
        name=name,
        auth="password",
        auth_settings={"username": USER, "password": password},
        **settings,
    )


async def run_check(
    accounts: list[Any], name: str = "test", *, rcpt: str | None = None, **options: Any
) -> CheckReport:
    async with AsyncMailer(accounts, outbox=None, entry_points=False, lang="en") as mailer:
        return await mailer.check_account(name, rcpt=rcpt, **{**FAST, **options})


def failed(report: CheckReport) -> CheckStep:
    step = report.failure
    assert step is not None, report.render("en")
    assert step.error is not None
    return step


def statuses(report: CheckReport) -> dict[str, str]:
    return {s.name: str(s.status) for s in report.steps}


# --------------------------------------------------------------------------
# A working account
# --------------------------------------------------------------------------


async def test_a_working_account_passes_every_step_and_sends_nothing(smtp_server: Start) -> None:
    srv = smtp_server(tls="starttls", users={USER: PASSWORD})
    report = await run_check([login(srv)], rcpt="anna@example.com")

    assert report.ok, report.render("en")
    assert statuses(report) == {
        "setup": "passed",
        "connect": "passed",
        "greeting": "passed",
        "ehlo": "passed",
        "tls": "passed",
        "auth": "passed",
        "login": "passed",
        "mail_from": "passed",
        "rcpt_to": "passed",
        "imap_connect": "skipped",
        "imap_login": "skipped",
    }
    tls = report.step("tls")
    assert tls is not None
    assert tls.seen["version"] in ("TLSv1.2", "TLSv1.3")
    assert tls.seen["hostname_matches"] is True and tls.seen["days_left"] > 0
    assert tls.seen["subject"] and tls.seen["issuer"] and "127.0.0.1" in tls.seen["names"]
    assert set(report.step("auth").seen["mechanisms"]) >= {"PLAIN", "LOGIN"}  # type: ignore[union-attr]
    assert report.step("login").seen["username"] == USER  # type: ignore[union-attr]
    # The dry run ended with RSET; nothing was delivered.
    assert srv.messages == []
    verbs = [verb for _, verb in srv.commands]
    assert verbs.index("RSET") > verbs.index("RCPT") > verbs.index("MAIL")
    assert "DATA-END" not in verbs
    assert [a.success for a in srv.auth_attempts] == [True]


async def test_the_json_report_is_what_a_settings_dialog_needs(smtp_server: Start) -> None:
    srv = smtp_server(tls="starttls", users={USER: PASSWORD})
    report = await run_check([login(srv)])
    data = report.to_dict("pl")

    assert data["ok"] is True and data["failed_step"] is None
    assert data["summary"].startswith("Konto „test”")
    names = [s["name"] for s in data["steps"]]
    assert names[:5] == ["setup", "connect", "greeting", "ehlo", "tls"]
    for step in data["steps"]:
        assert set(step) >= {"name", "title", "status", "seen", "summary", "error", "notes"}
        assert step["status"] in ("passed", "failed", "skipped")
    # MAIL FROM is tried (then RSET) even without a test recipient; RCPT TO is not.
    assert {s["name"]: s["status"] for s in data["steps"]}["mail_from"] == "passed"
    assert {s["name"]: s["status"] for s in data["steps"]}["rcpt_to"] == "skipped"
    # Nothing secret anywhere in the report.
    assert PASSWORD not in repr(data) and PASSWORD not in report.render("pl")


# --------------------------------------------------------------------------
# Security mode and port
# --------------------------------------------------------------------------


async def test_implicit_tls_account_against_a_starttls_port(smtp_server: Start) -> None:
    srv = smtp_server(tls="starttls", users={USER: PASSWORD})
    report = await run_check([login(srv, security="tls")])

    step = failed(report)
    assert step.name == "tls"
    assert step.error.key == "check.expects_starttls"  # type: ignore[union-attr]
    assert step.fix is not None
    assert (step.fix.setting, step.fix.value) == ("settings.security", "starttls")
    assert report.step("connect").status is StepStatus.PASSED  # type: ignore[union-attr]
    assert report.step("login").status is StepStatus.SKIPPED  # type: ignore[union-attr]
    message = step.error.message("pl")  # type: ignore[union-attr]
    assert "STARTTLS" in message and str(srv.port) in message
    error = step.to_dict("pl", translator=report.translator)["error"]
    assert error["setting"] == "settings.security" and error["suggested_value"] == "starttls"
    assert "„starttls”" in error["fix"]


async def test_starttls_account_against_an_implicit_tls_port(smtp_server: Start) -> None:
    srv = smtp_server(tls="tls", users={USER: PASSWORD})
    report = await run_check([login(srv, security="starttls")], timeout=1.0)

    step = failed(report)
    assert step.name == "greeting"
    assert step.error.key == "check.expects_tls"  # type: ignore[union-attr]
    assert step.fix is not None
    assert (step.fix.setting, step.fix.value) == ("settings.security", "tls")


async def test_plain_account_where_login_is_offered_only_after_starttls(
    smtp_server: Start,
) -> None:
    srv = smtp_server(tls="starttls", users={USER: PASSWORD})  # AUTH only after TLS
    report = await run_check([login(srv, security="none", allow_plaintext_auth=True)])

    step = failed(report)
    assert step.name == "auth"
    assert step.error.key == "smtp.auth.needs_tls"  # type: ignore[union-attr]
    assert step.fix is not None
    assert (step.fix.setting, step.fix.value) == ("settings.security", "starttls")
    tls = report.step("tls")
    assert tls is not None and tls.status is StepStatus.SKIPPED
    assert tls.notes, "the skipped TLS step says that the server offers STARTTLS"
    assert srv.auth_attempts == []


async def test_server_without_starttls_for_a_starttls_account_suggests_the_port_that_works(
    smtp_server: Start,
) -> None:
    plain = smtp_server(tls="none", users={USER: PASSWORD}, auth_require_tls=False)
    implicit = smtp_server(tls="tls", users={USER: PASSWORD})
    report = await run_check([login(plain, security="starttls")], try_ports={implicit.port: "tls"})

    step = failed(report)
    assert step.name == "tls"
    assert step.error.key == "tls.starttls_unavailable"  # type: ignore[union-attr]
    assert step.fix is not None
    assert step.fix.changes == {"settings.port": implicit.port, "settings.security": "tls"}


async def test_refused_port_suggests_another_port_that_answers(smtp_server: Start) -> None:
    srv = smtp_server(tls="starttls", users={USER: PASSWORD})
    (closed_port,) = free_ports(1)
    report = await run_check([login(srv, port=closed_port)], try_ports={srv.port: "starttls"})

    step = failed(report)
    assert step.name == "connect"
    assert step.error.key == "smtp.connect.refused"  # type: ignore[union-attr]
    assert step.fix is not None
    assert (step.fix.setting, step.fix.value) == ("settings.port", srv.port)


async def test_unknown_host_names_the_server_setting_and_the_preset_host(
    smtp_server: Start,
) -> None:
    srv = smtp_server(tls="starttls")
    account = login(srv, host="no-such-host.invalid")
    account["email"] = "jan.kowalski@gmail.com"
    report = await run_check([account])

    step = failed(report)
    assert step.name == "connect"
    assert step.error.key == "smtp.connect.dns"  # type: ignore[union-attr]
    assert step.fix is not None
    assert (step.fix.setting, step.fix.value) == ("settings.host", "smtp.gmail.com")


# --------------------------------------------------------------------------
# Login
# --------------------------------------------------------------------------


async def test_server_without_any_login(smtp_server: Start) -> None:
    srv = smtp_server(tls="starttls")  # no users: no AUTH at all
    report = await run_check([login(srv)])

    step = failed(report)
    assert step.name == "auth"
    assert step.error.key == "smtp.auth.unavailable"  # type: ignore[union-attr]
    assert step.fix is not None and step.fix.setting == "auth"


async def test_server_without_login_on_this_port_but_with_login_on_another(
    smtp_server: Start,
) -> None:
    relay = smtp_server(tls="starttls")
    submission = smtp_server(tls="starttls", users={USER: PASSWORD})
    report = await run_check([login(relay)], try_ports={submission.port: "starttls"})

    step = failed(report)
    assert step.name == "auth"
    assert step.fix is not None
    assert (step.fix.setting, step.fix.value) == ("settings.port", submission.port)


async def test_wrong_password_is_tried_once_and_names_the_password(smtp_server: Start) -> None:
    srv = smtp_server(tls="starttls", users={USER: PASSWORD})
    report = await run_check([login(srv, password="wrong-password")])

    step = failed(report)
    assert step.name == "login"
    assert step.error.key.startswith("smtp.auth.invalid_credentials")  # type: ignore[union-attr]
    assert step.fix is not None and step.fix.setting == "auth_settings.password"
    fix = step.fix.render("pl", report.translator)
    assert fix == "Sprawdź ustawienie „hasło” (auth_settings.password)."
    assert [a.success for a in srv.auth_attempts] == [False]
    assert "wrong-password" not in repr(report.to_dict("en"))


async def test_mechanism_not_offered_names_the_mechanism_that_works(smtp_server: Start) -> None:
    srv = smtp_server(tls="starttls", users={USER: PASSWORD}, auth_mechanisms=("PLAIN", "LOGIN"))
    account = srv.account(
        auth="password",
        auth_settings={"username": USER, "password": PASSWORD, "mechanism": "CRAM-MD5"},
    )
    report = await run_check([account])

    step = failed(report)
    assert step.name == "login"
    assert step.error.key == "smtp.auth.mechanism_unavailable"  # type: ignore[union-attr]
    assert step.fix is not None
    assert (step.fix.setting, step.fix.value) == ("auth_settings.mechanism", "PLAIN")


async def test_mechanism_too_weak_over_tls_suggests_a_stronger_one(smtp_server: Start) -> None:
    srv = smtp_server(
        tls="starttls",
        users={USER: PASSWORD},
        script=Script(
            auth=lambda mechanism: (
                "534 5.7.9 Authentication mechanism is too weak"
                if mechanism != "CRAM-MD5"
                else None
            )
        ),
    )
    account = srv.account(
        auth="password",
        auth_settings={"username": USER, "password": PASSWORD, "mechanism": "PLAIN"},
    )
    report = await run_check([account])

    step = failed(report)
    assert step.name == "login"
    assert step.error.key == "smtp.auth.mechanism_too_weak"  # type: ignore[union-attr]
    assert step.fix is not None
    assert (step.fix.setting, step.fix.value) == ("auth_settings.mechanism", "CRAM-MD5")


# --------------------------------------------------------------------------
# Certificates and TLS versions
# --------------------------------------------------------------------------


async def test_certificate_for_another_host_suggests_the_name_it_was_issued_for(
    smtp_server: Start,
) -> None:
    srv = smtp_server(tls="starttls", users={USER: PASSWORD}, cert_hostnames=["mail.other.test"])
    report = await run_check([login(srv)])

    step = failed(report)
    assert step.name == "tls"
    assert step.error.key == "tls.certificate_wrong_host"  # type: ignore[union-attr]
    assert step.fix is not None
    assert (step.fix.setting, step.fix.value) == ("settings.host", "mail.other.test")
    assert step.seen["certificate"]["names"] == ["mail.other.test"]


async def test_expired_certificate_shows_the_expiry_date(smtp_server: Start) -> None:
    srv = smtp_server(tls="tls", users={USER: PASSWORD}, expired_cert=True)
    report = await run_check([login(srv)])

    step = failed(report)
    assert step.name == "tls"
    assert step.error.key == "tls.certificate_expired"  # type: ignore[union-attr]
    assert step.fix is not None and step.fix.setting == "settings.host"
    assert step.seen["certificate"]["days_left"] < 0
    assert any("valid until" in n.render("en", report.translator) for n in step.notes)


async def test_server_limited_to_tls_1_2_and_an_account_requiring_1_3(smtp_server: Start) -> None:
    srv = smtp_server(
        tls="starttls", users={USER: PASSWORD}, tls_max_version=ssl.TLSVersion.TLSv1_2
    )
    report = await run_check([login(srv, min_tls="1.3")])

    step = failed(report)
    assert step.name == "tls"
    assert step.error.key == "tls.version_too_old"  # type: ignore[union-attr]
    assert step.fix is not None
    assert (step.fix.setting, step.fix.value) == ("settings.min_tls", "1.2")
    assert step.seen["server_tls"] == "TLSv1.2"


# --------------------------------------------------------------------------
# The dry run: sender and recipient, nothing sent
# --------------------------------------------------------------------------


async def test_sender_not_owned_by_the_login(smtp_server: Start) -> None:
    srv = smtp_server(
        tls="starttls",
        users={USER: PASSWORD},
        script=Script(
            mail=lambda address: (
                f"553 5.7.1 <{address}>: Sender address rejected: not owned by user {USER}"
            )
        ),
    )
    report = await run_check([login(srv)], rcpt="anna@example.com")

    step = failed(report)
    assert step.name == "mail_from"
    assert step.error.key == "smtp.sender.not_owned"  # type: ignore[union-attr]
    assert step.fix is not None
    assert (step.fix.setting, step.fix.value) == ("email", USER)
    assert report.step("rcpt_to").status is StepStatus.SKIPPED  # type: ignore[union-attr]
    verbs = [verb for _, verb in srv.commands]
    assert "RSET" in verbs and verbs.index("RSET") > verbs.index("MAIL")
    assert "RCPT" not in verbs and srv.messages == [] and srv.rejected == []


async def test_sender_refused_at_rcpt_names_the_envelope_sender(smtp_server: Start) -> None:
    srv = smtp_server(
        tls="starttls",
        users={USER: PASSWORD},
        script=Script(
            rcpt=lambda address: "553 5.7.1 <biuro@firma.pl>: Sender address rejected: not owned"
        ),
    )
    account = login(srv)
    account["envelope_sender"] = "biuro@firma.pl"
    report = await run_check([account], rcpt="anna@example.com")

    step = failed(report)
    assert step.name == "rcpt_to"
    assert step.fix is not None
    assert (step.fix.setting, step.fix.value) == ("envelope_sender", USER)
    assert srv.messages == []


async def test_relaying_refused_without_login_names_the_login_method(smtp_server: Start) -> None:
    srv = smtp_server(
        tls="starttls",
        script=Script(rcpt=lambda address: "554 5.7.1 <anna@example.com>: Relay access denied"),
    )
    account = srv.account(auth=None)
    report = await run_check([account], rcpt="anna@example.com")

    step = failed(report)
    assert step.name == "rcpt_to"
    assert step.error.key == "smtp.rejected.relay"  # type: ignore[union-attr]
    assert step.fix is not None
    assert (step.fix.setting, step.fix.value) == ("auth", "password")
    assert report.step("login").status is StepStatus.SKIPPED  # type: ignore[union-attr]


# --------------------------------------------------------------------------
# Servers that refuse this computer
# --------------------------------------------------------------------------


async def test_greeting_554_refusing_the_client_suggests_the_submission_port(
    smtp_server: Start,
) -> None:
    refusing = smtp_server(
        tls="starttls", script=Script(greeting="554 5.7.1 Client host rejected: blocklisted")
    )
    submission = smtp_server(tls="starttls", users={USER: PASSWORD})
    report = await run_check([login(refusing)], try_ports={submission.port: "starttls"})

    step = failed(report)
    assert step.name == "greeting"
    assert step.error.code == 554  # type: ignore[union-attr]
    assert step.fix is not None
    assert (step.fix.setting, step.fix.value) == ("settings.port", submission.port)


async def test_client_host_rejected_at_rcpt_suggests_the_submission_port(
    smtp_server: Start,
) -> None:
    port25 = smtp_server(
        tls="starttls",
        users={USER: PASSWORD},
        script=Script(
            rcpt=lambda address: "450 4.7.1 Client host rejected: cannot find your hostname"
        ),
    )
    submission = smtp_server(tls="starttls", users={USER: PASSWORD})
    report = await run_check(
        [login(port25)], rcpt="anna@example.com", try_ports={submission.port: "starttls"}
    )

    step = failed(report)
    assert step.name == "rcpt_to"
    assert step.fix is not None
    assert (step.fix.setting, step.fix.value) == ("settings.port", submission.port)
    assert port25.messages == [] and submission.messages == []


@contextlib.asynccontextmanager
async def refusing_helo(reply: str) -> AsyncIterator[int]:
    """A bare SMTP responder that greets, then refuses EHLO and HELO with ``reply``."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 strict.test.invalid ESMTP\r\n")
        while line := await reader.readline():
            verb = line.split(b" ", 1)[0].strip().upper()
            if verb == b"QUIT":
                writer.write(b"221 2.0.0 Bye\r\n")
                break
            writer.write(reply.encode() + b"\r\n" if verb in (b"EHLO", b"HELO") else b"250 OK\r\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


async def test_helo_name_refused_names_the_local_hostname() -> None:
    async with refusing_helo("550 5.7.1 Invalid HELO name, see RFC 5321") as port:
        account = {
            "name": "test",
            "email": "sender@example.com",
            "settings": {"host": "127.0.0.1", "port": port, "security": "none"},
            "auth": None,
        }
        report = await run_check([account])

    step = failed(report)
    assert step.name == "ehlo"
    assert step.fix is not None and step.fix.setting == "settings.local_hostname"
    assert step.error.code == 550  # type: ignore[union-attr]


# --------------------------------------------------------------------------
# The mail component and plugins
# --------------------------------------------------------------------------


async def test_mail_component_older_than_the_program_requires(smtp_server: Start) -> None:
    srv = smtp_server(tls="starttls", users={USER: PASSWORD})
    report = await run_check([login(srv)], require=">=999")

    step = failed(report)
    assert step.name == "setup"
    assert step.error.key == "version.too_old"  # type: ignore[union-attr]
    assert {s.status for s in report.steps[1:]} == {StepStatus.SKIPPED}
    assert srv.connections == 0


async def test_transport_plugin_too_old_for_this_mailplug() -> None:
    pigeon = types.ModuleType("mailplug_pigeon")
    pigeon.mailplug_api = ">=99"  # type: ignore[attr-defined]

    @hookimpl
    def mailplug_register_transports(register: Any) -> None:  # pragma: no cover - refused
        register("pigeon", None)

    pigeon.mailplug_register_transports = mailplug_register_transports  # type: ignore[attr-defined]
    account = {"name": "test", "email": "a@example.com", "transport": "pigeon", "auth": None}
    async with AsyncMailer(
        [account], outbox=None, entry_points=False, plugins=[pigeon], lang="pl"
    ) as mailer:
        report = await mailer.check_account("test", **FAST)

    step = failed(report)
    assert step.name == "setup"
    assert step.error.key == "version.plugin_incompatible"  # type: ignore[union-attr]
    assert "mailplug_pigeon" in step.error.message("en")  # type: ignore[union-attr]
    assert step.seen["refused_plugins"] == ["mailplug_pigeon"]


async def test_invalid_settings_name_the_field(smtp_server: Start) -> None:
    srv = smtp_server(tls="starttls")
    report = await run_check([login(srv, security="ssl-please")])

    step = failed(report)
    assert step.name == "setup"
    assert step.error.key == "account.invalid_settings"  # type: ignore[union-attr]
    assert step.fix is not None and step.fix.setting == "settings.security"


# --------------------------------------------------------------------------
# OAuth: the check renews the token through the authenticator
# --------------------------------------------------------------------------


async def test_oauth_login_renews_the_token_first(smtp_server: Start) -> None:
    from mailplug_oauth import token_provider_auth

    calls: list[bool] = []

    async def tokens(account: Any, *, refresh: bool) -> str:
        calls.append(refresh)
        return "fresh-token" if refresh else "stale-token"

    srv = smtp_server(tls="starttls", xoauth2=lambda user, token: token == "fresh-token")

    class Host:
        __name__ = "host_tokens"

        @hookimpl
        def mailplug_register_auth(self, register: Any) -> None:
            register("host-oauth", token_provider_auth(tokens))

    account = srv.account(auth="host-oauth", auth_settings={"username": USER})
    async with AsyncMailer(
        [account], outbox=None, entry_points=False, plugins=[Host()], lang="en"
    ) as mailer:
        report = await mailer.check_account("test", **FAST)

    assert report.ok, report.render("en")
    step = report.step("login")
    assert step is not None and step.seen["token_refreshed"] is True
    assert step.seen["mechanism"] == "XOAUTH2"
    assert True in calls
    assert "fresh-token" not in repr(report.to_dict("en"))


# --------------------------------------------------------------------------
# Sync API
# --------------------------------------------------------------------------


def test_the_sync_mailer_checks_too(smtp_server: Start) -> None:
    from mailplug import Mailer

    srv = smtp_server(tls="starttls", users={USER: PASSWORD})
    with Mailer([login(srv)], outbox=None, entry_points=False) as mailer:
        report = mailer.check_account("test", **FAST)
    assert report.ok and report.step("login").status is StepStatus.PASSED  # type: ignore[union-attr]


# --------------------------------------------------------------------------
# Issue 11: the check tries MAIL FROM by default; diagnosis with context
# --------------------------------------------------------------------------


async def test_mail_from_is_tried_without_a_test_recipient(smtp_server: Start) -> None:
    srv = smtp_server(tls="starttls", users={USER: PASSWORD})
    report = await run_check([login(srv)])

    assert report.ok, report.render("en")
    assert statuses(report)["mail_from"] == "passed"
    assert statuses(report)["rcpt_to"] == "skipped"
    verbs = [verb for _, verb in srv.commands]
    # RCPT TO the account's own address (servers that delay their refusals say so
    # there), then RSET: nothing is sent.
    assert verbs.index("RSET") > verbs.index("RCPT") > verbs.index("MAIL")
    assert "DATA" not in verbs and "BDAT" not in verbs
    assert srv.messages == []


async def test_starttls_required_before_mail_names_the_security_setting(
    smtp_server: Start,
) -> None:
    srv = smtp_server(tls="starttls", require_starttls=True)
    report = await run_check([srv.account(auth=None, security="none")])

    step = failed(report)
    assert step.name == "mail_from", report.render("en")
    assert step.error.category is Category.ENCRYPTION  # type: ignore[union-attr]
    assert step.fix is not None
    assert (step.fix.setting, step.fix.value) == ("settings.security", "starttls")
    assert "settings.security" in report.render("en")
    assert srv.messages == []


async def test_client_host_rejected_for_an_account_without_login_names_auth(
    smtp_server: Start,
) -> None:
    # Postfix on a submission port answers a client that did not log in this way.
    srv = smtp_server(
        tls="starttls",
        users={USER: PASSWORD},
        auth_require_tls=False,
        script=Script(
            mail=lambda address: (
                "554 5.7.1 <unknown[127.0.0.1]>: Client host rejected: Access denied"
            )
        ),
    )
    report = await run_check([srv.account(auth=None)])

    step = failed(report)
    assert step.name == "mail_from", report.render("en")
    assert step.fix is not None
    assert (step.fix.setting, step.fix.value) == ("auth", "password")
    rendered = report.render("en")
    assert "does not log in" in rendered and "PLAIN" in rendered
    assert "does not log in" not in report.render("pl")
    assert "To konto się nie loguje" in report.render("pl")


async def test_offered_login_methods_are_named_once(smtp_server: Start) -> None:
    srv = smtp_server(tls="starttls", users={USER: PASSWORD})
    report = await run_check([login(srv)])
    rendered = report.render("pl")
    line = next(x for x in rendered.splitlines() if "oferowane metody logowania" in x)
    assert "PLAIN" in line and "oferowane:" not in line.split("logowania", 1)[1]
