"""Error keys and texts of the outbox: storage failures, expiry, interrupted sends, CLI labels.

Shared by every storage plugin (the built-in ``sqlite`` one registers them
through :func:`~mailplug.hookspecs.mailplug_register_messages`); the
``storage.*`` keys build :class:`~mailplug.errors.StorageError`.
"""

from __future__ import annotations

from .errors import Category, ErrorSpec, FileError, MailplugError, StorageError
from .text import Text

C = Category

_KEPT = "Messages already in the outbox are kept."

STORAGE_READ_ONLY = ErrorSpec(
    "storage.read_only",
    C.FILE,
    False,
    "The outbox {file} is read-only: new messages and sending results cannot be saved.",
    "Check the permissions of the file and its folder, and that the disk is not mounted "
    "read-only. " + _KEPT,
    exception=StorageError,
)
STORAGE_DISK_FULL = ErrorSpec(
    "storage.disk_full",
    C.FILE,
    True,
    "There is no room left to save the outbox {file}: the disk (or the outbox's size limit) "
    "is full.",
    "Free some disk space, or purge old sent mail (mailplug outbox purge), then try again. "
    + _KEPT,
    exception=StorageError,
)
STORAGE_CORRUPT = ErrorSpec(
    "storage.corrupt",
    C.FILE,
    False,
    "The outbox file {file} is damaged and cannot be read ({problem}).",
    "Restore the file from a backup, or move it aside: a new, empty outbox is then created. "
    "If the problem persists, contact extended technical support.",
    exception=StorageError,
)
STORAGE_BUSY = ErrorSpec(
    "storage.busy",
    C.FILE,
    True,
    "The outbox {file} stayed locked by another program for too long.",
    "Wait until the other program finishes sending, then try again. " + _KEPT,
    exception=StorageError,
)
STORAGE_CANNOT_OPEN = ErrorSpec(
    "storage.cannot_open",
    C.FILE,
    False,
    "The outbox file {file} cannot be opened ({problem}).",
    "Check that the folder exists and that you may write to it, or set another outbox "
    "location (outbox_path, MAILPLUG_DATA_DIR).",
    exception=StorageError,
)
STORAGE_IO = ErrorSpec(
    "storage.io_error",
    C.FILE,
    True,
    "The outbox file {file} could not be read or written ({problem}).",
    "Check the disk (free space, errors) and that the outbox is on a local disk, not a network "
    "share, then try again. If the problem persists, contact extended technical support.",
    exception=StorageError,
)
STORAGE_BODY_MISSING = ErrorSpec(
    "storage.body_missing",
    C.FILE,
    False,
    "The content of message {id} cannot be read from its file {file} ({problem}); it was not sent.",
    "Restore the folder ending in .bodies beside the outbox from a backup, then send the "
    "message again (mailplug outbox retry {id}); mailplug outbox check lists every message "
    "affected.",
    exception=FileError,
)
OUTBOX_NOT_FOUND = ErrorSpec(
    "outbox.not_found",
    C.FILE,
    False,
    "There is no message “{ref}” in the outbox.",
    "Check the message number (mailplug outbox list shows them); old sent mail may have been "
    "purged.",
)
OUTBOX_AMBIGUOUS = ErrorSpec(
    "outbox.ambiguous",
    C.FILE,
    False,
    "“{ref}” matches more than one message in the outbox.",
    "Type more characters of the message number.",
)
OUTBOX_EXPIRED = ErrorSpec(
    "outbox.expired",
    C.SERVER,
    False,
    "The message could not be delivered for {days} days and was given up.",
    "Check the reasons of the earlier attempts in the message's history. To try again, "
    "use “retry”; consider another mail account.",
)
OUTBOX_INTERRUPTED = ErrorSpec(
    "outbox.interrupted",
    C.CONNECTION,
    True,
    "Sending was interrupted (the program stopped while sending): the message may or may not "
    "have been delivered.",
    "The message is sent again with the same Message-ID, so recipients can recognise a duplicate.",
)
#: ``daily_limit`` of an account reached, counted across every worker sharing the outbox:
#: the account is held until the day ends (``retry="quota-reset"``, like a server's reply).
OUTBOX_DAILY_LIMIT = ErrorSpec(
    "outbox.daily_limit",
    C.RATE_LIMIT,
    True,
    "This account's daily limit ({per_day} messages a day) has been reached.",
    "The rest of its mail waits in the outbox and is sent automatically when the day ends. "
    "To send more a day, raise settings.daily_limit in the account's settings, if the "
    "provider allows it.",
    retry="quota-reset",
)
OUTBOX_TRANSPORT_FAILED = ErrorSpec(
    "outbox.transport_failed",
    C.SERVER,
    True,
    "The transport “{transport}” failed unexpectedly ({problem}).",
    "The message will be sent again automatically. If the problem persists, update or "
    "reinstall the plugin that provides the transport.",
)
OUTBOX_REPORTS_UNSUPPORTED = ErrorSpec(
    "outbox.reports_unsupported",
    C.CONFIGURATION,
    False,
    "The outbox storage “{storage}” cannot record bounces and read receipts.",
    "Update the plugin that provides this storage, or use the built-in SQLite outbox; the "
    "reports stay in the mailbox and are listed as not recorded.",
    exception=StorageError,
)
OUTBOX_SENT_COPY_BUG = ErrorSpec(
    "outbox.sent_copy_bug",
    C.SERVER,
    True,
    "The copy in the Sent folder could not be saved: the plugin “{copier}” failed ({problem}).",
    "The message itself was sent. The copy will be tried again later; if this keeps "
    "happening, update the plugin or contact extended technical support.",
)
OUTBOX_NO_HOST_TRANSACTION = ErrorSpec(
    "outbox.no_host_transaction",
    C.CONFIGURATION,
    False,
    "The outbox “{storage}” cannot store mail inside the application's own database transaction.",
    "Enqueue without a connection, or move the outbox to a database that supports it "
    "(PostgreSQL: mailplug outbox move --to postgresql://…).",
    exception=StorageError,
)
OUTBOX_WORKER_UNKNOWN = ErrorSpec(
    "outbox.worker_unknown",
    C.FILE,
    False,
    "No message in the outbox is held by the sender “{worker}”.",
    "Check the name: mailplug outbox list --status sending shows who holds each message.",
)
OUTBOX_WORKER_ALIVE = ErrorSpec(
    "outbox.worker_alive",
    C.FILE,
    True,
    "The sender “{worker}” is still running (process {pid}): its messages are not released.",
    "Stop that process first (or let it finish); releasing messages it is sending would send "
    "them twice.",
    exception=MailplugError,
)
OUTBOX_WORKER_ELSEWHERE = ErrorSpec(
    "outbox.worker_elsewhere",
    C.FILE,
    False,
    "The sender “{worker}” runs on another computer ({host}); whether it still works cannot be "
    "checked from here.",
    "Make sure it is stopped on {host}, then add --force. Otherwise its messages are released "
    "by themselves when its reservation runs out.",
    exception=MailplugError,
)
OUTBOX_NOTHING_TO_RETRY = ErrorSpec(
    "outbox.nothing_to_retry",
    C.FILE,
    False,
    "Message {ref} is {status}: there is nothing to send again.",
    "Only messages that wait or were given up can be retried; sent, cancelled and currently "
    "sending messages cannot. “mailplug outbox show {ref}” tells where this one stands.",
)

