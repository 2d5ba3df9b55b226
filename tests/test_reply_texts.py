"""Reply explanations that used to say something false (issue 11), and the wording rules.

Each test here fails on the code before the fix: a plain send refused with "Client
host rejected" for an account that does not log in while the server offers AUTH,
Gmail's receive-rate and app-password replies, the seed sentences the issue
criticises, 421 4.4.2, and replies in other languages.  Real aiosmtpd servers on
127.0.0.1 where a session is involved; ``AsyncMailer.explain`` for the wording.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from mailplug import AsyncMailer, Message
from mailplug.errors import MailplugError
from mailplug.testing.smtp import Script, SMTPServer

USER = "sender@example.com"
PASSWORD = "Sekret-Hasło-123!"
RCPT = "jan@example.pl"
CLIENT_REFUSED = "554 5.7.1 <unknown[127.0.0.1]>: Client host rejected: Access denied"


@pytest.fixture(scope="module")
def mailer() -> AsyncMailer:
    return AsyncMailer(outbox=None, entry_points=False)


async def send_refused(srv: SMTPServer) -> MailplugError:
    account = srv.account(auth=None)
    message = Message(to=RCPT, subject="Faktura", text="Dzień dobry.\n")
    async with AsyncMailer([account], outbox=None, secret_store=None, entry_points=False) as m:
        with pytest.raises(MailplugError) as info:
            await m.send(message)
    return info.value


# -- a plain send without a login, to a server that offers one -------------------------


@pytest.mark.parametrize("stage", ["mail", "rcpt"])
async def test_client_host_rejected_without_login_names_the_auth_setting(
    smtp_server: Callable[..., SMTPServer], stage: str
) -> None:
    script = (
        Script(mail=lambda a: CLIENT_REFUSED)
        if stage == "mail"
        else Script(rcpt={RCPT: CLIENT_REFUSED})
    )
    srv = smtp_server(users={USER: PASSWORD}, auth_require_tls=False, script=script)
    err = await send_refused(srv)

    assert err.key == "smtp.auth.login_not_set"
    assert str(err.category) == "authentication"
    assert not err.transient
    assert "does not log in" in err.message("en")
    assert err.message("pl").startswith("To konto się nie loguje")
    assert "`auth`" in err.advice("pl") and "`password`" in err.advice("pl")
    assert "czarn" not in err.render("pl")  # no blocklist story
    assert err.reply is not None and "Client host rejected" in err.render("pl")
    assert not srv.messages


async def test_same_refusal_without_offered_login_stays_a_refusal(
    smtp_server: Callable[..., SMTPServer],
) -> None:
    srv = smtp_server(script=Script(rcpt={RCPT: CLIENT_REFUSED}))  # no users: no AUTH
    err = await send_refused(srv)
    assert err.key != "smtp.auth.login_not_set"
    assert str(err.category) == "rejected"


async def test_a_named_blocklist_keeps_its_meaning_without_login(
    smtp_server: Callable[..., SMTPServer],
) -> None:
    reply = "554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org"
    srv = smtp_server(
        users={USER: PASSWORD}, auth_require_tls=False, script=Script(rcpt={RCPT: reply})
    )
    err = await send_refused(srv)
    assert err.key == "smtp.rejected.reputation"


# -- Gmail -------------------------------------------------------------------------------

GMAIL_RATE = (
    "The user you are trying to contact is receiving mail at a rate that prevents additional "
    "messages from being delivered. Please resend your message at a later time. - gsmtp"
)


def test_gmail_receive_rate_is_the_recipients_not_the_senders(mailer: AsyncMailer) -> None:
    err = mailer.explain(450, "4.2.1", GMAIL_RATE, stage="rcpt")
    assert err.key == "smtp.rate.recipient_receiving"
    assert err.transient
    assert "recipient" in err.message("en").lower()
    assert "Skrzynka odbiorcy" in err.message("pl")
    for lang in ("en", "pl"):
        advice = err.advice(lang).lower()
        # no throttling advice: the sender did nothing wrong
        assert "per minute" not in advice and "na minutę" not in advice
        assert "slow" not in advice and "mniej wiadomości" not in advice
    assert "Po Twojej stronie wszystko jest w porządku" in err.advice("pl")


@pytest.mark.parametrize(
    ("code", "enhanced", "text"),
    [
        (
            534,
            "5.7.9",
            "Application-specific password required. Learn more at "
            "https://support.google.com/mail/?p=InvalidSecondFactor - gsmtp",
        ),
        (
            535,
            "5.7.8",
            "Username and Password not accepted. Learn more at "
            "https://support.google.com/mail/?p=BadCredentials - gsmtp",
        ),
    ],
    ids=["534-app-password", "535-bad-credentials"],
)
def test_gmail_login_replies_do_not_blame_a_correct_password(
    mailer: AsyncMailer, code: int, enhanced: str, text: str
) -> None:
    err = mailer.explain(code, enhanced, text, stage="auth")
    assert str(err.category) == "authentication"
    pl, en = err.message("pl"), err.message("en")
    assert "Niewłaściwe dane logowania" not in pl
    assert "Incorrect login data" not in en
    assert "hasł" in pl and "aplikacji" in pl
    assert "even when it is correct" in en
    assert "OAuth" in err.advice("en")


# -- the seed sentences the issue calls wrong ---------------------------------------------


@pytest.mark.parametrize(
    ("code", "enhanced", "text", "stage", "key", "wrong", "right"),
    [
        (
            421,
            "4.3.2",
            "Service not available, closing transmission channel",
            "mail",
            "smtp.service.unavailable",
            "Protokół SMTP",
            "chwilowo niedostępny",
        ),
        (
            554,
            None,
            "No SMTP service here",
            "connect",
            "smtp.service.refused",
            "Protokół SMTP",
            "odmówił obsługi",
        ),
        (
            450,
            None,
            "Requested mail action not taken: mailbox unavailable",
            "rcpt",
            "smtp.mailbox.busy",
            "nie jest dostępna, zajęta",
            "jest chwilowo niedostępna: zajęta",
        ),
        (
            551,
            "5.1.6",
            "User not local; please try <x@example.org>",
            "rcpt",
            "smtp.recipient.not_local",
            "nie jest lokalny",
            "nie obsługuje skrzynki",
        ),
        (
            550,
            None,
            "Requested action not taken: mailbox unavailable",
            "rcpt",
            "smtp.mailbox.unavailable",
            "Polecenie nie zostało wykonane",
            "jest niedostępna",
        ),
        (
            554,
            None,
            "Transaction failed",
            "data",
            "smtp.transaction.failed",
            "Połączenie nieudane",
            "nie podając przyczyny",
        ),
        (
            421,
            "4.4.2",
            "Connection dropped",
            "data",
            "smtp.connection.problem",
            "Protokół SMTP",
            "zostało zerwane",
        ),
    ],
    ids=["421", "554-greeting", "450", "551", "550", "554-transaction", "421-4.4.2"],
)
def test_seed_sentences_say_what_happened(
    mailer: AsyncMailer,
    code: int,
    enhanced: str | None,
    text: str,
    stage: str,
    key: str,
    wrong: str,
    right: str,
) -> None:
    err = mailer.explain(code, enhanced, text, stage=stage)
    assert err.key == key
    assert wrong not in err.message("pl")
    assert right in err.message("pl")


# -- replies in other languages: phrase families, not single texts --------------------


@pytest.mark.parametrize(
    ("code", "enhanced", "text", "stage", "category", "transient"),
    [
        # receive rate of the recipient (de, zh, ja, fr)
        (
            450,
            "4.2.1",
            "Der Empfänger erhält zu schnell E-Mails, bitte später erneut senden.",
            "rcpt",
            "rate-limit",
            True,
        ),
        (450, "4.2.1", "收件人接收邮件过于频繁,请稍后重试。", "rcpt", "rate-limit", True),
        (450, "4.2.1", "受信者のメール受信頻度が高すぎます。", "rcpt", "rate-limit", True),
        (
            450,
            "4.2.1",
            "Le destinataire reçoit des messages trop rapidement.",
            "rcpt",
            "rate-limit",
            True,
        ),
        # TLS required: a client change, never transient
        (421, "4.7.0", "TLS ist für diese Domain erforderlich.", "rcpt", "encryption", False),
        (421, "4.7.0", "该域名需要 TLS 加密连接。", "rcpt", "encryption", False),
        # not on the allowlist / spam, stated in another language
        (421, "4.7.0", "Ihre IP steht nicht auf der weißen Liste.", "connect", "rejected", True),
        (421, "4.7.0", "您的 IP 不在白名单中。", "connect", "rejected", True),
        (
            421,
            "4.7.0",
            "迷惑メールの送信が検出されたため一時的にブロックしました。",
            "connect",
            "rejected",
            True,
        ),
        (550, "5.7.1", "Nachricht enthält unerwünschte Werbung.", "data", "rejected", False),
        # too many recipients
        (452, "4.5.3", "Trop de destinataires pour ce message.", "rcpt", "rate-limit", True),
        # NetEase class tags
        (
            421,
            None,
            "HL:IFC 163 mx.example http://mail.163.com/help/help_spam_16.htm",
            "connect",
            "rate-limit",
            True,
        ),
        (554, None, "HL:REP 126 mx.example", "connect", "rejected", False),
        (
            554,
            None,
            "DT:SPM 163 smtp3,DcmowAD http://mail.163.com/help/help_spam_16.htm",
            "data",
            "rejected",
            False,
        ),
        # the SIZE= parameter, not the message, is malformed
        (501, "5.5.4", "Invalid size parameter value", "mail", "server", False),
        # a bare 554 names no cause: the server's failure
        (554, None, "Transaction failed", "data", "server", False),
    ],
)
def test_other_languages_are_understood(
    mailer: AsyncMailer,
    code: int,
    enhanced: str | None,
    text: str,
    stage: str,
    category: str,
    transient: bool,
) -> None:
    err = mailer.explain(code, enhanced, text, stage=stage)
    assert (str(err.category), err.transient) == (category, transient), err.key


# -- wording rules over every reply key ----------------------------------------------------

MASCULINE = re.compile(
    r"\b\w+(?:łeś|łbyś|łem)\b|\bpowinieneś\b|\bmusisz być pewien\b|\b(?:jego|nim|go)\b"
)


def test_polish_reply_texts_follow_the_wording_rules(mailer: AsyncMailer) -> None:
    from mailplug_smtp.providers import PROVIDER_ERRORS
    from mailplug_smtp.replies import REPLY_ERRORS

    for spec in (*REPLY_ERRORS, *PROVIDER_ERRORS):
        err = spec.error()
        pl = f"{err.message('pl')} {err.advice('pl')}"
        assert "Protokół SMTP" not in pl, spec.key
        assert "nie jest lokalny" not in pl, spec.key
        assert not MASCULINE.search(pl), (spec.key, MASCULINE.search(pl))
        # advice that throttles the sender belongs only to the sender's own limits
        if spec.key == "smtp.rate.recipient_receiving":
            assert "limit" not in pl
