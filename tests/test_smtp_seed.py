"""Every message of the seed article, end to end.

A real aiosmtpd server on 127.0.0.1 is driven to give the reply (or the
client-side failure) behind each message; the transport classifies it, and the
Polish message must contain the seed's sentence verbatim, with the server's
own reply, the host and the recipient shown for support.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from tests.ports import free_ports
from tests.smtp_server import Script, SMTPServer

from mailplug import AsyncMailer, Message
from mailplug.errors import MailplugError

PASSWORD = "Sekret-Hasło-123!"
USER = "sender@example.com"
RCPT = "jan@example.pl"


@dataclass
class Case:
    """One seed message: how to make the server produce it, and what must come out."""

    sentence: str
    key: str
    server: dict[str, Any] = field(default_factory=dict)
    account: dict[str, Any] = field(default_factory=dict)
    login: bool = False
    #: The reply the server sends (checked in the rendered details); None for client-side.
    reply: str | None = None
    recipient: str | None = None


def greeting(reply: str) -> dict[str, Any]:
    return {"script": Script(greeting=reply)}


def at_auth(reply: str) -> dict[str, Any]:
    return {"tls": "starttls", "users": {USER: PASSWORD}, "script": Script(auth=reply)}


def at_mail(reply: str) -> dict[str, Any]:
    return {"script": Script(mail=reply)}


def at_rcpt(reply: str) -> dict[str, Any]:
    return {"script": Script(rcpt={RCPT: reply})}


def at_data(reply: str) -> dict[str, Any]:
    return {"script": Script(data=reply)}


def text_of(reply: str) -> str:
    """The reply's text as the error shows it (code and enhanced code are separate)."""
    parts = reply.split(" ", 2)
    return parts[2] if len(parts) > 2 and parts[1][:1].isdigit() else reply.split(" ", 1)[1]


