"""A folder of mail in any of the layouts mail programs leave, every file accounted for.

One walk serves a Maildir, a Maildir++ tree (``.Sent``, ``.INBOX.Sent``), the
nested Maildirs of notmuch and Dovecot (``Maildir/Sent/cur``,
``Maildir/.Sent/.Archive``), the folder-of-Maildirs layout of mbsync,
offlineimap, getmail and mutt (``Mail/Account/INBOX/{cur,new,tmp}``,
``Mail/Account/[Gmail]/Sent Mail``), folders of exported messages with or
without ``.eml`` names, and mbox files lying among them.  Symbolic links are
followed; a link back to a folder already read is reported, not read twice.

Every file under the root ends up as exactly one outcome (per message for an
mbox): a message, a problem, or something left out with its reason (a folder
that holds neither unsent nor sent mail, a message still being delivered, a
file that is not mail).  Nothing is skipped silently.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mailplug.plugin import ImportItem, ImportSkipped, Kind, ReadContext, Reason, SkippedFolder
from mailplug.plugin import import_keys as imp

from .files import SourceError, file_date, read_source
from .mbox import looks_like_mbox, read_mbox
from .message import folder_kind, parse

__all__ = [
    "Plan",
    "is_maildir",
    "left_items",
    "left_over",
    "looks_like_mail_tree",
    "maildir_date",
    "maildir_files",
    "maildir_flags",
    "plan_tree",
    "read_tree",
    "sniff_file",
]

_HEADER_LINE_RE = re.compile(rb"([!-9;-~]+)[ \t]*:")
#: Header names that make a file's first lines look like a message (as ``file`` decides).
_MAIL_NAMES = frozenset(
    {
        b"from",
        b"to",
        b"cc",
        b"subject",
        b"date",
        b"message-id",
        b"received",
        b"return-path",
        b"delivered-to",
        b"mime-version",
        b"x-mozilla-status",
        b"sender",
        b"reply-to",
        b"content-type",
    }
)
_MAILDIR_PARTS = ("cur", "new", "tmp")
_SNIFF_BYTES = 4096
_INFO_RE = re.compile(r"[:!]2,([A-Za-z]*)$")
_TIME_RE = re.compile(r"^(\d{9,11})\.")


def is_maildir(path: Path) -> bool:
    return path.is_dir() and ((path / "cur").is_dir() or (path / "new").is_dir())


def maildir_flags(name: str) -> str:
    """The flags in a Maildir file name (``…:2,ST`` → ``ST``)."""
    info = _INFO_RE.search(name)
    return info.group(1) if info else ""


def maildir_date(path: Path) -> datetime | None:
    """When the message was delivered, from its file name, else the file's time."""
    match = _TIME_RE.match(path.name)
    if match:
        try:
            return datetime.fromtimestamp(int(match.group(1)), tz=UTC)
        except (OverflowError, ValueError, OSError):
            pass
    return file_date(path)


def maildir_files(folder: Path) -> list[Path]:
    out: list[Path] = []
    for sub in ("new", "cur"):
        directory = folder / sub
        try:
            names = sorted(p.name for p in directory.iterdir())
        except OSError:
            continue
        out += [directory / n for n in names if not n.startswith(".")]
    return out


def sniff_file(path: Path) -> str | None:
    """``"message"``, ``"mbox"`` or ``None`` (not mail), from the first bytes, like ``file``."""
    try:
        with path.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError:
        return None
    if head.startswith(b"From ") and looks_like_mbox(path):
        return "mbox"
    names = 0
    for line in head.replace(b"\r\n", b"\n").split(b"\n")[:40]:
        if not line:
            break
        if line[:1] in (b" ", b"\t"):
            continue
        match = _HEADER_LINE_RE.match(line)
        if match is None:
            return None
        names += match.group(1).lower() in _MAIL_NAMES
    return "message" if names else None


@dataclass(frozen=True, slots=True)
class Plan:
    """One file (or a folder link already seen) and what to do with it.

    ``action``: ``"maildir"`` (a message in ``cur``/``new``), ``"file"`` (an
    exported message), ``"mbox"``, ``"left"`` (``reason`` says why).
    """

    path: Path
    action: str
    kind: Kind | None = None
    reason: Reason | None = None
    folder: str | None = None  # the folder left out, named once in the report


