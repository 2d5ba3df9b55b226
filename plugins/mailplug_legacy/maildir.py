"""Maildir folders (``new/``, ``cur/``, ``tmp/``) and Maildir++ trees (``.Sent``, ``.Drafts``).

A message in ``tmp/`` is still being delivered and is left alone.  Flags in
the file name (``…:2,ST``) are honoured: trashed (``T``) and draft (``D``)
messages are left out and counted as skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from mailplug.plugin import Importer, ImportItem, ImportSkipped, Kind, ReadContext, Reason
from mailplug.plugin import import_keys as imp

from .files import SourceError, read_source
from .message import parse
from .tree import (
    is_maildir,
    looks_like_mail_tree,
    maildir_date,
    maildir_files,
    maildir_flags,
    read_tree,
)

__all__ = ["MaildirImporter", "is_maildir", "maildir_date", "maildir_flags", "read_maildir"]


def read_maildir(
    folder: Path, context: ReadContext, *, kind: Kind | None, progress_root: Path | None = None
) -> Iterator[ImportItem]:
    """Every message in ``new/`` and ``cur/`` of one Maildir folder."""
    files = maildir_files(folder)
    for done, file in enumerate(files, start=1):
        flags = maildir_flags(file.name)
        if "T" in flags or "D" in flags:
            reason = imp.REASON_DELETED if "T" in flags else imp.REASON_DRAFT
            yield ImportSkipped(file, Reason(reason))
        else:
            try:
                raw = read_source(file)
            except SourceError as err:
                yield err.problem()
            else:
                yield parse(
                    raw,
                    source=file,
                    folder=kind,
                    force=context.kind,
                    languages=context.languages,
                    fallback_date=maildir_date(file),
                )
        context.report(progress_root or folder, done, len(files), done)


class MaildirImporter(Importer):
    """A Maildir, Maildir++ or notmuch/Dovecot tree, or a folder of Maildirs (mbsync).

    Folders whose name says sent or unsent mail are imported; the others (the
    inbox, the trash) are named in the report with each file in them.  See
    :mod:`mailplug_legacy.tree`.
    """

    name = "maildir"
    priority = 30

    def sniff(self, path: Path) -> bool:
        return looks_like_mail_tree(path)

    def read(self, path: Path, context: ReadContext) -> Iterator[ImportItem]:
        yield from read_tree(path, context)
