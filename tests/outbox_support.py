"""Helpers shared by the outbox tests: an event recorder, a settable clock, messages."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mailplug import AsyncMailer, Message, hookimpl
from mailplug.storage import Status, StatusEvent


class EventLog:
    """A plugin recording every ``mailplug_message_status`` event."""

    __name__ = "eventlog"

    def __init__(self) -> None:
        self.events: list[StatusEvent] = []
        self._lock = threading.Lock()

    @hookimpl
    def mailplug_message_status(self, event: StatusEvent) -> None:
        with self._lock:
            self.events.append(event)

    def statuses(self, entry_id: str) -> list[Status]:
        return [e.status for e in self.events if e.id == entry_id]


@dataclass
class Clock:
    """A clock tests move by hand: ``clock.advance(hours=1)``.

    It starts a second ahead of the wall clock, so mail queued right after it
    was made is already due.
    """

    now: datetime = field(default_factory=lambda: datetime.now(UTC) + timedelta(seconds=1))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def message(i: int = 0, *, to: Any = None, **fields: Any) -> Message:
    return Message(
        to=to if to is not None else f"odbiorca{i}@example.com",
        subject=fields.pop("subject", f"Faktura {i}"),
        text=fields.pop("text", f"Treść wiadomości {i}.\n"),
        **fields,
    )


def mailer(
    tmp_path: Path,
    accounts: list[Any],
    *,
    events: EventLog | None = None,
    **options: Any,
) -> AsyncMailer:
    return AsyncMailer(
        accounts,
        data_dir=tmp_path / "data",
        entry_points=False,
        plugins=[events] if events is not None else (),
        **options,
    )
