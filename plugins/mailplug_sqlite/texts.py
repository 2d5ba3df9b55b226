"""Texts of the sqlite plugin's commands (``outbox check``, ``backup``, ``salvage``)."""

from __future__ import annotations

from mailplug.plugin import Text

CHECK_OK = Text("The outbox {file} is sound.")
CHECK_DAMAGED = Text(
    "The outbox {file} is damaged. Make a copy of it, then rescue what can be read: "
    "mailplug outbox salvage NEW-FILE."
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
SALVAGE_NEXT = Text(
    "To use it: stop every program sending mail, move {old} aside and put {file} in its place "
    "(or set outbox_path to it)."
)

SQLITE_TEXTS: tuple[Text, ...] = tuple(v for v in list(globals().values()) if isinstance(v, Text))
