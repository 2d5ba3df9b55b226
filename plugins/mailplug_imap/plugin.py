"""Hook implementations of the built-in imap plugin: the ``imap`` probe, ``bounces fetch``,
the Sent-folder copier and their messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mailplug.plugin import hookimpl

if TYPE_CHECKING:
    from mailplug.plugin import (
        Account,
        Authenticator,
        CheckOptions,
        CheckReport,
        Command,
        ErrorSpec,
        Probe,
        SentCopier,
        Services,
        Text,
        Transport,
    )


async def _probe_imap(
    account: Account,
    *,
    transport: Transport | None,
    auth: Authenticator | None,
    services: Services,
    rcpt: str | None,
    options: CheckOptions,
) -> CheckReport:
    # Imported on first use: only ``accounts test`` needs the IMAP client.
    from .probe import probe_imap

    return await probe_imap(account, auth, options=options)


@hookimpl(trylast=True)
def mailplug_register_probes(register: Callable[[str, Probe], None]) -> None:
    register("imap", _probe_imap)


@hookimpl(trylast=True)
def mailplug_register_sent_copiers(register: Callable[[str, SentCopier], None]) -> None:
    from .sent import save_sent_copies

    register("imap", save_sent_copies)


@hookimpl(trylast=True)
def mailplug_register_commands(register: Callable[[Command], None]) -> None:
    from .fetch import FETCH

    register(FETCH)


@hookimpl(trylast=True)
def mailplug_register_messages(register: Callable[[ErrorSpec | Text], None]) -> None:
    from .keys import IMAP_ERRORS, IMAP_TEXTS

    for spec in IMAP_ERRORS:
        register(spec)
    for text in IMAP_TEXTS:
        register(text)
