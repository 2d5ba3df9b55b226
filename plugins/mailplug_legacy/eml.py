"""Single ``.eml`` files and folders of them (Outlook, Windows Mail, Apple Mail exports)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from mailplug.plugin import Importer, ImportItem, Kind, ReadContext

from .files import SourceError, file_date, read_source
from .message import folder_kind, parse

__all__ = ["EmlImporter", "file_date", "iter_files"]

_HEADER_LINE_RE = re.compile(rb"^[!-9;-~]+[ \t]*:")
_SUFFIXES = (".eml",)


def iter_files(root: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """Files (and anything else) under ``root`` named ``*.eml``, in a stable order."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        base = Path(dirpath)
        # A directory named like a message is reported, not walked into.
        for name in list(dirnames):
            if name.lower().endswith(suffixes):
                found.append(base / name)
                dirnames.remove(name)
        found += [base / f for f in sorted(filenames) if f.lower().endswith(suffixes)]
    return sorted(found)


def _some_files(root: Path, limit: int = 200) -> Iterator[Path]:
    """Up to ``limit`` regular files under ``root``: enough to tell a folder of mail."""
    seen = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            seen += 1
            if seen > limit:
                return
            yield Path(dirpath) / name


def _looks_like_message(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(512)
    except OSError:
        return False
    return not head.startswith(b"From ") and _HEADER_LINE_RE.match(head) is not None


def _folder_of(path: Path, root: Path) -> Kind | None:
    for part in reversed(path.relative_to(root).parts[:-1] if path != root else ()):
        kind = folder_kind(part)
        if kind is not None:
            return kind
    return folder_kind(root.name) if root.is_dir() else folder_kind(path.parent.name)


class EmlImporter(Importer):
    """One message per file: ``message.eml``, or every ``*.eml`` under a folder."""

    name = "eml"
    priority = 10

    def sniff(self, path: Path) -> bool:
        if path.is_dir():
            from .tree import sniff_file

            return bool(iter_files(path, _SUFFIXES)) or any(
                sniff_file(f) == "message" for f in _some_files(path)
            )
        if path.suffix.lower() in _SUFFIXES:
            return True
        return path.is_file() and _looks_like_message(path)

    def read(self, path: Path, context: ReadContext) -> Iterator[ImportItem]:
        if path.is_dir():
            # Every file under the folder is accounted for, ``.eml`` or not (see tree).
            from .tree import read_tree

            yield from read_tree(path, context)
            return
        files = [path]
        for done, file in enumerate(files, start=1):
            try:
                raw = read_source(file)
            except SourceError as err:
                yield err.problem()
            else:
                yield parse(
                    raw,
                    source=file,
                    folder=_folder_of(file, path),
                    force=context.kind,
                    languages=context.languages,
                    fallback_date=file_date(file),
                )
            context.report(path, done, len(files), done)
