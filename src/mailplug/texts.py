"""User-facing texts of the core that are not error messages (labels, statuses)."""

from __future__ import annotations

from .problems import PROBLEM_TEXTS
from .status import Status
from .text import Text

SERVER_REPLIED = Text("Server {host} replied: {reply}")
SERVER_REPLIED_NO_HOST = Text("The server replied: {reply}")
SERVER = Text("Server: {host}")
RECIPIENT = Text("Recipient: {recipient}")
PARTIAL = Text(
    "The message was delivered to {n} recipient, but not to the others.",
    plural="The message was delivered to {n} recipients, but not to the others.",
)
REFUSED_COUNT = Text(
    "{n} recipient was refused.",
    plural="{n} recipients were refused.",
)
WAITING = Text(
    "{n} message is waiting to be sent.",
    plural="{n} messages are waiting to be sent.",
)

PATH_CONFIG = Text("Accounts file: {path}")
PATH_DATA = Text("Data directory: {path}")
PATH_OUTBOX = Text("Outbox: {path}")
NO_ACCOUNTS = Text(
    "No mail account is configured. mailplug looked in {config} (data: {data_dir}). "
    "Add one with: mailplug accounts add --email ADDRESS"
)

PASSWORD_PROMPT = Text("Password for the account “{name}” (not shown): ")
PASSWORD_EMPTY = Text("No password was given; nothing was stored.")
PASSWORD_STORED = Text("Stored the password of the account “{name}” ({store}).")

NOT_QUEUED = Text(
    "Nothing was queued, so the message will not be sent again by itself. Send it again later, "
    "or send it without --now so that the outbox retries it."
)
SENT_SUMMARY = Text("Sent {id} through {host}: {accepted} accepted, {refused} refused.")
SENT_REFUSED = Text("  Refused {address}: {sentence}")
SENT_COPY_SAVED_NOW = Text("A copy was saved in the folder “{folder}”.")
SENT_COPY_NOT_SAVED_NOW = Text(
    "The copy in the Sent folder was not saved: {reason} The message itself was sent; a direct "
    "send keeps no queue, so the copy is not tried again."
)

STATUS_QUEUED = Text("waiting to be sent", context="status")
STATUS_SENDING = Text("being sent", context="status")
STATUS_SENT = Text("sent", context="status")
STATUS_PARTIAL = Text("partially sent", context="status")
STATUS_DEFERRED = Text("deferred", context="status")
STATUS_FAILED = Text("failed", context="status")
STATUS_CANCELLED = Text("cancelled", context="status")
STATUS_UNCERTAIN = Text("outcome uncertain", context="status")
STATUS_BOUNCED = Text("bounced", context="status")
STATUS_PARTIALLY_BOUNCED = Text("partially bounced", context="status")

#: The name of each outbox status, as the user reads it.
STATUS_TEXTS: dict[Status, Text] = {
    Status.QUEUED: STATUS_QUEUED,
    Status.SENDING: STATUS_SENDING,
    Status.SENT: STATUS_SENT,
    Status.PARTIAL: STATUS_PARTIAL,
    Status.DEFERRED: STATUS_DEFERRED,
    Status.FAILED: STATUS_FAILED,
    Status.CANCELLED: STATUS_CANCELLED,
    Status.UNCERTAIN: STATUS_UNCERTAIN,
    Status.BOUNCED: STATUS_BOUNCED,
    Status.PARTIALLY_BOUNCED: STATUS_PARTIALLY_BOUNCED,
}

#: The name of each error category and of the retry outcome, as the user reads them
#: (``mailplug explain``).
CATEGORY_TEXTS: dict[str, Text] = {
    "configuration": Text("settings", context="category"),
    "authentication": Text("login", context="category"),
    "encryption": Text("encryption", context="category"),
    "connection": Text("connection", context="category"),
    "recipient": Text("recipient", context="category"),
    "mailbox-full": Text("mailbox full", context="category"),
    "message-too-big": Text("message too big", context="category"),
    "rejected": Text("refused", context="category"),
    "rate-limit": Text("rate limit", context="category"),
    "server": Text("server", context="category"),
    "file": Text("file", context="category"),
    "version": Text("version", context="category"),
}
TRANSIENT = Text("temporary: it may pass by itself", context="retry")
PERMANENT = Text("permanent: it will not pass by itself", context="retry")

CORE_TEXTS: tuple[Text, ...] = (
    PROBLEM_TEXTS
    + tuple(CATEGORY_TEXTS.values())
    + tuple(v for v in globals().values() if isinstance(v, Text))
)