CASES: dict[str, Case] = {
    # -- account configuration (seed: "nieprawidłowa konfiguracja konta") --
    "535 incorrect login data": Case(
        "Niewłaściwe dane logowania.",
        "smtp.auth.invalid_credentials",
        server={"tls": "starttls", "users": {USER: "a different password"}},
        login=True,
        reply="535 5.7.8 Authentication credentials invalid",
    ),
    "432 password transition": Case(
        "Konieczna jest zmiana sposobu przekazania hasła.",
        "smtp.auth.password_transition",
        server=at_auth("432 4.7.12 A password transition is needed"),
        login=True,
        reply="432 4.7.12 A password transition is needed",
    ),
    "530 STARTTLS first": Case(
        "Połączenie wymaga szyfrowania.",
        "smtp.tls.required",
        server={"tls": "starttls", "require_starttls": True},
        account={"security": "none"},
        reply="530 Must issue a STARTTLS command first",
    ),
    "523 encryption needed": Case(
        "Połączenie wymaga szyfrowania.",
        "smtp.tls.required",
        server=at_mail("523 5.7.10 Encryption Needed"),
        reply="523 5.7.10 Encryption Needed",
    ),
    "530 authentication required": Case(
        "Połączenie wymaga zalogowania.",
        "smtp.auth.required",
        server={"tls": "starttls", "users": {USER: PASSWORD}, "auth_required": True},
        reply="530 5.7.0 Authentication required",
    ),
    "534 mechanism too weak": Case(
        "Wybrana metoda logowania jest zbyt słaba.",
        "smtp.auth.mechanism_too_weak",
        server=at_auth("534 5.7.9 Authentication mechanism is too weak"),
        login=True,
        reply="534 5.7.9 Authentication mechanism is too weak",
    ),
    "538 encryption required to log in": Case(
        "Szyfrowanie jest wymagane do zalogowania.",
        "smtp.auth.encryption_required",
        server={
            "tls": "none",
            "users": {USER: PASSWORD},
            "auth_require_tls": False,
            "script": Script(
                auth="538 5.7.11 Encryption required for requested authentication mechanism"
            ),
        },
        account={"security": "none", "allow_plaintext_auth": True},
        login=True,
        reply="538 5.7.11 Encryption required for requested authentication mechanism",
    ),
    "STARTTLS offered, AUTH only after it": Case(
        "Szyfrowanie jest wymagane do zalogowania.",
        "smtp.auth.needs_tls",
        server={"tls": "starttls", "users": {USER: PASSWORD}},
        account={"security": "none"},
        login=True,
    ),
    "551 user not local": Case(
        "Serwer nie obsługuje skrzynki tego odbiorcy",
        "smtp.recipient.not_local",
        server=at_rcpt("551 5.1.6 User not local; please try <jan@nowy.example.pl>"),
        reply="551 5.1.6 User not local; please try <jan@nowy.example.pl>",
        recipient=RCPT,
    ),
    "556 domain does not accept mail": Case(
        "Ta domena nie przyjmuje poczty.",
        "smtp.recipient.domain_no_mail",
        server=at_rcpt("556 5.1.10 Recipient address has null MX"),
        reply="556 5.1.10 Recipient address has null MX",
        recipient=RCPT,
    ),
    # -- server errors (seed: "błąd techniczny serwera") --
    "421 greeting": Case(
        "Serwer jest zajęty albo chwilowo niedostępny:",
        "smtp.service.unavailable",
        server=greeting("421 4.3.2 Service not available, closing transmission channel"),
        reply="421 4.3.2 Service not available, closing transmission channel",
    ),
    "554 greeting": Case(
        "Serwer odmówił obsługi tego połączenia:",
        "smtp.service.refused",
        server=greeting("554 mx.test.invalid Service unavailable"),
        reply="554 mx.test.invalid Service unavailable",
    ),
    "450 mailbox busy": Case(
        "Skrzynka odbiorcy jest chwilowo niedostępna: zajęta lub zablokowana.",
        "smtp.mailbox.busy",
        server=at_rcpt("450 Requested mail action not taken: mailbox unavailable"),
        reply="450 Requested mail action not taken: mailbox unavailable",
        recipient=RCPT,
    ),
    "451 server error": Case(
        "Błąd po stronie serwera.",
        "smtp.server.error_temporary",
        server=at_data("451 4.3.0 Local error in processing"),
        reply="451 4.3.0 Local error in processing",
    ),
    "452 no space": Case(
        "Brak miejsca po stronie serwera.",
        "smtp.server.no_space",
        server=at_rcpt("452 4.3.1 Insufficient system storage"),
        reply="452 4.3.1 Insufficient system storage",
        recipient=RCPT,
    ),
    "454 temporary lack of authorization": Case(
        "Tymczasowy brak autoryzacji.",
        "smtp.auth.temporary_failure",
        server=at_auth("454 4.7.0 Temporary authentication failure"),
        login=True,
        reply="454 4.7.0 Temporary authentication failure",
    ),
    "455 parameters": Case(
        "Serwer nie może przyjąć podanych parametrów.",
        "smtp.command.parameters_unavailable",
        server=at_mail("455 4.5.4 Server unable to accommodate parameters"),
        reply="455 4.5.4 Server unable to accommodate parameters",
    ),
    "500 command invalid": Case(
        "Polecenie nie jest prawidłowe albo zbyt długie.",
        "smtp.command.invalid",
        server=at_mail("500 5.5.2 Syntax error, command unrecognized"),
        reply="500 5.5.2 Syntax error, command unrecognized",
    ),
    "501 parameters": Case(
        "Parametry nie są podane prawidłowo.",
        "smtp.command.bad_arguments",
        server=at_mail("501 5.5.4 Syntax error in parameters or arguments"),
        reply="501 5.5.4 Syntax error in parameters or arguments",
    ),
    "502 not available": Case(
        "Wybrane polecenie nie jest dostępne.",
        "smtp.command.not_implemented",
        server=at_mail("502 5.5.1 Command not implemented"),
        reply="502 5.5.1 Command not implemented",
    ),
    "503 order": Case(
        "Niewłaściwa kolejność poleceń.",
        "smtp.command.bad_sequence",
        server=at_mail("503 5.5.1 Bad sequence of commands"),
        reply="503 5.5.1 Bad sequence of commands",
    ),
    "504 parameter": Case(
        "Parametr polecenia nie jest dostępny.",
        "smtp.command.parameter_not_implemented",
        server=at_mail("504 5.5.4 Command parameter not implemented"),
        reply="504 5.5.4 Command parameter not implemented",
    ),
    "555 parameter": Case(
        "Parametr polecenia nie jest dostępny.",
        "smtp.command.parameter_not_implemented",
        server=at_mail("555 5.5.4 MAIL FROM parameters not recognized or not implemented"),
        reply="555 5.5.4 MAIL FROM parameters not recognized or not implemented",
    ),
    "521 does not accept mail": Case(
        "Serwer nie przyjmuje poczty.",
        "smtp.server.no_mail",
        server=greeting("521 5.3.2 mx.test.invalid does not accept mail"),
        reply="521 5.3.2 mx.test.invalid does not accept mail",
    ),
    "550 mailbox not available": Case(
        "Skrzynka odbiorcy jest niedostępna:",
        "smtp.mailbox.unavailable",
        server=at_rcpt("550 Requested action not taken: mailbox unavailable"),
        reply="550 Requested action not taken: mailbox unavailable",
        recipient=RCPT,
    ),
    "552 mailbox full": Case(
        "Skrzynka jest przepełniona.",
        "smtp.mailbox.full",
        server=at_rcpt("552 5.2.2 Mailbox full"),
        reply="552 5.2.2 Mailbox full",
        recipient=RCPT,
    ),
    "452 4.2.2 mailbox full": Case(
        "Skrzynka jest przepełniona.",
        "smtp.mailbox.full_temporary",
        server=at_rcpt("452 4.2.2 Mailbox full"),
        reply="452 4.2.2 Mailbox full",
        recipient=RCPT,
    ),
    "553 mailbox name": Case(
        "Nazwa skrzynki pocztowej nie jest właściwa.",
        "smtp.mailbox.name_invalid",
        server=at_rcpt("553 Requested action not taken: mailbox name not allowed"),
        reply="553 Requested action not taken: mailbox name not allowed",
        recipient=RCPT,
    ),
    "554 transaction failed": Case(
        "Dostarczenie się nie udało: serwer odrzucił wiadomość, nie podając przyczyny.",
        "smtp.transaction.failed",
        server=at_data("554 5.0.0 Transaction failed"),
        reply="554 5.0.0 Transaction failed",
    ),
}


