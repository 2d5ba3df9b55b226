"""Real Django (configured in-process): ``django.core.mail`` → the outbox → the worker → SMTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.mime.image import MIMEImage
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import django
import pytest
from django.conf import settings

if not settings.configured:
    settings.configure(
        SECRET_KEY="test-only",
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.admin.apps.SimpleAdminConfig",  # the password-reset templates
            "mailplug.django",
        ],
        DATABASES={},
        TEMPLATES=[
            {"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}
        ],
        ROOT_URLCONF="tests.django_urls",
        EMAIL_BACKEND="mailplug.django.EmailBackend",
        LANGUAGE_CODE="pl",
        USE_I18N=True,
        ADMINS=[("Admin", "admin@firma.pl")],
        SERVER_EMAIL="serwer@firma.pl",
        DEFAULT_FROM_EMAIL="biuro@firma.pl",
        MAILPLUG={},
    )
    django.setup()

from django.core import mail
from django.core.management import call_command
from django.test.utils import override_settings

from mailplug.django.conf import close_mailer, get_mailer
from mailplug.errors import MailplugError
from mailplug.status import Status

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
def project(tmp_path: Path, smtp_server: Any) -> Iterator[Any]:
    """The project's MAILPLUG settings pointing at a real SMTP server; yields the server."""
    srv = smtp_server()
    conf = {
        "ACCOUNTS": [srv.account(name="biuro", email="biuro@firma.pl")],
        "DATA_DIR": str(tmp_path / "mail"),
    }
    with override_settings(MAILPLUG=conf):
        yield srv
        close_mailer()


def work_once() -> None:
    call_command("mailplug_worker", once=True)


def test_send_mail_goes_through_the_outbox(project: Any) -> None:
    sent = mail.send_mail(
        "Zamówienie 12",
        "Dziękujemy za zamówienie.",
        None,
        ["ala@example.com"],
        html_message="<p>Dziękujemy</p>",
    )
    assert sent == 1  # stored; not yet on the wire
    assert project.messages == []
    assert get_mailer().waiting() == 1
    work_once()
    (received,) = project.messages
    msg = received.message
    assert msg["Subject"] == "Zamówienie 12" and received.envelope.rcpt_tos == ["ala@example.com"]
    assert received.envelope.mail_from == "biuro@firma.pl"
    assert [p.get_content_type() for p in msg.walk()][1:] == ["text/plain", "text/html"]
    assert get_mailer().waiting() == 0


def test_every_part_of_an_email_message_survives(project: Any) -> None:
    message = mail.EmailMultiAlternatives(
        subject="Oferta",
        body="Tekst",
        from_email="Biuro Firmy <biuro@firma.pl>",
        to=["ala@example.com"],
        cc=["ola@example.com"],
        bcc=["ukryta@example.com"],
        reply_to=["handlowy@firma.pl"],
        headers={"X-Zamowienie": "12"},
    )
    message.attach_alternative('<p>Logo: <img src="cid:logo"></p>', "text/html")
    message.attach("oferta.pdf", b"%PDF-1.4 oferta", "application/pdf")
    image = MIMEImage(PNG, "png")
    image.add_header("Content-ID", "<logo>")
    image.add_header("Content-Disposition", "inline", filename="logo.png")
    message.attach(image)
    assert message.send() == 1
    work_once()
    (received,) = project.messages
    msg = received.message
    assert sorted(received.envelope.rcpt_tos) == [
        "ala@example.com",
        "ola@example.com",
        "ukryta@example.com",
    ]
    assert "ukryta" not in received.data.decode("ascii", "replace")  # Bcc only on the envelope
    assert (msg["Cc"], msg["Reply-To"], msg["X-Zamowienie"]) == (
        "ola@example.com",
        "handlowy@firma.pl",
        "12",
    )
    parts = {p.get_filename(): p for p in msg.walk() if p.get_filename()}
    assert parts["oferta.pdf"].get_content() == b"%PDF-1.4 oferta"
    assert parts["logo.png"]["Content-ID"] == "<logo>" and parts["logo.png"].get_content() == PNG
    assert "text/html" in [p.get_content_type() for p in msg.walk()]


def test_mail_admins_and_password_reset(project: Any) -> None:
    from django.contrib.auth.forms import PasswordResetForm

    mail.mail_admins("Błąd serwera", "Traceback …")
    user = SimpleNamespace(get_username=lambda: "ala")
    PasswordResetForm().send_mail(
        "registration/password_reset_subject.txt",
        "registration/password_reset_email.html",
        {
            "email": "ala@example.com",
            "domain": "sklep.example.com",
            "site_name": "Sklep",
            "uid": "MQ",
            "user": user,
            "token": "abc-123",
            "protocol": "https",
        },
        None,
        "ala@example.com",
    )
    assert get_mailer().waiting() == 2
    work_once()
    by_rcpt = {tuple(r.envelope.rcpt_tos): r.message for r in project.messages}
    assert "Błąd serwera" in by_rcpt[("admin@firma.pl",)]["Subject"]
    reset = by_rcpt[("ala@example.com",)].get_content()
    assert re.search(r"https://sklep\.example\.com/reset/MQ/abc-123/", reset)


def test_refusals_raise_unless_fail_silently(project: Any) -> None:
    with pytest.raises(MailplugError) as caught:
        mail.send_mail("x", "y", None, ["not-an-address"])
    assert caught.value.key == "message.invalid_address"
    assert mail.send_mail("x", "y", None, ["not-an-address"], fail_silently=True) == 0
    assert get_mailer().waiting() == 0


def test_language_defaults_to_language_code(project: Any) -> None:
    mail.send_mail("x", "y", None, ["ala@example.com"])
    mailer = get_mailer()
    (entry,) = mailer.query()
    assert mailer.describe(entry).status_text == mailer.describe(entry, "pl").status_text
    assert mailer.describe(entry).status_text != mailer.describe(entry, "en").status_text
    assert mailer.waiting_text(1) == "1 wiadomość czeka na wysłanie."


def test_the_readme_status_page_example(project: Any) -> None:
    from django.test import RequestFactory
    from django.utils import translation

    views = _readme_example()
    mail.send_mail("Faktura 7", "y", None, ["ala@example.com"])
    mail.send_mail("Faktura 8", "y", None, ["nikt@example.com"])
    with translation.override("pl"):
        page = views["mail_status"](RequestFactory().get("/mail/")).content.decode()
    assert "2 wiadomości czekają na wysłanie." in page
    assert page.count("<tr class=queued>") == 2 and "Faktura 7" in page
    work_once()
    with translation.override("en"):
        page = views["mail_status"](RequestFactory().get("/mail/")).content.decode()
    assert "0 messages are waiting to be sent." in page
    assert page.count(f"<tr class={Status.SENT}>") == 2


def _readme_example() -> dict[str, Any]:
    """The README's status-page code, which must be examples/django_status/views.py."""
    root = Path(__file__).parent.parent
    source = (root / "examples" / "django_status" / "views.py").read_text()
    readme = (root / "README.md").read_text()
    assert source in readme, "README's status-page example differs from the file"
    namespace: dict[str, Any] = {}
    exec(compile(source, "views.py", "exec"), namespace)
    return namespace
