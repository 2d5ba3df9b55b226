"""What storage is: the outbox (mail waiting to go, and its history) and the secret store.

Both are async objects registered by plugins through
:func:`~mailplug.hookspecs.mailplug_register_storage` and
:func:`~mailplug.hookspecs.mailplug_register_secret_stores`.
"""

from __future__ import annotations

import abc
import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pydantic import SecretStr

    from .services import Services

__all__ = ["SecretStore", "SecretStoreFactory", "Status", "StatusEvent"]


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


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """A message changed status (sent to :func:`~mailplug.hookspecs.mailplug_message_status`)."""

    id: str
    message_id: str
    account: str
    status: Status
    previous: Status | None = None
    error_key: str | None = None
    at: datetime | None = None
    next_attempt_at: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)


class SecretStore(abc.ABC):
    """Keeps secrets (refresh tokens, passwords) out of settings files and logs."""

    name: str = ""

    @abc.abstractmethod
    async def get(self, account: str, key: str) -> SecretStr | None:
        """The stored secret, or ``None``."""

    @abc.abstractmethod
    async def set(
        self, account: str, key: str, value: SecretStr, *, meta: dict[str, Any] | None = None
    ) -> None:
        """Store ``value``; ``meta`` holds non-secret facts (when it was stored …)."""

    @abc.abstractmethod
    async def delete(self, account: str, key: str) -> None:
        """Forget the secret (no error when absent)."""

    async def meta(self, account: str, key: str) -> dict[str, Any] | None:
        """Non-secret facts stored beside the secret (e.g. ``stored_at``)."""
        return None

    async def aclose(self) -> None:  # noqa: B027
        """Release files or connections."""


class SecretStoreFactory(Protocol):
    def __call__(self, *, services: Services) -> SecretStore: ...
