"""What an importer is: the contract for reading mail and settings left by older programs.

An :class:`Importer` (registered through
:func:`~mailplug.hookspecs.mailplug_register_importers`) reads one format and
yields what it found, one item at a time:

- :class:`ImportedAccount` — send settings that become an account;
- :class:`ImportedMessage` — a message, either still waiting to be sent
  (:attr:`Kind.QUEUED`) or sent long ago (:attr:`Kind.SENT`);
- :class:`ImportSkipped` — something deliberately left out (deleted in the old program);
- :class:`ImportProblem` — something that could not be read; never an exception.

:func:`mailplug.importing.import_path` drives an importer (see there).  The
error keys and texts here are the core's: it registers them itself.  The
built-in importers live in the ``mailplug_legacy`` plugin.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import keys
from .errors import Category, ErrorSpec, MailplugError
from .models import Account, Address
from .text import Text, fill

if TYPE_CHECKING:
    from .errors import Translates

__all__ = [
    "IMPORT_ERRORS",
    "IMPORT_TEXTS",
    "ImportItem",
    "ImportProblem",
    "ImportSkipped",
    "ImportedAccount",
    "ImportedMessage",
    "Importer",
    "Kind",
    "Progress",
    "ProgressCallback",
    "ReadContext",
    "Reason",
    "SkippedFolder",
    "choose_importer",
]

# --------------------------------------------------------------------------
# Error keys and texts (the core's own: registered by the core)
# --------------------------------------------------------------------------

FORMAT_UNKNOWN = ErrorSpec(
    "legacy.format_unknown",
    Category.FILE,
    False,
    "The file or folder {file} is not in a format mailplug can import.",
    "Choose an e-mail file (.eml), a mailbox file (mbox), a Maildir folder or a Thunderbird "
    "profile folder, or give the format with --format (eml, mbox, maildir, thunderbird).",
)
NO_SENDER = ErrorSpec(
    "legacy.no_sender",
    Category.REJECTED,
    False,
    "The message “{subject}” has no sender address (From), so mailplug cannot tell which account "
    "it belongs to.",
    "Import it again with --account NAME to assign it to one of your accounts.",
)
NO_SMTP_SERVER = ErrorSpec(
    "legacy.no_smtp_server",
    Category.CONFIGURATION,
    False,
    "The old settings for {address} name no outgoing mail (SMTP) server, so no account was "
    "created for this address.",
    "Add the account in the e-mail settings and give its SMTP server, or set it up again.",
)

EXCHANGE_ACCOUNT = ErrorSpec(
    "legacy.exchange_account",
    Category.CONFIGURATION,
    False,
    "{address} is an Exchange account in the old program: it sends through Exchange (EWS), "
    "not through an SMTP server, so no account was created for it.",
    "Ask the administrator for this mailbox's SMTP settings (Microsoft 365: smtp.office365.com, "
    "port 587, with a Microsoft sign-in) and add the account in the e-mail settings.",
)

# A file (or one message in it) that could not be imported, one key per cause, so the
# advice fits: a missing file needs another path, a damaged one a backup, not a restart.
FILE_MISSING = ErrorSpec(
    "legacy.file.missing",
    Category.FILE,
    False,
    "The file or folder {file} does not exist.",
    "Check the path (the old program may have moved or renamed it) and import again.",
)
FILE_UNREADABLE = ErrorSpec(
    "legacy.file.unreadable",
    Category.FILE,
    False,
    "The file {file} exists, but this user may not read it.",
    "Give your user permission to read it, or copy it to a local disk and import the copy.",
)
FILE_NOT_FILE = ErrorSpec(
    "legacy.file.not_file",
    Category.FILE,
    False,
    "{file} is a folder or a special file (a device, a pipe) where a mail file was expected.",
    "Point the import at the mail file itself, or at the folder that holds the mail.",
)
FILE_LOCKED = ErrorSpec(
    "legacy.file.locked",
    Category.FILE,
    True,
    "The file {file} is locked by another program.",
    "Close the old mail program (it locks its mailboxes while it runs) and import again.",
)
FILE_EMPTY = ErrorSpec(
    "legacy.file.empty",
    Category.FILE,
    False,
    "The file {file} is empty: it holds no message.",
    "Nothing was lost in the import. If the file should hold mail, look for a backup copy.",
)
MESSAGE_EMPTY = ErrorSpec(
    "legacy.message.empty",
    Category.FILE,
    False,
    "A message in the mailbox {file} is empty: only its separator line is there.",
    "Nothing was lost in the import: the old program left an empty entry in the mailbox.",
)
FILE_NOT_MAIL = ErrorSpec(
    "legacy.file.not_mail",
    Category.FILE,
    False,
    "{file} is not an e-mail message: it does not start with mail headers.",
    "If it is a document or an attachment, it does not belong in a mail import; otherwise "
    "open it in the old program and save the message again (as .eml).",
)
FILE_DAMAGED = ErrorSpec(
    "legacy.file.damaged",
    Category.FILE,
    False,
    "The message in {file} is damaged at byte {byte}.",
    "The other messages were imported. Restore this one from a backup, or open it in the "
    "old program and save it again.",
)
FILE_NO_SETTINGS = ErrorSpec(
    "legacy.file.no_settings",
    Category.FILE,
    False,
    "No mail settings could be read from {file}.",
    "Check that it is the settings file of a mail program's profile (prefs.js, profiles.ini) "
    "and that the program saved it completely (close the program, then import again).",
)

IMPORT_ERRORS: tuple[ErrorSpec, ...] = (
    FORMAT_UNKNOWN,
    NO_SENDER,
    NO_SMTP_SERVER,
    EXCHANGE_ACCOUNT,
    FILE_MISSING,
    FILE_UNREADABLE,
    FILE_NOT_FILE,
    FILE_LOCKED,
    FILE_EMPTY,
    MESSAGE_EMPTY,
    FILE_NOT_MAIL,
    FILE_DAMAGED,
    FILE_NO_SETTINGS,
)

# Why a file or message could not be read (shown after the file.problem message).
REASON_MISSING = Text("it does not exist", context="import-reason")
REASON_EMPTY = Text("the file is empty", context="import-reason")
REASON_NOT_FILE = Text(
    "a folder or a special file was found where a file was expected", context="import-reason"
)
REASON_LOCKED = Text("another program has locked it", context="import-reason")
REASON_OS = Text("the system reported: {error}", context="import-reason")
REASON_NOT_MAIL = Text("it does not look like an e-mail message", context="import-reason")
REASON_BINARY = Text(
    "it holds binary data where the message headers should be", context="import-reason"
)
REASON_TRUNCATED = Text(
    "the message is cut off: the file ends before the message does", context="import-reason"
)
REASON_NO_SETTINGS = Text("no settings could be read from it", context="import-reason")
REASON_IN_FOLDER = Text(
    "in the folder “{folder}”, which holds neither unsent nor sent mail", context="import-reason"
)
REASON_NOT_MAIL_FILE = Text(
    "not an e-mail message (a file the mail program keeps for itself, a document, a picture)",
    context="import-reason",
)
REASON_IN_DELIVERY = Text(
    "still being delivered (in the Maildir's tmp folder)", context="import-reason"
)
REASON_SETTINGS_READ = Text(
    "the old program's settings: read for the accounts, not mail", context="import-reason"
)
REASON_INDEX_FILE = Text(
    "the old program's index of a mail folder, not mail itself", context="import-reason"
)
REASON_OTHER_PROFILE = Text(
    "in another profile ({folder}); only the default profile was read", context="import-reason"
)
REASON_LINK_SEEN = Text("a link to a folder already read (as {folder})", context="import-reason")
REASON_MESSAGE_EMPTY = Text("the message is empty", context="import-reason")
REASON_UNREADABLE = Text("the system does not allow reading it", context="import-reason")
#: Not a failure: a note on a message that was imported although it was not quite whole.
NOTE_UNCLOSED = Text(
    "read although its last part has no closing boundary (the original was cut off)",
    context="import-reason",
)
NOTE_TRY_SSL = Text(
    "Account “{account}”: the old program used encryption (STARTTLS) only if the server "
    "offered it; mailplug always requires it, so mail is never sent unencrypted."
)
NOTICE_SAME_IDENTITY = Text(
    "The old settings list the identity {address} more than once; it was imported once."
)
REASON_DELETED = Text("deleted in the old program", context="import-reason")
REASON_DRAFT = Text("an unfinished draft", context="import-reason")

LOCATION = Text("message {index} (byte {offset})")

SUMMARY_DRY_RUN = Text("Dry run: nothing was changed. An import would do this:")
SUMMARY_QUEUED = Text(
    "{n} unsent message was put in the outbox, waiting to be sent.",
    plural="{n} unsent messages were put in the outbox, waiting to be sent.",
)
SUMMARY_SENT = Text(
    "{n} sent message was added to the history.",
    plural="{n} sent messages were added to the history.",
)
SUMMARY_DUPLICATE = Text(
    "{n} message had already been imported and was skipped.",
    plural="{n} messages had already been imported and were skipped.",
)
SUMMARY_SKIPPED = Text(
    "{n} message was left out (deleted or unfinished in the old program).",
    plural="{n} messages were left out (deleted or unfinished in the old program).",
)
SUMMARY_LEFT = Text(
    "{n} file was not imported on purpose (it is in a folder that holds neither unsent nor "
    "sent mail, or it is not mail); the details list each with its reason.",
    plural="{n} files were not imported on purpose (they are in folders that hold neither "
    "unsent nor sent mail, or they are not mail); the details list each with its reason.",
)
SUMMARY_FAILED = Text(
    "{n} item could not be imported:",
    plural="{n} items could not be imported:",
)
SUMMARY_ACCOUNTS_ADDED = Text(
    "{n} account was added to the e-mail settings.",
    plural="{n} accounts were added to the e-mail settings.",
)
SUMMARY_ACCOUNTS_EXISTING = Text(
    "{n} account was already configured and was left as it is.",
    plural="{n} accounts were already configured and were left as they are.",
)
SUMMARY_NOTHING = Text("Nothing to import was found.")
# A dry run says what an import *would* do (conditional, context "dry-run").
DRY_QUEUED = Text(
    "{n} unsent message would be put in the outbox, waiting to be sent.",
    plural="{n} unsent messages would be put in the outbox, waiting to be sent.",
    context="dry-run",
)
DRY_SENT = Text(
    "{n} sent message would be added to the history.",
    plural="{n} sent messages would be added to the history.",
    context="dry-run",
)
DRY_DUPLICATE = Text(
    "{n} message has already been imported and would be skipped.",
    plural="{n} messages have already been imported and would be skipped.",
    context="dry-run",
)
DRY_SKIPPED = Text(
    "{n} message would be left out (deleted or unfinished in the old program).",
    plural="{n} messages would be left out (deleted or unfinished in the old program).",
    context="dry-run",
)
DRY_LEFT = Text(
    "{n} file would not be imported, on purpose (it is in a folder that holds neither unsent "
    "nor sent mail, or it is not mail); the details list each with its reason.",
    plural="{n} files would not be imported, on purpose (they are in folders that hold neither "
    "unsent nor sent mail, or they are not mail); the details list each with its reason.",
    context="dry-run",
)
DRY_FAILED = Text(
    "{n} item could not be imported:",
    plural="{n} items could not be imported:",
    context="dry-run",
)
DRY_ACCOUNTS_ADDED = Text(
    "{n} account would be added to the e-mail settings.",
    plural="{n} accounts would be added to the e-mail settings.",
    context="dry-run",
)
DRY_ACCOUNTS_EXISTING = Text(
    "{n} account is already configured and would be left as it is.",
    plural="{n} accounts are already configured and would be left as they are.",
    context="dry-run",
)
NOTICE_PASSWORD = Text(
    "Account “{account}”: passwords are not copied from the old program. Enter the password "
    "for {username} again in the e-mail settings."
)
NOTICE_SIGN_IN = Text(
    "Account “{account}”: sign-ins are not copied from the old program. Sign in to {username} "
    "again before sending."
)
NOTICE_FOLDERS = Text("Folders not imported (they hold neither unsent nor sent mail): {folders}")
NOTICE_CONFIG_MIGRATED = Text(
    "The accounts file {file} was upgraded from version {old} to version {new}; the previous "
    "file was kept as {backup}."
)
PROGRESS = Text("Importing {source}")

_FILE_SPECS: dict[str, ErrorSpec] = {
    REASON_MISSING.msgid: FILE_MISSING,
    REASON_UNREADABLE.msgid: FILE_UNREADABLE,
    # Another system error: the seed's generic file.problem, the system's words after it.
    REASON_NOT_FILE.msgid: FILE_NOT_FILE,
    REASON_LOCKED.msgid: FILE_LOCKED,
    REASON_EMPTY.msgid: FILE_EMPTY,
    REASON_MESSAGE_EMPTY.msgid: MESSAGE_EMPTY,
    REASON_NOT_MAIL.msgid: FILE_NOT_MAIL,
    REASON_BINARY.msgid: FILE_DAMAGED,
    REASON_TRUNCATED.msgid: FILE_DAMAGED,
    REASON_NO_SETTINGS.msgid: FILE_NO_SETTINGS,
}

IMPORT_TEXTS: tuple[Text, ...] = tuple(v for v in list(globals().values()) if isinstance(v, Text))


# --------------------------------------------------------------------------
# What importers yield
# --------------------------------------------------------------------------


class Kind(enum.StrEnum):
    """Where an imported message goes."""

    #: Not sent yet: into the outbox, waiting to be sent.
    QUEUED = "queued"
    #: Sent by the old program: into the history, with its original date.
    SENT = "sent"


@dataclass(frozen=True, slots=True)
class Reason:
    """A translatable explanation with its parameters."""

    text: Text
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, translator: Translates, lang: str | None = None) -> str:
        return fill(translator.gettext(self.text, lang), self.params)


@dataclass(frozen=True, slots=True)
class ImportedMessage:
    """A message ready to store: bytes with CRLF line endings and what the outbox needs.

    :ivar data: the message as it will be stored (and, if queued, sent).
    :ivar sender: the From address (``None`` when the message has none).
    :ivar recipients: envelope recipients (To, Cc, Bcc) in their wire form.
    :ivar to: the To and Cc addresses as shown in lists (no Bcc).
    :ivar message_id: the Message-ID; one derived from the content when the message had none.
    :ivar dedupe_key: ``message-id:<…>`` or ``sha256:…`` — the same source gives the same key.
    :ivar date: when it was written or sent (Date header, else the best evidence).
    """

    source: Path
    kind: Kind
    data: bytes
    sender: Address | None
    recipients: tuple[str, ...]
    subject: str
    message_id: str
    dedupe_key: str
    date: datetime | None = None
    smtputf8: bool = False
    index: int | None = None
    offset: int | None = None
    to: tuple[str, ...] = ()
    #: What was odd but readable (e.g. a multipart without its closing boundary).
    notes: tuple[Reason, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportedAccount:
    """Send settings found in an old program, turned into an account (never with a secret).

    :ivar secret: what the user must supply again: ``"password"``, ``"sign-in"`` or ``None``.
    :ivar secret_found: the old settings held a password (not copied).
    """

    source: Path
    account: Account
    secret: str | None = "password"  # noqa: S105 - what to ask for, not a secret
    secret_found: bool = False
    #: What the user should know about the account (``{account}`` is filled in with the
    #: name it gets), e.g. that STARTTLS is now required where it was optional.
    notes: tuple[Reason, ...] = ()
    #: The same identity appeared earlier in the same source: reported as such.
    repeated: bool = False


@dataclass(frozen=True, slots=True)
class ImportSkipped:
    """Something deliberately not imported, with the reason.

    :ivar left: not mail to import here (a file in a folder that is not imported, a
        file that is not mail, a message still being delivered): reported apart from
        messages the old program deleted or left unfinished.
    """

    source: Path
    reason: Reason
    subject: str = ""
    index: int | None = None
    offset: int | None = None
    left: bool = False


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """Something that could not be imported; ``error`` is usually ``file.problem``."""

    source: Path
    error: MailplugError
    reason: Reason | None = None
    index: int | None = None
    offset: int | None = None

    @classmethod
    def file(
        cls,
        source: Path,
        reason: Text,
        *,
        index: int | None = None,
        offset: int | None = None,
        **params: Any,
    ) -> ImportProblem:
        """A file problem naming ``source``; the key follows from ``reason`` (its cause).

        ``params`` fill the reason and the message (``error=`` for a system error,
        ``byte=`` for damage).  A reason without a key of its own gives the seed's
        generic ``file.problem``.
        """
        spec = _FILE_SPECS.get(reason.msgid)
        if spec is None:
            error = keys.FILE_PROBLEM.error(file=str(source))
        else:
            values: dict[str, Any] = {"error": "", "byte": offset or 0} | params
            error = spec.error(file=str(source), **values)
        return cls(source, error, Reason(reason, params), index=index, offset=offset)

    @property
    def reason_is_news(self) -> bool:
        """Whether the reason says more than the message (not the case for most causes)."""
        return self.reason is not None and (
            self.error.key in {FILE_DAMAGED.key, keys.FILE_PROBLEM.key, FILE_NOT_MAIL.key}
        )


@dataclass(frozen=True, slots=True)
class SkippedFolder:
    """A mail folder left out on purpose (an inbox, the trash): named in the report."""

    source: Path
    name: str


ImportItem = ImportedMessage | ImportedAccount | ImportSkipped | ImportProblem | SkippedFolder


@dataclass(frozen=True, slots=True)
class Progress:
    """How far an importer got: ``done`` of ``total`` units, ``items`` messages so far.

    Units are bytes for mailbox files and files for folders of messages.
    """

    source: Path
    done: int
    total: int
    items: int


ProgressCallback = Callable[[Progress], None]


@dataclass
class ReadContext:
    """Options an importer reads with.

    :ivar kind: force every message to this kind (``--as``); ``None`` lets the importer decide.
    :ivar progress: called now and then from the reading thread.
    :ivar auth_methods: login methods installed (``password``, ``gmail-oauth2`` …), so
        imported accounts name one that exists.
    :ivar languages: the user's languages (``("pl_PL",)``), so text without a charset
        is read in the code pages their old programs wrote.
    """

    kind: Kind | None = None
    progress: ProgressCallback | None = None
    auth_methods: frozenset[str] = frozenset()
    languages: tuple[str, ...] = ()

    def report(self, source: Path, done: int, total: int, items: int) -> None:
        if self.progress is not None:
            self.progress(Progress(source, done, total, items))


class Importer(abc.ABC):
    """Reads one legacy format.

    ``read`` runs in a worker thread; it reads files but never writes them, and
    never raises for a bad file or message: it yields an :class:`ImportProblem`
    and goes on.
    """

    #: The format name (``--format``).
    name: str = ""
    #: Sniffing tries higher priorities first (a profile folder before the mailbox in it).
    priority: int = 0

    @abc.abstractmethod
    def sniff(self, path: Path) -> bool:
        """Whether ``path`` looks like this format (cheap: a few bytes, a directory listing)."""

    @abc.abstractmethod
    def read(self, path: Path, context: ReadContext) -> Iterator[ImportItem]:
        """Yield what was found; never raise for one bad item, report it instead."""


def choose_importer(importers: dict[str, Importer], path: Path, fmt: str | None = None) -> Importer:
    """The importer for ``path``: the one named ``fmt``, else the first that sniffs it.

    :raises mailplug.errors.FileError: ``path`` does not exist (``legacy.file.missing``),
        cannot be read (``legacy.file.unreadable``) or no importer recognises it
        (``legacy.format_unknown``).
    """
    if not path.exists():
        raise FILE_MISSING.error(file=str(path))
    if fmt is not None:
        found = importers.get(fmt)
        if found is None:
            raise FORMAT_UNKNOWN.error(file=str(path), format=fmt)
        return found
    ordered = sorted(importers.values(), key=lambda i: -i.priority)
    for importer in ordered:
        try:
            if importer.sniff(path):
                return importer
        except OSError as exc:
            error = exc.strerror or str(exc)
            raise FILE_UNREADABLE.error(file=str(path), error=error, cause=exc) from exc
    raise FORMAT_UNKNOWN.error(file=str(path))
