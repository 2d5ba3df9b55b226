"""Sending what waits in the outbox (filled in by the outbox work)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .mailer import AsyncMailer


async def flush(mailer: AsyncMailer, **kwargs: Any) -> Any:
    raise NotImplementedError("the outbox flush lands with the SQLite outbox")
