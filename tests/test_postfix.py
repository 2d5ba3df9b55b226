"""Sending through a real Postfix (and Dovecot for its logins), one refusal each.

One private Postfix (tests/postfix_server.py) serves the module: every scenario
is its own smtpd listener with Postfix's own settings (``smtpd_client_restrictions``,
``smtpd_tls_security_level``, ``header_checks``, ``message_size_limit``,
``smtpd_recipient_limit``, ``smtpd_helo_restrictions``, ``smtpd_sender_restrictions``).
Each test sends with mailplug and asserts the error key and that the Polish
sentence names the cause (or the setting to change), in Postfix's own words.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.dovecot_server import Dovecot
from tests.dovecot_server import available as dovecot_available
from tests.postfix_server import DOMAIN, Postfix, available, why_unavailable

from mailplug import AsyncMailer, Message
from mailplug.errors import MailplugError
from mailplug.transport import RecipientsRefusedError, SendResult

pytestmark = [
    pytest.mark.skipif(not available(), reason=why_unavailable()),
    pytest.mark.slow,
    pytest.mark.timeout(120),
]

LOGIN, PASSWORD = f"alice@{DOMAIN}", "Pa55-word-alice"
ALICE, BOB, CAROL, DAVE, ERIN = (f"{u}@{DOMAIN}" for u in ("alice", "bob", "carol", "dave", "erin"))


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot | None]:
    if not dovecot_available():
        yield None
        return
    server = Dovecot.start({LOGIN: PASSWORD})
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def postfix(dovecot: Dovecot | None) -> Iterator[Postfix]:
    services: dict[str, dict[str, str]] = {
        "mx": {},
        "tls": {"smtpd_tls_security_level": "encrypt"},
        "size": {"message_size_limit": "20000"},
        # smtpd takes any size (EHLO says SIZE without a number); cleanup refuses at DATA.
        "size_data": {"message_size_limit": "0", "cleanup_service_name": "cleanup_small"},
        "rcpt_limit": {"smtpd_recipient_limit": "2"},
        "helo": {
            "smtpd_helo_required": "yes",
            "smtpd_helo_restrictions": "reject_non_fqdn_helo_hostname,reject_invalid_helo_hostname",
        },
        "sender": {
            "smtpd_sender_restrictions": "reject_non_fqdn_sender,"
            "check_sender_access,texthash:$config_directory/sender_access"
        },
    }
    if dovecot is not None:
        services["submission"] = {
            "smtpd_sasl_auth_enable": "yes",
            "smtpd_sasl_type": "dovecot",
            "smtpd_sasl_path": f"inet:127.0.0.1:{dovecot.auth_port}",
            "smtpd_client_restrictions": "permit_sasl_authenticated,reject",
            "smtpd_sender_restrictions": "reject_sender_login_mismatch",
            "smtpd_sender_login_maps": f"inline:{{{LOGIN}={LOGIN}}}",
        }
    server = Postfix.start(services, cleanups={"cleanup_small": {"message_size_limit": "20000"}})
    try:
        yield server
    finally:
        server.stop()


def account(
    pf: Postfix,
    service: str,
    *,
    email: str = "nadawca@example.com",
    login: bool = False,
    **settings: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "biuro",
        "email": email,
        "transport": "smtp",
        "settings": pf.settings(service, **settings),
        "auth": "none",
    }
    if login:
        data["auth"] = "password"
        data["auth_settings"] = {"username": LOGIN, "password": PASSWORD}
    return data


async def send(acct: dict[str, Any], message: Message) -> SendResult | MailplugError:
    async with AsyncMailer([acct], outbox=None, entry_points=False, lang="pl") as mailer:
        try:
            return await mailer.send(message)
        except MailplugError as exc:
            return exc


def refusal(outcome: SendResult | MailplugError) -> MailplugError:
    assert isinstance(outcome, MailplugError), outcome
    return outcome


def polish(error: MailplugError) -> str:
    return error.message("pl") + " " + error.advice("pl")


def mail(*to: str, subject: str = "Zebranie", text: str = "Do wszystkich.") -> Message:
    return Message(to=list(to), subject=subject, text=text)


# -- login ---------------------------------------------------------------------


def needs_dovecot(dovecot: Dovecot | None) -> None:
    if dovecot is None:
        pytest.skip("dovecot-imapd is not installed: Postfix has no SASL to log in against")


async def test_submission_without_login_says_the_account_does_not_log_in(
    postfix: Postfix, dovecot: Dovecot | None
) -> None:
    needs_dovecot(dovecot)
    error = refusal(await send(account(postfix, "submission"), mail(ALICE)))
    assert error.key == "smtp.auth.login_not_set", error
    assert "Client host rejected: Access denied" in error.render("en")
    text = polish(error)
    assert "nie loguje" in text and "`auth`" in text and "`password`" in text, text
    assert "czarn" not in text  # not a blocklist


async def test_submission_without_login_account_check_names_the_auth_setting(
    postfix: Postfix, dovecot: Dovecot | None
) -> None:
    needs_dovecot(dovecot)
    async with AsyncMailer(
        [account(postfix, "submission")], outbox=None, entry_points=False, lang="pl"
    ) as mailer:
        report = await mailer.check_account("biuro", timeout=10.0, probe_timeout=5.0, try_ports={})
    assert not report.ok, report.render("pl")
    step = report.failure
    assert step is not None and step.error is not None
    assert step.error.key == "smtp.auth.login_not_set", step.error.key
    assert step.fix is not None and step.fix.setting == "auth"
    assert step.fix.value == "password"


async def test_submission_with_a_login_delivers(postfix: Postfix, dovecot: Dovecot | None) -> None:
    needs_dovecot(dovecot)
    acct = account(postfix, "submission", email=LOGIN, login=True, security="starttls")
    result = await send(acct, mail(ALICE))
    assert isinstance(result, SendResult), result
    assert [r.address for r in result.accepted] == [ALICE]


# -- TLS -------------------------------------------------------------------------


async def test_tls_required_names_the_security_setting(postfix: Postfix) -> None:
    error = refusal(await send(account(postfix, "tls"), mail(ALICE)))
    assert error.key == "smtp.tls.required", error
    assert "Must issue a STARTTLS command first" in error.render("en")
    text = polish(error)
    # The setting by its one Polish name, and the value that works.
    assert "zabezpieczenie połączenia" in text and "„starttls”" in text, text


async def test_tls_required_account_check_names_security_starttls(
    postfix: Postfix, tmp_path: Path
) -> None:
    async with AsyncMailer(
        [account(postfix, "tls")], outbox=None, entry_points=False, lang="pl"
    ) as mailer:
        report = await mailer.check_account("biuro", timeout=10.0, probe_timeout=5.0, try_ports={})
    assert not report.ok
    step = report.failure
    assert step is not None and step.error is not None
    assert step.error.key == "smtp.tls.required"
    assert step.fix is not None and step.fix.setting == "settings.security"
    assert step.fix.value == "starttls"


async def test_starttls_with_the_servers_ca_delivers(postfix: Postfix) -> None:
    result = await send(account(postfix, "tls", security="starttls"), mail(ALICE))
    assert isinstance(result, SendResult), result
    assert [r.address for r in result.accepted] == [ALICE]


# -- content policy --------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        mail(ALICE, subject="policy-reject"),  # header_checks REJECT
        mail(ALICE, text="forbidden-words-reject"),  # body_checks REJECT
    ],
    ids=["header_checks", "body_checks"],
)
async def test_content_checks_reject_is_a_content_policy_not_spam(
    postfix: Postfix, message: Message
) -> None:
    error = refusal(await send(account(postfix, "mx"), message))
    assert error.key == "smtp.message.content_policy", error
    assert not error.transient
    assert "550 5.7.1 message content rejected" in error.render("en")
    text = polish(error)
    assert "treś" in text and "spam" not in text.lower(), text


@pytest.mark.parametrize(
    "message",
    [
        mail(ALICE, subject="policy-defer"),  # header_checks REJECT 4.7.1
        mail(ALICE, text="forbidden-words-defer"),  # body_checks REJECT 4.7.1
    ],
    ids=["header_checks", "body_checks"],
)
async def test_content_checks_with_a_4xx_code_are_a_temporary_content_policy(
    postfix: Postfix, message: Message
) -> None:
    error = refusal(await send(account(postfix, "mx"), message))
    assert error.key == "smtp.message.content_policy_temporary", error
    assert error.transient
    assert "4.7.1" in error.render("en")
    text = polish(error)
    assert "treś" in text and "spam" not in text.lower(), text


# -- size ------------------------------------------------------------------------

BIG = "Linia tekstu, która się powtarza, żeby wiadomość była duża.\n" * 600


async def test_message_size_limit_from_ehlo_size(postfix: Postfix) -> None:
    # EHLO says SIZE 20000: mailplug does not send the data at all, and says both sizes.
    error = refusal(await send(account(postfix, "size"), mail(ALICE, text=BIG)))
    assert error.key == "smtp.size_exceeded", error
    assert error.category == "message-too-big"
    text = polish(error)
    assert "przyjmuje najwyżej 19,5\xa0kB" in text, text  # 20000 B, through babel


async def test_message_size_limit_at_end_of_data(postfix: Postfix) -> None:
    error = refusal(await send(account(postfix, "size_data"), mail(ALICE, text=BIG)))
    assert error.key == "smtp.message.too_big", error
    assert "552 5.3.4 Error: message file too big" in error.render("en")
    assert "za duż" in polish(error)


# -- recipients ------------------------------------------------------------------


async def test_unknown_local_recipient(postfix: Postfix) -> None:
    result = await send(account(postfix, "mx"), mail(ALICE, f"nikt@{DOMAIN}"))
    assert isinstance(result, SendResult), result
    (refused,) = result.refused
    assert refused.address == f"nikt@{DOMAIN}"
    assert refused.error is not None and refused.error.key == "smtp.recipient.unknown"
    assert "User unknown in local recipient table" in refused.text
    (only,) = [await send(account(postfix, "mx"), mail(f"nikt@{DOMAIN}"))]
    error = refusal(only)
    assert error.key == "smtp.recipient.unknown"
    assert "nie istnieje" in polish(error)


async def test_relay_denied(postfix: Postfix) -> None:
    error = refusal(await send(account(postfix, "mx"), mail("ktos@example.org")))
    assert isinstance(error, RecipientsRefusedError)
    assert error.key == "smtp.rejected.relay", error
    assert "Relay access denied" in error.render("en")
    assert "przekaz" in polish(error), polish(error)


async def test_recipient_limit_sends_the_rest_in_a_further_transaction(postfix: Postfix) -> None:
    sender = "limit-test@example.com"
    result = await send(
        account(postfix, "rcpt_limit", email=sender), mail(ALICE, BOB, CAROL, DAVE, ERIN)
    )
    assert isinstance(result, SendResult), result
    assert sorted(r.address for r in result.accepted) == sorted([ALICE, BOB, CAROL, DAVE, ERIN])
    assert not result.refused
    # Postfix queued three transactions of at most two recipients (its qmgr log says so).
    counts: list[int] = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        counts = [
            int(m)
            for m in re.findall(
                rf"from=<{re.escape(sender)}>, size=\d+, nrcpt=(\d+)", postfix.log_text()
            )
        ]
        if sum(counts) >= 5:
            break
        await asyncio.sleep(0.2)
    assert sorted(counts) == [1, 2, 2], postfix.log_text()[-2000:]


# -- HELO and sender restrictions ------------------------------------------------


async def test_helo_not_fully_qualified(postfix: Postfix) -> None:
    error = refusal(await send(account(postfix, "helo", local_hostname="biurowy"), mail(ALICE)))
    assert error.key == "smtp.rejected.helo", error
    assert "Helo command rejected: need fully-qualified hostname" in error.render("en")
    assert error.category == "configuration"


async def test_sender_refused_by_an_access_table(postfix: Postfix) -> None:
    acct = account(postfix, "sender", email="odrzucony@example.com")
    error = refusal(await send(acct, mail(ALICE)))
    assert error.key == "smtp.sender.rejected", error
    assert "Sender address rejected: Access denied" in error.render("en")
    assert "nadawc" in polish(error), polish(error)


async def test_sender_not_owned_by_the_login_is_the_senders_setting(
    postfix: Postfix, dovecot: Dovecot | None
) -> None:
    needs_dovecot(dovecot)
    acct = account(postfix, "submission", login=True, security="starttls")  # nadawca@example.com
    error = refusal(await send(acct, mail(ALICE)))
    assert "Sender address rejected: not owned by user" in error.render("en")
    assert error.category == "configuration", error.key
    assert "nadawc" in polish(error), polish(error)
