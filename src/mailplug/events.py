"""What a status listener hears: :class:`StatusEvent`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .status import Status

if TYPE_CHECKING:
    from .errors import ErrorInfo

__all__ = ["StatusEvent"]


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """A message changed status (sent to :func:`~mailplug.hookspecs.mailplug_message_status`
    and to the mailer's ``on_status`` callback).

    It carries what a listener needs to show the change without querying the
    outbox: the subject, the recipients and, when the change is a problem, the
    whole stored error — render it with ``mailer.reason(event.error)``.

    :ivar error_key: the error's key (``event.error.key``), kept for old listeners.
    :ivar error: the stored error (key, server reply, parameters), or ``None``.
    :ivar subject: the message's subject (empty when the outbox did not say).
    :ivar recipients: the envelope recipients concerned.
    """

    id: str
    message_id: str
    account: str
    status: Status
    previous: Status | None = None
    error_key: str | None = None
    at: datetime | None = None
    next_attempt_at: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)
    error: ErrorInfo | None = None
    subject: str = ""
    recipients: tuple[str, ...] = ()
