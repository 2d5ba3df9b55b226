"""Everything a plugin may use: the plugin author's module.

A plugin imports from ``mailplug`` (the host's API: :class:`~mailplug.Message`,
:class:`~mailplug.Account` …) and from here — nothing else of mailplug.  What
is here is the contract between the core and its plugins, kept stable across
releases (tox's ``tox.plugin`` is the model)::

    from mailplug.plugin import (
        Envelope, RecipientResult, SendResult, Transport, hookimpl,
    )

    class PigeonTransport(Transport):
        async def send(self, envelope: Envelope, data: bytes) -> SendResult:
            ...  # report facts: the server's reply per recipient, never its meaning

    @hookimpl
    def mailplug_register_transports(register):
        register("pigeon", lambda account, *, auth, services: PigeonTransport())

What a plugin can build, by hook (see ``docs/hooks.md``):

========================================  =============================================
hook                                      hands the core
========================================  =============================================
``mailplug_register_transports``          a :class:`TransportFactory` → :class:`Transport`
``mailplug_classify_reply``               an :class:`ErrorSpec` for a :class:`ServerReply`
``mailplug_register_probes``              a :class:`Probe` (``mailplug accounts test``)
``mailplug_register_auth``                an :class:`AuthFactory` → :class:`Authenticator`
``mailplug_register_storage``             an :class:`OutboxFactory` → :class:`Outbox`
``mailplug_register_secret_stores``       a :class:`SecretStoreFactory` → :class:`SecretStore`
``mailplug_register_importers``           an :class:`Importer`
``mailplug_register_catalogs``            ``.po`` files (:data:`CatalogFile`)
``mailplug_register_messages``            the plugin's own :class:`ErrorSpec` and :class:`Text`
``mailplug_register_presets``             a :class:`Preset`
``mailplug_register_commands``            a :class:`Command`
``mailplug_before_send``                  (changes or refuses) an :class:`Outgoing` message
``mailplug_register_report_parsers``      a :class:`ReportParser` → :class:`Report`
``mailplug_register_sent_copiers``        a :class:`SentCopier` (copies of sent mail)
``mailplug_message_status``               (listens) a :class:`StatusEvent`
========================================  =============================================

Errors: a plugin raises ``SPEC.error(...)`` for its own keys and for the
core's keys in :data:`keys` (accounts, settings, messages, files),
:data:`outbox_keys` (``storage.*``, ``outbox.*``), :data:`check_keys`
(``check.*`` and the account check's texts) and :data:`import_keys`
(``legacy.*`` and the reasons an importer gives, ``REASON_*``).  Library exceptions are mapped at
the plugin's boundary with ``raise mapped from exc``.

Testing a plugin: :mod:`mailplug.testing` (an in-memory transport, a scripted
SMTP server, the outbox contract suite).
"""

from __future__ import annotations

