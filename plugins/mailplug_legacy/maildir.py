"""Maildir folders (``new/``, ``cur/``, ``tmp/``) and Maildir++ trees (``.Sent``, ``.Drafts``).

A message in ``tmp/`` is still being delivered and is left alone.  Flags in
the file name (``…:2,ST``) are honoured: trashed (``T``) and draft (``D``)
messages are left out and counted as skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from mailplug.plugin import (
    Importer,
    ImportItem,
    ImportSkipped,
    Kind,
    ReadContext,
    Reason,
    SkippedFolder,
)
from mailplug.plugin import import_keys as imp

from .eml import file_date
from .files import SourceError, read_source
from .message import folder_kind, parse

__all__ = ["MaildirImporter", "is_maildir", "read_maildir"]

_INFO_RE = re.compile(r"[:!]2,([A-Za-z]*)$")
_TIME_RE = re.compile(r"^(\d{9,11})\.")


def is_maildir(path: Path) -> bool:
    return path.is_dir() and ((path / "cur").is_dir() or (path / "new").is_dir())


def _subfolders(root: Path) -> list[Path]:
    """Maildir++ folders: ``.Sent``, ``.INBOX.Sent`` …"""
    try:
        return sorted(p for p in root.iterdir() if p.name.startswith(".") and is_maildir(p))
    except OSError:
        return []


def _date(path: Path) -> datetime | None:
    match = _TIME_RE.match(path.name)
    if match:
        try:
            return datetime.fromtimestamp(int(match.group(1)), tz=UTC)
        except (OverflowError, ValueError, OSError):
            pass
    return file_date(path)


def _files(folder: Path) -> list[Path]:
    out: list[Path] = []
    for sub in ("new", "cur"):
        directory = folder / sub
        try:
            names = sorted(p.name for p in directory.iterdir())
        except OSError:
            continue
        out += [directory / n for n in names if not n.startswith(".")]
    return out


def read_maildir(
    folder: Path, context: ReadContext, *, kind: Kind | None, progress_root: Path | None = None
) -> Iterator[ImportItem]:
    """Every message in ``new/`` and ``cur/`` of one Maildir folder."""
    files = _files(folder)
    for done, file in enumerate(files, start=1):
        info = _INFO_RE.search(file.name)
        flags = info.group(1) if info else ""
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
                    raw, source=file, folder=kind, force=context.kind, fallback_date=_date(file)
                )
        context.report(progress_root or folder, done, len(files), done)


class MaildirImporter(Importer):
    """A Maildir folder, or a Maildir++ tree whose sent and unsent folders are imported."""

    name = "maildir"
    priority = 30

    def sniff(self, path: Path) -> bool:
        return is_maildir(path)

    def read(self, path: Path, context: ReadContext) -> Iterator[ImportItem]:
        subfolders = _subfolders(path)
        own = folder_kind(path.name)
        if not subfolders or own is not None or context.kind is not None:
            yield from read_maildir(path, context, kind=own)
        else:
            # The root of a Maildir++ tree is the inbox: received mail, not ours to import.
            yield SkippedFolder(path, "INBOX")
        for sub in subfolders:
            kind = folder_kind(sub.name)
            if kind is None and context.kind is None:
                yield SkippedFolder(sub, sub.name.lstrip("."))
                continue
            yield from read_maildir(sub, context, kind=kind, progress_root=path)
