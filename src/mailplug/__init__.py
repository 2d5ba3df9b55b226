"""mailplug: send e-mail reliably and explain, in the user's language, what went wrong.

The public API is re-exported here and loaded lazily, so ``import mailplug``
stays cheap and never runs plugin code.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import API_VERSION, __version__

if TYPE_CHECKING:
    from .auth import Authenticator, Credentials
    from .check import CheckReport
    from .dispatch import FlushReport
    from .errors import (
        AccountNotConfiguredError,
        AuthenticationError,
        Category,
        ConfigurationError,
        ConnectionFailedError,
        DeliveryError,
        EncryptionError,
        ErrorSpec,
        FileError,
        MailplugError,
        MessageError,
        RecipientError,
        ServerReply,
        StorageError,
        Text,
        VersionError,
    )
    from .hookspecs import hookimpl
    from .importing import ImportReport
    from .mailer import AsyncMailer, Mailer
    from .models import Account, Address, Attachment, Message, Priority
    from .outbox import Filter, OutboxEntry
    from .storage import Status, StatusEvent
    from .transport import Envelope, RecipientResult, SendResult, Transport
    from .version import require_version

__all__ = [
    "API_VERSION",
    "Account",
    "AccountNotConfiguredError",
    "Address",
    "AsyncMailer",
    "Attachment",
    "AuthenticationError",
    "Authenticator",
    "Category",
    "CheckReport",
    "ConfigurationError",
    "ConnectionFailedError",
    "Credentials",
    "DeliveryError",
    "EncryptionError",
    "Envelope",
    "ErrorSpec",
    "FileError",
    "Filter",
    "FlushReport",
    "ImportReport",
    "Mailer",
    "MailplugError",
    "Message",
    "MessageError",
    "OutboxEntry",
    "Priority",
    "RecipientError",
    "RecipientResult",
    "SendResult",
    "ServerReply",
    "Status",
    "StatusEvent",
    "StorageError",
    "Text",
    "Transport",
    "VersionError",
    "__version__",
    "hookimpl",
    "require_version",
]

_WHERE = {
    "Authenticator": "auth",
    "Credentials": "auth",
    "CheckReport": "check",
    "FlushReport": "dispatch",
    "ImportReport": "importing",
    "Filter": "outbox",
    "OutboxEntry": "outbox",
    "hookimpl": "hookspecs",
    "AsyncMailer": "mailer",
    "Mailer": "mailer",
    "Account": "models",
    "Address": "models",
    "Attachment": "models",
    "Message": "models",
    "Priority": "models",
    "Status": "storage",
    "StatusEvent": "storage",
    "Envelope": "transport",
    "RecipientResult": "transport",
    "SendResult": "transport",
    "Transport": "transport",
    "require_version": "version",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None and name in __all__:
        module = "errors"
    if module is None:
        raise AttributeError(f"module 'mailplug' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
