"""Texts of the sqlite plugin's commands (``outbox check``, ``backup``, ``salvage``)."""

from __future__ import annotations

from mailplug.plugin import Text

CHECK_OK = Text("The outbox {file} is sound.")
CHECK_DAMAGED = Text(
    "The outbox {file} is damaged. Make a copy of it, then rescue what can be read: "
    "mailplug outbox salvage NEW-FILE."
)
CHECK_MISSING_BODIES = Text(
    "The content of {n} message is missing (its file beside the outbox was deleted or "
    "cut short): it cannot be sent. Restore the folder ending in .bodies from a backup:",
    plural="The content of {n} messages is missing (their files beside the outbox were deleted "
    "or cut short): they cannot be sent. Restore the folder ending in .bodies from a backup:",
)
CHECK_ORPHAN_FILES = Text(
    "{n} file beside the outbox belongs to no message (left by an interrupted save); "
    "mailplug outbox purge removes it after an hour.",
    plural="{n} files beside the outbox belong to no message (left by interrupted saves); "
    "mailplug outbox purge removes them after an hour.",
)
BACKUP_FILES = Text(
    "Also copied: {n} file of a big message.",
    plural="Also copied: {n} files of big messages.",
)
BACKUP_DONE = Text("Backup written to {file} ({pages} pages, consistent as of now).")
SALVAGE_DONE = Text("Rescued {n} message into {file}.", plural="Rescued {n} messages into {file}.")
SALVAGE_LOST = Text(
    "{n} message could not be rescued (its content is unreadable):",
    plural="{n} messages could not be rescued (their content is unreadable):",
)
SALVAGE_ORPHANS = Text(
    "{n} further message was found without its details (recipients, subject) and could not be "
    "rescued.",
    plural="{n} further messages were found without their details (recipients, subject) and "
    "could not be rescued.",
)
SALVAGE_RECIPIENTS_REBUILT = Text(
    "{n} waiting message lost its recipient list; it was given back from the To and Cc "
    "fields (hidden copies, Bcc, are not known). Check it before it goes (mailplug outbox show):",
    plural="{n} waiting messages lost their recipient lists; they were given back from the To "
    "and Cc fields (hidden copies, Bcc, are not known). Check them before they go (mailplug "
    "outbox show):",
)
SALVAGE_NEXT = Text(
    "To use it: stop every program sending mail, move {old} aside and put {file} in its place "
    "(or set outbox_path to it)."
)

SQLITE_TEXTS: tuple[Text, ...] = tuple(v for v in list(globals().values()) if isinstance(v, Text))
