"""What storage is: the outbox (mail waiting to go, and its history) and the secret store.

Both are async objects registered by plugins through
:func:`~mailplug.hookspecs.mailplug_register_storage` and
:func:`~mailplug.hookspecs.mailplug_register_secret_stores`.  The outbox
contract is :class:`mailplug.outbox.Outbox`; the secret store contract,
:class:`SecretStore`, lives with :class:`~mailplug.services.Services` (the two
refer to each other).  This module keeps the names where they always were.
"""

from __future__ import annotations

from .events import StatusEvent
from .services import SecretStore, SecretStoreFactory
from .status import Status

__all__ = ["SecretStore", "SecretStoreFactory", "Status", "StatusEvent"]
