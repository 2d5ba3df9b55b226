"""``mailplug explain CODE [ENHANCED] [TEXT...]`` over the SMTP reply table, via the real CLI."""

from __future__ import annotations

import json

import pytest

from mailplug import AsyncMailer
from mailplug.cli import main
from mailplug.errors import Text

JSON_FIELDS = {
    "key",
    "category",
    "transient",
    "message",
    "advice",
    "category_label",
    "reply",
    "json_version",
}


# fmt: off
EXPLAINED: list[tuple[list[str], str, str, bool]] = [
    (["550", "5.1.1", "<bob@example.com>:", "User", "unknown"], "smtp.recipient.unknown",
     "recipient", False),
    (["535", "5.7.8", "Authentication", "credentials", "invalid"],
     "smtp.auth.invalid_credentials", "authentication", False),
    (["452", "4.2.2", "Mailbox", "full"], "smtp.mailbox.full_temporary", "mailbox-full",
     True),
    (["421", "Service", "not", "available"], "smtp.service.unavailable", "server", True),
    (["554", "5.7.1", "<bob@example.org>:", "Relay", "access", "denied"],
     "smtp.rejected.relay", "rejected", False),
    (["553", "sorry,", "that", "domain", "isn't", "in", "my", "list", "of", "allowed",
      "rcpthosts", "(#5.7.1)"], "smtp.rejected.relay", "rejected", False),
    (["450", "4.2.0", "Greylisted,", "see", "http://postgrey.schweikert.ch/help/x.html"],
     "smtp.rejected.greylisted", "rejected", True),
    (["550", "5.4.5", "Daily", "user", "sending", "limit", "exceeded.", "-", "gsmtp"],
     "smtp.rate.daily_quota", "rate-limit", True),
    (["535", "5.7.139", "Authentication", "unsuccessful,", "SmtpClientAuthentication", "is",
      "disabled", "for", "the", "Tenant."], "smtp.auth.smtp_auth_disabled", "authentication",
     False),
    (["552", "5.3.4", "Message", "size", "exceeds", "fixed", "limit"],
     "smtp.message.too_big", "message-too-big", False),
]

IN_POLISH: list[tuple[list[str], str]] = [
    (["535", "5.7.8"], "Niewłaściwe dane logowania."),
    (["530", "5.7.0", "Must", "issue", "a", "STARTTLS", "command", "first"],
     "Połączenie wymaga szyfrowania."),
    (["538", "5.7.11"], "Szyfrowanie jest wymagane do zalogowania."),
    (["552", "5.2.2"], "Skrzynka jest przepełniona."),
    (["553"], "Nazwa skrzynki pocztowej nie jest właściwa."),
    (["554"], "Dostarczenie się nie udało:"),
]
# fmt: on


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    data = json.loads(out)
    assert isinstance(data, dict)
    assert set(data) == JSON_FIELDS
    return data


@pytest.mark.parametrize(("argv", "key", "category", "transient"), EXPLAINED)
def test_explain_json(
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    key: str,
    category: str,
    transient: bool,
) -> None:
    data = run_json(capsys, "explain", *argv)
    assert (data["key"], data["category"], data["transient"]) == (key, category, transient)
    assert isinstance(data["message"], str) and data["message"]
    assert isinstance(data["advice"], str) and data["advice"]


@pytest.mark.parametrize(("argv", "sentence"), IN_POLISH)
def test_explain_in_polish_uses_the_seed_sentences(
    capsys: pytest.CaptureFixture[str], argv: list[str], sentence: str
) -> None:
    data = run_json(capsys, "--lang", "pl", "explain", *argv)
    assert isinstance(data["message"], str)
    assert sentence in data["message"]


def test_explain_json_texts_come_from_the_catalogs(capsys: pytest.CaptureFixture[str]) -> None:
    # The SMTP plugin's texts are in its own catalogs: a mailer's translator has them all.
    translator = AsyncMailer(outbox=None, entry_points=False).translator
    for lang in ("pl", "en"):
        data = run_json(capsys, "--lang", lang, "explain", "550", "5.1.1", "User", "unknown")
        key = data["key"]
        assert isinstance(key, str)
        message = translator.gettext(
            Text(
                "The recipient's address does not exist: the server has no such mailbox.",
                context=key,
            ),
            lang,
        )
        assert data["message"] == message
    assert data["message"] == (
        "The recipient's address does not exist: the server has no such mailbox."
    )


def test_explain_stage_option(capsys: pytest.CaptureFixture[str]) -> None:
    greeting = run_json(
        capsys, "explain", "554", "No", "SMTP", "service", "here", "--stage", "connect"
    )
    assert greeting["key"] == "smtp.service.refused"
    after_data = run_json(capsys, "explain", "554", "Transaction", "failed")
    assert after_data["key"] == "smtp.transaction.failed"
    sender = run_json(capsys, "explain", "550", "5.1.1", "--stage", "mail")
    assert sender["key"] == "smtp.sender.rejected"
    login = run_json(capsys, "explain", "530", "--stage", "mail")
    assert login["key"] == "smtp.auth.required"


def test_explain_plain_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--lang", "pl", "explain", "452", "4.3.1", "Insufficient", "system", "storage"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    # category and retry words in the user's language
    assert out[0] == "smtp.server.no_space (serwer; tymczasowy: może minąć sam)"
    assert out[1].startswith("Brak miejsca po stronie serwera.")
    assert out[2].startswith("Wiadomość zostanie automatycznie wysłana ponownie.")


def test_explain_an_error_key(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "--lang", "pl", "explain", "smtp.rate.daily_quota")
    assert data["key"] == "smtp.rate.daily_quota"
    assert data["category"] == "rate-limit"
    assert data["transient"] is True
    assert data["message"] == "Osiągnięto dzienny limit wysyłania dla tego konta."


def test_explain_unknown_reply_falls_back(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "explain", "250", "OK")
    assert data["key"] == "server.unknown"


@pytest.mark.parametrize(
    ("argv", "key"),
    [
        (["explain", "abc"], "explain.unknown_input"),
        (["explain", "999"], "explain.unknown_input"),
        (["explain", "550", "--stage", "nowhere"], "explain.unknown_stage"),
    ],
)
def test_explain_refuses_what_it_cannot_explain(
    capsys: pytest.CaptureFixture[str], argv: list[str], key: str
) -> None:
    assert main(["--lang", "pl", *argv]) == 64
    err = capsys.readouterr().err
    assert key in err
    assert "is neither" not in err and "is not a step" not in err  # Polish, not English
    assert main([*argv, "--json"]) == 64
    data = json.loads(capsys.readouterr().out)
    assert data["error"]["key"] == key


def test_explain_json_adds_the_reply_and_the_localized_category(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = run_json(capsys, "--lang", "pl", "explain", "550", "5.1.1", "User", "unknown")
    assert data["category"] == "recipient"
    assert data["category_label"] == "odbiorca"
    assert data["reply"] == "550 5.1.1 User unknown"


def test_a_language_that_is_not_installed_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "xx", "explain", "550"]) == 64
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "“xx” is not installed" in captured.err and "en, pl" in captured.err
    # A region of an installed language is fine.
    assert main(["--lang", "pl_PL", "explain", "550"]) == 0
    assert "odbiorca" in capsys.readouterr().out