async def provoke(srv: SMTPServer, case: Case) -> MailplugError:
    if case.login:
        account = srv.account(auth="password", auth_settings={"password": PASSWORD}, **case.account)
    else:
        account = srv.account(**case.account)
    message = Message(to=RCPT, subject="Faktura", text="Dzień dobry.\n")
    async with AsyncMailer([account], outbox=None, secret_store=None, entry_points=False) as m:
        with pytest.raises(MailplugError) as info:
            await m.send(message)
    return info.value


@pytest.mark.parametrize("name", list(CASES))
async def test_seed_message(smtp_server: Callable[..., SMTPServer], name: str) -> None:
    case = CASES[name]
    srv = smtp_server(**case.server)
    err = await provoke(srv, case)
    assert err.key == case.key
    assert case.sentence in err.message("pl")
    assert err.message("en") and err.message("en") != err.message("pl")
    assert err.advice("pl")
    if case.reply is not None:
        code = int(case.reply[:3])
        assert err.reply is not None and err.reply.code == code
        assert err.transient is (code < 500)
        details = err.render("pl")
        assert text_of(case.reply) in details
        assert srv.host in details
    if case.recipient is not None:
        assert err.recipient == case.recipient
        assert case.recipient in err.render("pl")
    assert not srv.messages


async def test_incorrect_login_data_advice_is_the_seed_advice(
    smtp_server: Callable[..., SMTPServer],
) -> None:
    case = CASES["535 incorrect login data"]
    err = await provoke(smtp_server(**case.server), case)
    assert "Sprawdź dane wpisane w ustawieniach e-mail" in err.advice("pl")


async def test_connection_failed_client_side() -> None:
    (port,) = free_ports(1)
    account = {
        "name": "t",
        "email": USER,
        "settings": {"host": "127.0.0.1", "port": port, "security": "none"},
        "auth": None,
    }
    async with AsyncMailer([account], outbox=None, secret_store=None, entry_points=False) as m:
        with pytest.raises(MailplugError) as info:
            await m.send(Message(to=RCPT, subject="x", text="x"))
    assert info.value.key == "smtp.connect.refused"
    assert "Połączenie nieudane" in info.value.message("pl")
