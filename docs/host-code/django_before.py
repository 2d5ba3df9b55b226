# Django on main before issue 13: a hand-written backend translating EmailMessage field by
# field (inline images and MIMEBase attachments lost, content_subtype="html" bodies sent as
# text), a hand-written worker command, a status view, and the settings.
import asyncio
import signal

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management.base import BaseCommand
from django.http import HttpResponse
from django.utils.html import escape
from django.utils.translation import get_language

from mailplug import Attachment, Mailer, Message
from mailplug.texts import STATUS_TEXTS, WAITING

# settings.py
EMAIL_BACKEND = "myproject.mail.EmailBackend"
MAILPLUG_ACCOUNTS = [{"name": "biuro", "email": "biuro@firma.pl", "settings": {}}]

_mailer = None


def get_mailer():  # myproject/mail.py
    global _mailer
    if _mailer is None:
        _mailer = Mailer(settings.MAILPLUG_ACCOUNTS, lang=settings.LANGUAGE_CODE)
    return _mailer


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        for m in email_messages:
            html = next((c for c, t in getattr(m, "alternatives", []) if t == "text/html"), None)
            files = [a for a in m.attachments if isinstance(a, tuple)]
            get_mailer().enqueue(
                Message(
                    sender=m.from_email, to=m.to, cc=m.cc, bcc=m.bcc, reply_to=m.reply_to,
                    subject=m.subject, text=m.body, html=html, headers=m.extra_headers,
                    attachments=[Attachment(filename=n, content=c, content_type=t) for n, c, t in files],
                )
            )
        return len(email_messages)


class Command(BaseCommand):  # management/commands/mailplug_worker.py
    def handle(self, *args, **options):
        async def run():
            stop = asyncio.Event()
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
            async with get_mailer().aio as mailer:
                await mailer.work(stop=stop)

        asyncio.run(run())


def mail_status(request):  # views.py
    mailer, lang = get_mailer(), get_language()
    rows = []
    for entry in mailer.query(limit=20):
        status = mailer.translator.gettext(STATUS_TEXTS[entry.status], lang)
        reason = ""
        if entry.error is not None:
            error = mailer.reason(entry.error)
            reason = f"<br><small>{escape(error.message(lang))} {escape(error.advice(lang))}</small>"
        rows.append(f"<tr><td>{escape(entry.subject)}</td><td>{escape(status)}{reason}</td></tr>")
    waiting = mailer.translator.gettext(WAITING, lang, n=mailer.waiting())
    return HttpResponse(f"<p>{escape(waiting)}</p><table>{''.join(rows)}</table>")
