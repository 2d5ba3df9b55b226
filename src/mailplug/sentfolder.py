"""The contract of a Sent-folder copier: save copies of sent mail where the user keeps them.

A mail program puts a copy of every message it sends in the account's Sent
folder; mailplug does the same after delivery (:mod:`mailplug.copying`).  The
copier is a plugin (the built-in ``imap`` one APPENDs over IMAP), registered
with :func:`~mailplug.hookspecs.mailplug_register_sent_copiers`::

    @hookimpl
    def mailplug_register_sent_copiers(register):
        register("imap", save_over_imap)

The core calls the copier named ``imap`` for accounts with IMAP settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .auth import Authenticator
    from .errors import MailplugError
    from .models import Account
    from .outbox import CopyClaim
    from .services import Services

__all__ = ["SentCopier"]


class SentCopier(Protocol):
    """``await copier(account, copies, auth=…, services=…)``: save each copy once.

    Returns, per copy in order, the folder it is in now (saved now, or found
    already there: a retry after a try whose answer was lost must not save a
    second copy) or the :class:`~mailplug.errors.MailplugError` that stopped it
    (a stable key: the core records it and tries again later).  Raises a
    ``MailplugError`` when no copy could be tried at all (server unreachable,
    login refused, no Sent folder).
    """

    async def __call__(
        self,
        account: Account,
        copies: Sequence[CopyClaim],
        *,
        auth: Authenticator | None,
        services: Services,
    ) -> list[str | MailplugError]: ...
