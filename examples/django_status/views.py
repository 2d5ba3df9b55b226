# A status page for the mail a Django project sent (see README: "Showing mail status").
from django.http import HttpRequest, HttpResponse
from django.utils.html import escape
from django.utils.translation import get_language

from mailplug.django import get_mailer


def mail_status(request: HttpRequest) -> HttpResponse:
    mailer = get_mailer()
    lang = get_language()
    rows = []
    for entry in mailer.query(limit=20):
        d = mailer.describe(entry, lang)
        reason = (
            f"<br><small>{escape(d.reason)} {escape(d.advice or '')}</small>" if d.reason else ""
        )
        rows.append(
            f"<tr class={d.status}><td>{escape(d.subject)}</td>"
            f"<td>{escape(d.status_text)}{reason}</td></tr>"
        )
    waiting = mailer.waiting_text(mailer.waiting(), lang)
    return HttpResponse(f"<p>{escape(waiting)}</p><table>{''.join(rows)}</table>")