OUTBOX_ERRORS: tuple[ErrorSpec, ...] = (
    STORAGE_READ_ONLY,
    STORAGE_DISK_FULL,
    STORAGE_CORRUPT,
    STORAGE_BUSY,
    STORAGE_CANNOT_OPEN,
    STORAGE_IO,
    STORAGE_BODY_MISSING,
    OUTBOX_NOT_FOUND,
    OUTBOX_AMBIGUOUS,
    OUTBOX_EXPIRED,
    OUTBOX_INTERRUPTED,
    OUTBOX_TRANSPORT_FAILED,
    OUTBOX_DAILY_LIMIT,
    OUTBOX_REPORTS_UNSUPPORTED,
    OUTBOX_SENT_COPY_BUG,
    OUTBOX_NO_HOST_TRANSACTION,
    OUTBOX_WORKER_UNKNOWN,
    OUTBOX_WORKER_ALIVE,
    OUTBOX_WORKER_ELSEWHERE,
    OUTBOX_NOTHING_TO_RETRY,
)

# -- texts (CLI, demo) --------------------------------------------------------

NOTHING_WAITING = Text("No messages are waiting to be sent.")
SHOWING_OF = Text(
    "Showing {first}–{last} of {n} message (--limit and --offset show the others).",
    plural="Showing {first}–{last} of {n} messages (--limit and --offset show the others).",
)
SHOWING_MORE = Text(
    "Showing {first}–{last}; more messages match (--offset {next} shows the next ones)."
)
SENDING_PROGRESS = Text("Sending: {done} of {total}")
SENDING_RATE = Text("{rate}/s, about {left} left")
FLUSH_SENT = Text("{n} message sent.", plural="{n} messages sent.")
FLUSH_NOTHING = Text("Nothing to send.")
FLUSH_SENT_COPIES = Text(
    "Copies in the Sent folder: {saved} saved, {retrying} to be tried again, {failed} given up.",
    context="sent copy",
)
FLUSH_STOPPING = Text("Stopping after the messages being sent… (Ctrl-C again to abort)")
FLUSH_STOPPED = Text("Stopped; the remaining messages are still waiting in the outbox.")
ACCOUNT_PAUSED = Text("Sending from account “{account}” is paused: {reason}")
ACCOUNT_HELD = Text("Sending from account “{account}” is held until {until}: {reason}")
ACCOUNT_RESUMED = Text("Sending from account “{account}” resumed.")
ACCOUNT_NOT_PAUSED = Text("Account “{account}” was not paused.")
NEXT_ATTEMPT = Text("next attempt {when}")
SCHEDULED_FOR = Text("scheduled for {when}")
RETRIED = Text("{n} message will be sent again.", plural="{n} messages will be sent again.")
RETRIED_WAITING = Text(
    "{n} message is queued again, but its account's mail is waiting, so it is not sent yet.",
    plural="{n} messages are queued again, but their account's mail is waiting, so they are not "
    "sent yet.",
)
ACCOUNT_HELD_UNTIL = Text(
    "The account “{account}” is on hold until {until}; its mail is sent after that, or after "
    "“mailplug outbox resume {account}”."
)
ACCOUNT_PAUSED_WAITS = Text(
    "The account “{account}” is paused; its mail is sent after its settings are fixed, or after "
    "“mailplug outbox resume {account}”."
)
CANCELLED = Text("{n} message cancelled.", plural="{n} messages cancelled.")
PURGED = Text("{n} old message removed.", plural="{n} old messages removed.")
WORKER_STARTED = Text("Waiting for mail to send (Ctrl-C to stop)…")
UNRECORDED = Text(
    "The result of {n} message could not be saved; it stays “sending” until the time shown, "
    "then it is sent again:",
    plural="The results of {n} messages could not be saved; they stay “sending” until the "
    "time shown, then they are sent again:",
)
NOT_TRIED = Text("not tried", context="unrecorded")
WORKER_STORAGE_PAUSED = Text(
    "Sending paused: the outbox cannot be written. Next try in {seconds} s.", context="worker"
)

