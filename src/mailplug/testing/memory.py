"""The ``memory`` transport: sent mail is kept in a list instead of leaving the machine."""

from __future__ import annotations

from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import TYPE_CHECKING, ClassVar

from ..models import Account
from ..transport import Envelope, RecipientResult, SendResult, Transport

if TYPE_CHECKING:
    from ..auth import Authenticator
    from ..services import Services

__all__ = ["MemoryTransport", "SentMessage", "memory_account"]


@dataclass(frozen=True)
class SentMessage:
    envelope: Envelope
    data: bytes
    account: str

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class MemoryTransport(Transport):
    """Keeps sent mail in :attr:`outbox` (a class-level list, like Django's locmem)."""

    name = "memory"
    outbox: ClassVar[list[SentMessage]] = []

    def __init__(self, account: Account) -> None:
        self.account = account

    @classmethod
    def factory(
        cls, account: Account, *, auth: Authenticator | None, services: Services
    ) -> MemoryTransport:
        return cls(account)

    async def send(self, envelope: Envelope, data: bytes) -> SendResult:
        MemoryTransport.outbox.append(SentMessage(envelope, data, self.account.name))
        return SendResult(
            message_id=envelope.message_id,
            recipients=[RecipientResult(r, True, 250, "2.0.0", "OK") for r in envelope.recipients],
            host="memory",
            transport=self.name,
        )


def memory_account(name: str = "test", email: str = "sender@example.com") -> Account:
    """An account that sends through :class:`MemoryTransport` without login."""
    return Account.model_validate(
        {"name": name, "email": email, "transport": "memory", "auth": None}
    )
