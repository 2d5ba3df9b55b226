"""Where a message stands in the outbox: the :class:`Status` names."""

from __future__ import annotations

import enum

__all__ = ["Status"]


class Status(enum.StrEnum):
    """Where a message stands."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    PARTIAL = "partial"
    DEFERRED = "deferred"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNCERTAIN = "uncertain"

    @property
    def final(self) -> bool:
        return self in {Status.SENT, Status.PARTIAL, Status.FAILED, Status.CANCELLED}
