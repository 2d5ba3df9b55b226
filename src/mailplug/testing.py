"""Helpers for testing code that sends mail with mailplug.

::

    from mailplug.testing import MemoryTransport, memory_account, registered

    async def test_welcome_mail():
        async with AsyncMailer([memory_account()], outbox=None) as mailer:
            await mailer.send(Message(to="a@example.com", subject="Hi", text="…"))
        assert MemoryTransport.outbox[-1].envelope.recipients == ("a@example.com",)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import TYPE_CHECKING, ClassVar

from .models import Account
from .transport import Envelope, RecipientResult, SendResult, Transport

if TYPE_CHECKING:
    import pluggy

    from .auth import Authenticator
    from .services import Services

__all__ = ["MemoryTransport", "SentMessage", "memory_account", "registered"]


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


@contextlib.contextmanager
def registered(pm: pluggy.PluginManager, plugin: object, name: str | None = None) -> Iterator[str]:
    """Register ``plugin`` on ``pm`` for the duration of a ``with`` block."""
    registered_name = pm.register(plugin, name=name)
    assert registered_name is not None
    try:
        yield registered_name
    finally:
        pm.unregister(name=registered_name)