def _entries(directory: Path) -> tuple[list[Path], list[Path], list[Path]]:
    """Sub-folders, files and special files of ``directory`` (links followed), sorted."""
    dirs: list[Path] = []
    files: list[Path] = []
    special: list[Path] = []
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return dirs, files, special
    for name in names:
        path = directory / name
        try:
            mode = path.stat().st_mode  # follows links
        except OSError:
            special.append(path)  # a dangling link: reported as missing when read
            continue
        if stat.S_ISDIR(mode):
            dirs.append(path)
        elif stat.S_ISREG(mode):
            files.append(path)
        else:
            special.append(path)
    return dirs, files, special


def _kind(path: Path, root: Path) -> Kind | None:
    """The innermost folder name on the way from ``root`` that says sent or unsent."""
    parts = path.relative_to(root).parts if path != root else ()
    for part in reversed(parts):
        kind = folder_kind(part)
        if kind is not None:
            return kind
    # A link with a name of its own ("archive" → ~/old/Sent) is named by what it points to.
    try:
        target = path.resolve().name
    except (OSError, RuntimeError):
        target = ""
    return folder_kind(target) or folder_kind(root.name)


def _label(path: Path, root: Path) -> str:
    if path == root:
        return "INBOX" if (root / "cur").is_dir() else root.name
    return "/".join(p.lstrip(".") or p for p in path.relative_to(root).parts)


def _has_nested_maildir(directory: Path, depth: int = 3) -> bool:
    dirs, _, _ = _entries(directory)
    for sub in dirs:
        if sub.name in _MAILDIR_PARTS:
            continue
        if is_maildir(sub) or (depth > 1 and _has_nested_maildir(sub, depth - 1)):
            return True
    return False


def looks_like_mail_tree(path: Path, depth: int = 3) -> bool:
    """A Maildir, or a folder holding Maildirs within ``depth`` levels (mbsync, Dovecot)."""
    return is_maildir(path) or (path.is_dir() and _has_nested_maildir(path, depth))


def _first_visit(directory: Path, seen: dict[tuple[int, int], Path], plans: list[Plan]) -> bool:
    """Whether to walk ``directory``: not when it cannot be read, nor when a link led back to a
    folder already walked (then reported once as left, naming that folder)."""
    try:
        info = directory.stat()
    except OSError:
        return False
    key = (info.st_dev, info.st_ino)
    if key in seen:
        reason = Reason(imp.REASON_LINK_SEEN, {"folder": str(seen[key])})
        plans.append(Plan(directory, "left", reason=reason))
        return False
    seen[key] = directory
    return True


def plan_tree(root: Path, *, forced: bool) -> list[Plan]:
    """What to do with every file under ``root``, in a stable order.

    :param forced: the user gave ``--as``: every Maildir is read, whatever its name.
    """
    plans: list[Plan] = []
    seen: dict[tuple[int, int], Path] = {}
    lone = is_maildir(root) and not _has_nested_maildir(root)

    def visit(directory: Path) -> None:
        if not _first_visit(directory, seen, plans):
            return
        dirs, files, special = _entries(directory)
        maildir = any(d.name in ("cur", "new") for d in dirs)
        kind = _kind(directory, root)
        if maildir:
            reads = kind is not None or forced or (directory == root and lone)
            label = _label(directory, root)
            for part in _MAILDIR_PARTS:
                sub = directory / part
                if sub not in dirs:
                    continue
                seen_key = sub.stat()
                seen[(seen_key.st_dev, seen_key.st_ino)] = sub
                sub_dirs, sub_files, sub_special = _entries(sub)
                for file in sub_files + sub_special:
                    if file.name.startswith("."):
                        plans.append(Plan(file, "left", reason=Reason(imp.REASON_NOT_MAIL_FILE)))
                    elif part == "tmp":
                        plans.append(Plan(file, "left", reason=Reason(imp.REASON_IN_DELIVERY)))
                    elif reads:
                        plans.append(Plan(file, "maildir", kind=kind))
                    else:
                        reason = Reason(imp.REASON_IN_FOLDER, {"folder": label})
                        plans.append(Plan(file, "left", reason=reason, folder=label))
                for nested in sub_dirs:
                    if is_maildir(nested):
                        visit(nested)
                    else:  # a folder where a message file should be: reported as such
                        plans.append(Plan(nested, "file", kind=kind))
            dirs = [d for d in dirs if d.name not in _MAILDIR_PARTS]
        for file in files:
            plans.append(_plan_file(file, kind, in_maildir=maildir))
        for file in special:
            plans.append(Plan(file, "file", kind=kind))  # reported as not a regular file
        for sub in dirs:
            if sub.suffix.lower() == ".eml" and not is_maildir(sub):
                plans.append(Plan(sub, "file", kind=kind))  # reported: a folder, not a message
            else:
                visit(sub)

    visit(root)
    return plans


