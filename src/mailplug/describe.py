"""What a host shows people about its mail: status names, reasons, the waiting count.

A status page, a "3 wiadomości czekają na wysłanie" badge, a row per message
with why it is not sent yet — rendered in the person's language from an
:class:`~mailplug.outbox.OutboxEntry` or a :class:`~mailplug.events.StatusEvent`,
without querying the outbox again::

    d = mailer.describe(entry, lang="pl")
    d.status_text   # "oczekuje na wysłanie"
    d.reason        # the stored error's sentence, or None
    d.advice        # what to do about it, or None
    mailer.waiting_text(mailer.waiting(), lang="pl")   # "3 wiadomości czekają na wysłanie."
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .texts import STATUS_TEXTS, WAITING

if TYPE_CHECKING:
    from .errors import ErrorInfo
    from .events import StatusEvent
    from .outbox import OutboxEntry
    from .runtime import Runtime
    from .status import Status

__all__ = ["Description", "describe", "waiting_text"]


@dataclass(frozen=True, slots=True)
class Description:
    """One message's status as a person reads it.

    :ivar status: the machine value (for CSS classes, icons, filters).
    :ivar status_text: its name in the chosen language.
    :ivar reason: the stored error's sentence (why it is not sent), or ``None``.
    :ivar advice: what the person can do about it, or ``None``.
    :ivar error_key: the stable key of that error, or ``None``.
    :ivar subject: the message's subject.
    """

    status: Status
    status_text: str
    reason: str | None
    advice: str | None
    error_key: str | None
    subject: str

    def __str__(self) -> str:
        return f"{self.status_text}: {self.reason}" if self.reason else self.status_text


def describe(
    runtime: Runtime, item: OutboxEntry | StatusEvent, lang: str | None = None
) -> Description:
    """Describe an outbox entry or a status event in ``lang`` (default: the mailer's)."""
    translator = runtime.translator
    error: ErrorInfo | None = item.error
    reason = advice = None
    if error is not None:
        rendered = runtime.reason(error)
        reason, advice = rendered.message(lang), rendered.advice(lang)
    return Description(
        status=item.status,
        status_text=translator.gettext(STATUS_TEXTS[item.status], lang),
        reason=reason,
        advice=advice,
        error_key=error.key if error is not None else None,
        subject=item.subject,
    )


def waiting_text(runtime: Runtime, n: int, lang: str | None = None) -> str:
    """The sentence for ``n`` waiting messages, with the language's plural form."""
    return runtime.translator.gettext(WAITING, lang, n=n)
