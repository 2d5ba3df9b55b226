"""mbox files (Thunderbird's "Unsent Messages" and "Sent", Unix mail spools, exports).

The file is read as a stream, line by line, by our own ``From `` splitter:
memory stays constant however large the mailbox (``mailbox.mbox`` would build
a table of contents first).  ``>From `` escaping (mboxo and mboxrd) is undone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from mailplug.plugin import Importer, ImportItem, Kind, ReadContext
from mailplug.plugin import import_keys as imp

from .files import SourceError, open_source
from .message import folder_kind, parse

__all__ = ["MboxImporter", "MboxMessage", "read_mbox", "split_mbox"]

#: A separator line: ``From <sender> <asctime date>`` (weekday first) or an ISO date.
#: Body lines such as "From Monday, Jan 2 at 10:30 …" do not match.
_FROM_RE = re.compile(
    rb"^From \S*\s+(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b.*\d{1,2}:\d\d|\d{4}-\d\d-\d\d)"
)
_HEADER_RE = re.compile(rb"[!-9;-~]+[ \t]*:")  # used with match(buf, pos)
_UNESCAPE_RE = re.compile(rb"(?m)^>(>*From )")
_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class MboxMessage:
    """One message cut out of an mbox: 1-based index, byte offset of its separator."""

    index: int
    offset: int
    from_line: bytes | None
    data: bytes


def _is_separator(line: bytes) -> bool:
    return line.startswith(b"From ") and _FROM_RE.match(line) is not None


def _unescape(data: bytes) -> bytes:
    return _UNESCAPE_RE.sub(rb"\1", data) if b">From " in data else data


def _blank_before(buf: bytes, nl: int) -> bool:
    """Whether the line ended by the newline at ``nl`` is empty (LF or CRLF)."""
    if nl == 0:
        return False
    prev = buf[nl - 1]
    return prev == 0x0A or (prev == 0x0D and (nl == 1 or buf[nl - 2] == 0x0A))


def split_mbox(
    fh: BinaryIO, *, on_progress: Callable[[int, int], None] | None = None
) -> Iterator[MboxMessage]:
    """Cut ``fh`` into messages, reading it in blocks.

    A separator is a ``From `` line that looks like one, at the start of the
    file or after a blank line; without the blank line (some writers omit it)
    it counts only when a header line follows.  Only the current message and
    one block are held in memory.

    :param on_progress: ``on_progress(bytes_read, messages)`` after each message.
    """
    buf = b""
    base = 0  # file offset of buf[0]
    body = 0  # where the current message starts in buf
    scan = 0  # where to look for the next separator
    index = 0
    offset = 0  # file offset of the current message's separator
    from_line: bytes | None = None
    eof = False

    def more() -> bool:
        nonlocal buf, eof
        if eof:
            return False
        chunk = fh.read(_BLOCK)
        if not chunk:
            eof = True
            return False
        buf += chunk
        return True

    more()
    if buf.startswith(b"From "):
        while b"\n" not in buf and more():
            pass
        nl = buf.find(b"\n")
        line = buf if nl < 0 else buf[:nl]
        if _is_separator(line):
            index, from_line = 1, line.rstrip(b"\r")
            body = scan = len(buf) if nl < 0 else nl + 1
    while True:
        hit = buf.find(b"\nFrom ", scan)
        if hit < 0:
            scan = max(body, len(buf) - 6)
            if more():
                continue
            break
        start = hit + 1
        nl = buf.find(b"\n", start)
        while nl < 0 and more():
            nl = buf.find(b"\n", start)
        line = buf[start:] if nl < 0 else buf[start:nl]
        if not _is_separator(line):
            scan = start
            continue
        blank = _blank_before(buf, hit)
        if not blank and (from_line is not None or buf[body:hit].strip()):
            # No blank line before it: a separator only if a header line follows.
            after = len(buf) if nl < 0 else nl + 1
            end = buf.find(b"\n", after)
            while end < 0 and more():
                end = buf.find(b"\n", after)
            if _HEADER_RE.match(buf, after) is None:
                scan = start
                continue
        cut = hit + 1
        if blank:
            cut = hit - 1 if buf[hit - 1] == 0x0D else hit
        data = buf[body:cut]
        if from_line is not None or data.strip():
            yield MboxMessage(index, offset, from_line, _unescape(data))
            if on_progress is not None:
                on_progress(base + start, index)
        index += 1
        offset = base + start
        from_line = line.rstrip(b"\r")
        body = scan = len(buf) if nl < 0 else nl + 1
        if body > _BLOCK:  # drop what was read, at most once per block
            buf, base = buf[body:], base + body
            body = scan = 0
    data = buf[body:]
    if data.endswith(b"\n\n"):
        data = data[:-1]
    elif data.endswith(b"\r\n\r\n"):
        data = data[:-2]
    if from_line is not None or data.strip():
        yield MboxMessage(max(index, 1), offset, from_line, _unescape(data))
        if on_progress is not None:
            on_progress(base + len(buf), max(index, 1))


def read_mbox(
    path: Path,
    context: ReadContext,
    *,
    folder: Kind | None = None,
    progress_base: int = 0,
    progress_total: int | None = None,
) -> Iterator[ImportItem]:
    """Every message of the mbox at ``path`` as import items (problems included)."""
    try:
        fh, size = open_source(path)
    except SourceError as err:
        yield err.problem()
        return
    total = progress_total if progress_total is not None else size
    items = 0

    def progress(done: int, _messages: int) -> None:
        nonlocal items
        items += 1
        if items % 64 == 0:
            context.report(path, progress_base + done, total, items)

    with fh:
        try:
            for msg in split_mbox(fh, on_progress=progress):
                yield parse(
                    msg.data,
                    source=path,
                    folder=folder,
                    force=context.kind,
                    languages=context.languages,
                    index=msg.index,
                    offset=msg.offset,
                    from_line=msg.from_line,
                )
        except OSError as exc:  # an I/O error half-way through: report, keep what was read
            yield SourceError(path, imp.REASON_OS, error=exc.strerror or str(exc)).problem()
    context.report(path, progress_base + size, total, items)


def looks_like_mbox(path: Path) -> bool:
    """A regular file that starts with a ``From `` separator (or an empty ``*.mbox``)."""
    if not path.is_file():
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(1024)
    except OSError:
        return False
    if not head:
        return path.suffix.lower() in {".mbox", ".mbx", ""}
    first = head.split(b"\n", 1)[0]
    return first.startswith(b"From ") and (_is_separator(first) or b"\n" in head)


class MboxImporter(Importer):
    """An mbox file, or Apple Mail's export (``Sent Messages.mbox/mbox``).

    Messages are queued or sent by the mailbox's name and their own headers.
    """

    name = "mbox"
    priority = 20

    def sniff(self, path: Path) -> bool:
        if path.is_dir():
            return path.suffix.lower() == ".mbox" and looks_like_mbox(path / "mbox")
        return looks_like_mbox(path)

    def read(self, path: Path, context: ReadContext) -> Iterator[ImportItem]:
        kind = folder_kind(path.name)
        yield from read_mbox(path / "mbox" if path.is_dir() else path, context, folder=kind)
