# Django with issue 13: settings, and the status view of examples/django_status/views.py;
# the worker is `python manage.py mailplug_worker`.
from django.http import HttpResponse
from django.utils.html import escape
from django.utils.translation import get_language

from mailplug.django import get_mailer

# settings.py
INSTALLED_APPS = ["mailplug.django"]
EMAIL_BACKEND = "mailplug.django.EmailBackend"
MAILPLUG = {"ACCOUNTS": [{"name": "biuro", "email": "biuro@firma.pl", "settings": {}}]}


def mail_status(request):  # views.py
    mailer, lang = get_mailer(), get_language()
    rows = []
    for entry in mailer.query(limit=20):
        d = mailer.describe(entry, lang)
        reason = f"<br><small>{escape(d.reason)} {escape(d.advice)}</small>" if d.reason else ""
        rows.append(f"<tr><td>{escape(d.subject)}</td><td>{escape(d.status_text)}{reason}</td></tr>")
    waiting = mailer.waiting_text(mailer.waiting(), lang)
    return HttpResponse(f"<p>{escape(waiting)}</p><table>{''.join(rows)}</table>")