COL_ID = Text("id", context="column")
COL_STATUS = Text("status", context="column")
COL_DATE = Text("date", context="column")
COL_ACCOUNT = Text("account", context="column")
COL_TO = Text("to", context="column")
COL_SUBJECT = Text("subject", context="column")
COL_REASON = Text("reason", context="column")
COL_COUNT = Text("messages", context="column")
COL_RECIPIENT = Text("recipient", context="column")
COL_TIME = Text("time", context="column")
COL_SERVER = Text("server", context="column")
COL_REPLY = Text("reply", context="column")
COL_FREE_AT = Text("free again", context="column")
COL_WORKER = Text("sender", context="column")
COL_HELD_UNTIL = Text("held until", context="column")
COL_ALIVE = Text("running", context="column")
HELD_BY = Text("held by sender {worker} until {until}")
WORKER_RUNNING = Text("yes", context="running")
WORKER_DEAD = Text("no (process gone)", context="running")
WORKER_ELSEWHERE = Text("cannot tell (another computer)", context="running")
RELEASED = Text(
    "{n} message released from sender {worker}; it is sent with the next flush.",
    plural="{n} messages released from sender {worker}; they are sent with the next flush.",
)
NOTHING_HELD = Text("No message is held by a sender.")
NO_DEAD_SENDER = Text("No message is held by a sender that stopped.")
POSSIBLY_TWICE = Text("possibly delivered twice", context="history")

FIELD_FROM = Text("From", context="field")
FIELD_TO = Text("To", context="field")
FIELD_SUBJECT = Text("Subject", context="field")
FIELD_STATUS = Text("Status", context="field")
FIELD_QUEUED = Text("Queued", context="field")
FIELD_SENT = Text("Sent", context="field")
FIELD_ATTEMPTS = Text("Attempts", context="field")
FIELD_REASON = Text("Reason", context="field")
FIELD_ADVICE = Text("What to do", context="field")
FIELD_HISTORY = Text("History", context="field")
FIELD_RECIPIENTS = Text("Recipients", context="field")

RECIPIENT_PENDING = Text("waiting", context="recipient")
RECIPIENT_SENT = Text("delivered", context="recipient")
RECIPIENT_FAILED = Text("refused", context="recipient")
RECIPIENT_CANCELLED = Text("cancelled", context="recipient")
RECIPIENT_DELAYED = Text("delayed on the way", context="recipient")
RECIPIENT_BOUNCED = Text("bounced after acceptance", context="recipient")
RECIPIENT_READ = Text("read", context="recipient")
RECIPIENT_DELETED_UNREAD = Text("deleted unread", context="recipient")

FIELD_SENT_COPY = Text("Copy in the Sent folder", context="field")
FIELD_EARLIER_REASON = Text("Earlier try failed", context="field")
SENT_COPY_PENDING = Text("waiting to be saved", context="sent copy")
SENT_COPY_RETRYING = Text("not saved yet, next try {when}", context="sent copy")
SENT_COPY_SAVED = Text("saved in “{folder}”", context="sent copy")
SENT_COPY_FAILED = Text("failed (no more tries)", context="sent copy")

OUTBOX_TEXTS: tuple[Text, ...] = tuple(v for v in list(globals().values()) if isinstance(v, Text))
OUTBOX_MESSAGES: tuple[ErrorSpec | Text, ...] = (*OUTBOX_ERRORS, *OUTBOX_TEXTS)
