# Flask on main before issue 13: enqueue, a worker, a status page.
import atexit

from flask import Flask, request
from markupsafe import escape

from mailplug import Mailer, Message
from mailplug.texts import STATUS_TEXTS, WAITING

app = Flask(__name__)
mailer = Mailer.from_config()
mailer.start_worker()  # hangs after fork (gunicorn --preload), one worker per process
atexit.register(mailer.close)  # "RuntimeError: cannot schedule new futures after shutdown"


@app.post("/order")
def order():
    mailer.enqueue(Message(to=request.form["email"], subject="Zamówienie", text="Dziękujemy"))
    return "ok"


@app.get("/mail")
def mail_status():
    lang = request.accept_languages.best_match(["pl", "en"])
    rows = []
    for entry in mailer.query(limit=20):
        status = mailer.translator.gettext(STATUS_TEXTS[entry.status], lang)
        reason = ""
        if entry.error is not None:
            error = mailer.reason(entry.error)
            reason = f"<br><small>{escape(error.message(lang))} {escape(error.advice(lang))}</small>"
        rows.append(f"<tr><td>{escape(entry.subject)}</td><td>{escape(status)}{reason}</td></tr>")
    waiting = mailer.translator.gettext(WAITING, lang, n=mailer.waiting())
    return f"<p>{escape(waiting)}</p><table>{''.join(rows)}</table>"
