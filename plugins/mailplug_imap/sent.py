"""The ``imap`` Sent-folder copier: APPEND each sent message once, as a mail program does.

One session per batch of an account's copies: log in (password or XOAUTH2,
TLS as for the inbox), find the folder (the one set in ``imap.sent_folder``,
else the one the server marks ``\\Sent``), then per copy look for its
Message-ID there first (a retry after an APPEND whose answer was lost must
not save a second copy) and APPEND it with ``\\Seen`` and the send time as
its INTERNALDATE.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mailplug.plugin import Category, MailplugError
from mailplug.plugin import keys as core_keys

from .mailbox import Mailbox

if TYPE_CHECKING:
    from mailplug.plugin import Account, Authenticator, CopyClaim, Services

__all__ = ["save_sent_copies"]

#: Seconds one IMAP command may take.
TIMEOUT = 30.0


async def save_sent_copies(
    account: Account,
    copies: Sequence[CopyClaim],
    *,
    auth: Authenticator | None,
    services: Services,
) -> list[str | MailplugError]:
    """Save ``copies`` in ``account``'s Sent folder (see :class:`mailplug.plugin.SentCopier`)."""
    imap = account.imap
    if imap is None:
        raise core_keys.ACCOUNT_INVALID_SETTINGS.error(
            field="imap", problem="no IMAP server is set for this account"
        )
    if auth is None:
        raise core_keys.ACCOUNT_INVALID_SETTINGS.error(
            field="auth", problem="saving copies in the Sent folder needs a login"
        )
    credentials = await auth.credentials()
    box = Mailbox(account, imap, timeout=TIMEOUT)
    results: list[str | MailplugError] = []
    try:
        await box.run(box.login, credentials)
        folder = await box.run(box.sent_folder, imap.sent_folder)
        await box.run(box.select, folder)
        for copy in copies:
            try:
                await box.run(box.save_once, folder, copy.data, copy.message_id, copy.sent_at)
            except MailplugError as exc:
                if exc.category is Category.CONNECTION:
                    # The session is gone: the rest fail alike (and are tried again later).
                    results += [exc] * (len(copies) - len(results))
                    break
                results.append(exc)
                continue
            results.append(folder)
    finally:
        with contextlib.suppress(MailplugError):
            await box.run(box.close)
    return results
