"""Compose throughput: mailplug's composer vs ``EmailMessage`` + ``as_bytes()``.

Run: ``.venv/bin/python bench/compose.py [--seconds 2]``.  Both sides build the
same typical ~2 KB message (text + HTML alternative, two recipients and a Cc,
Polish subject and names) from the same :class:`mailplug.Message`, and the
figures are printed side by side with their ratio (the outbox's enqueue target
is ≥ 2.5×).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from mailplug.compose import compose
from mailplug.models import Account, Message

TEXT = (
    "Dzień dobry,\n\nw załączeniu przesyłamy zestawienie faktur za ubiegły miesiąc. "
    "Prosimy o sprawdzenie kwot i terminów płatności; w razie pytań prosimy o kontakt "
    "z działem księgowości.\n\n"
) * 4 + "Z poważaniem\nBiuro Rachunkowe Żółw\n"
PARAGRAPH = (
    "<p>Dzień dobry,</p><p>w załączeniu przesyłamy <b>zestawienie faktur</b> "
    "za ubiegły miesiąc. Prosimy o sprawdzenie kwot i terminów płatności.</p>"
)
HTML = "<html><body>" + PARAGRAPH * 3 + "<p>Z poważaniem<br>Biuro Rachunkowe Żółw</p></body></html>"


def make_message() -> tuple[Message, Account]:
    account = Account.model_validate(
        {
            "name": "biuro",
            "email": "biuro@zolw.example.pl",
            "display_name": "Biuro Rachunkowe Żółw",
            "transport": "memory",
            "auth": None,
        }
    )
    message = Message(
        to=["Jan Kowalski <jan.kowalski@example.pl>", "Łucja Wiśniewska <lucja@example.com>"],
        cc=["ksiegowosc@example.pl"],
        subject="Zestawienie faktur za październik — prośba o weryfikację",
        text=TEXT,
        html=HTML,
    )
    return message, account


def email_message(message: Message, account: Account) -> bytes:
    """The straightforward stdlib way, as the old composer did it."""
    msg = EmailMessage()
    msg["From"] = str(message.sender or account.from_address)
    msg["To"] = ", ".join(str(a) for a in message.to)
    msg["Cc"] = ", ".join(str(a) for a in message.cc)
    msg["Subject"] = message.subject
    msg["Date"] = format_datetime(datetime.now().astimezone())
    msg["Message-ID"] = message.message_id
    msg.set_content(message.text or "")
    msg.add_alternative(message.html or "", subtype="html")
    return msg.as_bytes()


def rate(fn: Callable[[], object], seconds: float) -> float:
    fn()  # warm up
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(50):
            fn()
        count += 50
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per side")
    args = parser.parse_args()
    message, account = make_message()
    size = len(compose(message, account).data)
    stdlib = rate(lambda: email_message(message, account), args.seconds)
    ours = rate(lambda: compose(message, account), args.seconds)
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"message: {size} bytes (text + HTML alternative, 3 recipients, Polish subject)")
    print(f"{'EmailMessage + as_bytes()':<28}{stdlib:>12,.0f} msg/s")
    print(f"{'mailplug.compose':<28}{ours:>12,.0f} msg/s")
    print(f"{'ratio':<28}{ours / stdlib:>12.1f}x   (target >= 2.5x)")


if __name__ == "__main__":
    main()