from . import check_keys, keys, outbox_keys
from . import importers as import_keys
from .auth import Authenticator, AuthFactory, Credentials
from .body import STREAM_THRESHOLD, Body, Data, Spool, as_bytes, size_of
from .check import CheckOptions, CheckReport, CheckStep, Fix, Note, Probe, StepStatus, tls_facts
from .client_headers import is_client_header, strip_client_headers
from .commands import (
    EX_CONFIG,
    EX_DATAERR,
    EX_IOERR,
    EX_NOINPUT,
    EX_NOPERM,
    EX_OK,
    EX_TEMPFAIL,
    EX_UNAVAILABLE,
    EX_USAGE,
    Command,
    CommandContext,
)
from .errors import (
    AccountNotConfiguredError,
    AuthenticationError,
    Category,
    ConfigurationError,
    ConnectionFailedError,
    DeliveryError,
    EncryptionError,
    ErrorInfo,
    ErrorSpec,
    FileError,
    MailplugError,
    MessageError,
    RecipientError,
    ServerReply,
    StorageError,
    VersionError,
)
from .events import StatusEvent
from .files import file_error, locked, read_file
from .hookspecs import hookimpl
from .importers import (
    ImportedAccount,
    ImportedMessage,
    Importer,
    ImportItem,
    ImportProblem,
    ImportSkipped,
    Kind,
    Progress,
    ReadContext,
    Reason,
    SkippedFolder,
)
from .models import Account, Address, ImapSettings, ascii_domain, redact
from .outbox import (
    WAITING_STATUSES,
    AccountPause,
    Added,
    Attempt,
    Change,
    Claim,
    CopyClaim,
    CopyOutcome,
    CopyStatus,
    Delivery,
    Filter,
    NewEntry,
    Outbox,
    OutboxEntry,
    OutboxFactory,
    Outcome,
    RecipientState,
    RecipientStatus,
    SendLimits,
    SendLimitState,
    SendSlot,
    SentCopy,
    apply_delivery,
    new_id,
    status_after_deliveries,
    take_send_slot,
    utcnow,
)
from .outgoing import Outgoing
from .presets import NOTES as PRESET_NOTES
from .presets import Preset, Server
from .reports import Report, ReportParser, ReportRecipient, read_message
from .sentfolder import SentCopier
from .services import SecretStore, SecretStoreFactory, Services
from .status import Status
from .text import CatalogFile, Text, fill
from .transport import (
    RECIPIENTS_REFUSED,
    Envelope,
    RecipientResult,
    RecipientsRefusedError,
    SendResult,
    Transport,
    TransportFactory,
)

__all__ = [
    "EX_CONFIG",
    "EX_DATAERR",
    "EX_IOERR",
    "EX_NOINPUT",
    "EX_NOPERM",
    "EX_OK",
    "EX_TEMPFAIL",
    "EX_UNAVAILABLE",
    "EX_USAGE",
    "PRESET_NOTES",
    "RECIPIENTS_REFUSED",
    "STREAM_THRESHOLD",
    "WAITING_STATUSES",
    "Account",
    "AccountNotConfiguredError",
    "AccountPause",
    "Added",
    "Address",
    "Attempt",
    "AuthFactory",
    "AuthenticationError",
    "Authenticator",
    "Body",
    "CatalogFile",
    "Category",
    "Change",
    "CheckOptions",
    "CheckReport",
    "CheckStep",
    "Claim",
    "Command",
    "CommandContext",
    "ConfigurationError",
    "ConnectionFailedError",
    "CopyClaim",
    "CopyOutcome",
    "CopyStatus",
    "Credentials",
    "Data",
    "Delivery",
    "DeliveryError",
    "EncryptionError",
    "Envelope",
    "ErrorInfo",
    "ErrorSpec",
    "FileError",
    "Filter",
    "Fix",
    "ImapSettings",
    "ImportItem",
    "ImportProblem",
    "ImportSkipped",
    "ImportedAccount",
    "ImportedMessage",
    "Importer",
    "Kind",
    "MailplugError",
    "MessageError",
    "NewEntry",
    "Note",
    "Outbox",
    "OutboxEntry",
    "OutboxFactory",
    "Outcome",
    "Outgoing",
    "Preset",
    "Probe",
    "Progress",
    "ReadContext",
    "Reason",
    "RecipientError",
    "RecipientResult",
    "RecipientState",
    "RecipientStatus",
    "RecipientsRefusedError",
    "Report",
    "ReportParser",
    "ReportRecipient",
    "SecretStore",
    "SecretStoreFactory",
    "SendLimitState",
    "SendLimits",
    "SendResult",
    "SendSlot",
    "SentCopier",
    "SentCopy",
    "Server",
    "ServerReply",
    "Services",
    "SkippedFolder",
    "Spool",
    "Status",
    "StatusEvent",
    "StepStatus",
    "StorageError",
    "Text",
    "Transport",
    "TransportFactory",
    "VersionError",
    "apply_delivery",
    "as_bytes",
    "ascii_domain",
    "check_keys",
    "file_error",
    "fill",
    "hookimpl",
    "import_keys",
    "is_client_header",
    "keys",
    "locked",
    "new_id",
    "outbox_keys",
    "read_file",
    "read_message",
    "redact",
    "size_of",
    "status_after_deliveries",
    "strip_client_headers",
    "take_send_slot",
    "tls_facts",
    "utcnow",
]
