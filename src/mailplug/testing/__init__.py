"""Helpers for testing code that sends mail with mailplug.

::

    from mailplug.testing import MemoryTransport, memory_account, registered

    async def test_welcome_mail():
        async with AsyncMailer([memory_account()], outbox=None) as mailer:
            await mailer.send(Message(to="a@example.com", subject="Hi", text="…"))
        assert MemoryTransport.outbox[-1].envelope.recipients == ("a@example.com",)

The kit has three parts; importing this package loads only the first (no
test framework, no server library):

* here: :class:`MemoryTransport` (the ``memory`` transport keeps sent mail in
  a list, like Django's locmem backend), :func:`memory_account` and
  :func:`registered` (a plugin registered for one ``with`` block);
* :mod:`mailplug.testing.smtp`: a real, scripted SMTP server on 127.0.0.1
  (replies, delays, disconnects, STARTTLS/TLS with a throw-away CA, AUTH) for
  testing your mail code or your own transport end to end.  It needs the
  ``testing`` extra: ``pip install "mailplug[testing]"``;
* :mod:`mailplug.testing.outbox_contract`: the test suite every storage
  plugin (:class:`mailplug.outbox.Outbox`) should pass, run by subclassing
  :class:`~mailplug.testing.outbox_contract.OutboxContract` (needs pytest and
  pytest-asyncio).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .memory import MemoryTransport, SentMessage, memory_account

if TYPE_CHECKING:
    import pluggy

__all__ = ["MemoryTransport", "SentMessage", "memory_account", "registered"]


@contextlib.contextmanager
def registered(pm: pluggy.PluginManager, plugin: object, name: str | None = None) -> Iterator[str]:
    """Register ``plugin`` on ``pm`` for the duration of a ``with`` block."""
    registered_name = pm.register(plugin, name=name)
    assert registered_name is not None
    try:
        yield registered_name
    finally:
        pm.unregister(name=registered_name)
