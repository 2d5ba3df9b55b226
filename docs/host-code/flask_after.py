# Flask with issue 13: the worker runs beside it (mailplug outbox work --app myapp:make_mailer,
# or mailer.start_worker() in a gunicorn --preload master); close at exit is automatic.
from flask import Flask, request
from markupsafe import escape

from mailplug import Mailer, Message


def make_mailer():
    return Mailer.from_config()


app = Flask(__name__)
mailer = make_mailer()


@app.post("/order")
def order():
    mailer.enqueue(Message(to=request.form["email"], subject="Zamówienie", text="Dziękujemy"))
    return "ok"


@app.get("/mail")
def mail_status():
    lang = request.accept_languages.best_match(["pl", "en"])
    rows = []
    for entry in mailer.query(limit=20):
        d = mailer.describe(entry, lang)
        reason = f"<br><small>{escape(d.reason)} {escape(d.advice)}</small>" if d.reason else ""
        rows.append(f"<tr><td>{escape(d.subject)}</td><td>{escape(d.status_text)}{reason}</td></tr>")
    waiting = mailer.waiting_text(mailer.waiting(), lang)
    return f"<p>{escape(waiting)}</p><table>{''.join(rows)}</table>"
