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
    #: Accepted by the server, then every recipient bounced (a delivery report came back).
    BOUNCED = "bounced"
    #: Accepted by the server, then some recipients bounced.
    PARTIALLY_BOUNCED = "partially-bounced"

    @property
    def final(self) -> bool:
        return self in {
            Status.SENT,
            Status.PARTIAL,
            Status.FAILED,
            Status.CANCELLED,
            Status.BOUNCED,
            Status.PARTIALLY_BOUNCED,
        }