def _plan_file(path: Path, kind: Kind | None, *, in_maildir: bool) -> Plan:
    if path.suffix.lower() == ".eml" and not in_maildir:
        return Plan(path, "file", kind=kind)
    found = sniff_file(path)
    if found == "mbox":
        return Plan(path, "mbox", kind=folder_kind(path.name) or kind)
    if found == "message":
        return Plan(path, "file", kind=kind)
    try:
        empty = path.stat().st_size == 0
    except OSError:
        empty = False
    if empty and not in_maildir:
        return Plan(path, "file", kind=kind)  # reported as an empty file
    return Plan(path, "left", reason=Reason(imp.REASON_NOT_MAIL_FILE))


def read_tree(root: Path, context: ReadContext) -> Iterator[ImportItem]:
    """Every file under ``root`` as import items (see the module docstring)."""
    plans = plan_tree(root, forced=context.kind is not None)
    named: set[str] = set()
    for done, plan in enumerate(plans, start=1):
        if plan.action == "left":
            yield from left_items(plan, named)
        elif plan.action == "mbox":
            yield from read_mbox(plan.path, context, folder=plan.kind)
        else:
            yield from _read_one(plan, context)
        context.report(root, done, len(plans), done)


def left_items(plan: Plan, named: set[str]) -> Iterator[ImportItem]:
    """A file left out, as reported: its folder named once (``named`` remembers), then it."""
    assert plan.reason is not None
    if plan.folder is not None and plan.folder not in named:
        named.add(plan.folder)
        yield SkippedFolder(plan.path.parent.parent, plan.folder)
    yield ImportSkipped(plan.path, plan.reason, left=True)


def left_over(
    root: Path, covered: Collection[Path], reason_for: Callable[[Path], Reason]
) -> list[Plan]:
    """A ``"left"`` plan for every file under ``root`` that another reader did not take.

    For layouts read folder by folder (a Thunderbird profile): what was read is
    ``covered`` (files, or folders read whole); every other file is reported with
    ``reason_for(file)``.  Links are followed as in :func:`plan_tree`, a link back
    to a folder already walked is reported once.
    """
    plans: list[Plan] = []
    seen: dict[tuple[int, int], Path] = {}

    def visit(directory: Path) -> None:
        if not _first_visit(directory, seen, plans):
            return
        dirs, files, special = _entries(directory)
        plans.extend(
            Plan(f, "left", reason=reason_for(f)) for f in files + special if f not in covered
        )
        for sub in dirs:
            if sub not in covered:
                visit(sub)

    visit(root)
    return plans


def _read_one(plan: Plan, context: ReadContext) -> Iterator[ImportItem]:
    if plan.action == "maildir":
        flags = maildir_flags(plan.path.name)
        if "T" in flags or "D" in flags:
            reason = imp.REASON_DELETED if "T" in flags else imp.REASON_DRAFT
            yield ImportSkipped(plan.path, Reason(reason))
            return
        date = maildir_date(plan.path)
    else:
        date = file_date(plan.path)
    try:
        raw = read_source(plan.path)
    except SourceError as err:
        yield err.problem()
        return
    yield parse(
        raw,
        source=plan.path,
        folder=plan.kind,
        force=context.kind,
        languages=context.languages,
        fallback_date=date,
    )
