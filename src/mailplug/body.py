"""Message bodies that need not fit in memory: :class:`Body`.

Small messages (the usual case) travel as plain :class:`bytes` everywhere, as
they always did.  A message above :data:`STREAM_THRESHOLD` (big attachments)
is composed into a spool file and travels as a :class:`Body`: its size, a few
bytes in front (headers a plugin added) and a file region, read in chunks.

The contract keeps ``bytes`` working: the message fields of
:class:`~mailplug.outbox.NewEntry`, :class:`~mailplug.outbox.Claim` and
:class:`~mailplug.compose.Composed` are :data:`Data` (``bytes | Body``).  A
storage plugin that sets :attr:`~mailplug.outbox.Outbox.stores_bodies`, or a
transport that sets :attr:`~mailplug.transport.Transport.streams_bodies`, is
handed a :class:`Body` as it is; any other gets the bytes (:func:`as_bytes`:
read whole, as before).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
import weakref
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import BinaryIO, TypeAlias

__all__ = [
    "CHUNK",
    "STREAM_THRESHOLD",
    "Body",
    "Data",
    "Spool",
    "as_bytes",
    "size_of",
    "spooled",
]

#: Messages above this size are composed into a spool file and stored beside the outbox.
STREAM_THRESHOLD = 1 << 20
#: Bytes read or written at a time (a multiple of 57: whole base64 lines).
CHUNK = 57 * 1024 * 16


class Body:
    """A message body: ``prefix`` bytes, then ``length`` bytes of ``path`` from ``offset``.

    Read it with :meth:`chunks` (or :meth:`achunks` on an event loop); :meth:`read`
    returns it whole (for small bodies and for code that needs bytes).  A body
    made by :class:`Spool` owns its file and removes it when collected or
    :meth:`discard`-ed; one handed out by an outbox (a stored body file) does not.

    :ivar digest: the SHA-256 of the whole body (hex) when known.
    """

    __slots__ = (
        "__weakref__",
        "_finalizer",
        "_parent",
        "digest",
        "length",
        "offset",
        "path",
        "prefix",
    )

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        length: int,
        offset: int = 0,
        prefix: bytes = b"",
        digest: str | None = None,
        owned: bool = False,
    ) -> None:
        self.path = Path(path)
        self.length = length
        self.offset = offset
        self.prefix = prefix
        self.digest = digest if not prefix else None
        self._parent: Body | None = None
        self._finalizer: weakref.finalize[..., Body] | None = (
            weakref.finalize(self, _unlink, str(self.path), os.getpid()) if owned else None
        )

    @property
    def size(self) -> int:
        return len(self.prefix) + self.length

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"Body({str(self.path)!r}, size={self.size})"

    def chunks(self, size: int = CHUNK) -> Iterator[bytes]:
        """The body in pieces of at most ``size`` bytes (the prefix first)."""
        if self.prefix:
            yield self.prefix
        left = self.length
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            while left > 0:
                piece = f.read(min(size, left))
                if not piece:
                    raise OSError(f"{self.path}: {left} bytes missing at the end")
                left -= len(piece)
                yield piece

    async def achunks(self, size: int = CHUNK) -> AsyncIterator[bytes]:
        """:meth:`chunks` with the file read off the event loop."""
        if self.prefix:
            yield self.prefix
        f = await asyncio.to_thread(open, self.path, "rb")
        try:
            await asyncio.to_thread(f.seek, self.offset)
            left = self.length
            while left > 0:
                piece = await asyncio.to_thread(f.read, min(size, left))
                if not piece:
                    raise OSError(f"{self.path}: {left} bytes missing at the end")
                left -= len(piece)
                yield piece
        finally:
            f.close()

    def read(self) -> bytes:
        """The whole body in memory (avoid for big ones)."""
        return b"".join(self.chunks())

    def head(self, limit: int = 64 * 1024) -> bytes:
        """The first ``limit`` bytes at most (enough for the header section)."""
        out = bytearray()
        for piece in self.chunks(min(limit, CHUNK)):
            out += piece[: limit - len(out)]
            if len(out) >= limit:
                break
        return bytes(out)

    def replace_head(self, cut: int, new: bytes) -> Body:
        """The same body with its first ``cut`` bytes replaced by ``new`` (no copy of the file)."""
        cut = min(cut, self.size)
        if cut <= len(self.prefix):
            prefix, offset, length = new + self.prefix[cut:], self.offset, self.length
        else:
            skip = cut - len(self.prefix)
            prefix, offset, length = new, self.offset + skip, self.length - skip
        body = Body(self.path, length=length, offset=offset, prefix=prefix)
        body._parent = self  # an owned file lives as long as either one needs it
        return body

    def discard(self) -> None:
        """Remove the spool file now (an owned body only; a stored one is left alone)."""
        if self._finalizer is not None:
            self._finalizer()
        elif self._parent is not None:
            self._parent.discard()


def _unlink(path: str, pid: int | None = None) -> None:
    # (A process forked while a spool was open leaves it to its parent.)
    if pid is not None and pid != os.getpid():
        return
    with contextlib.suppress(OSError):
        os.unlink(path)


#: A message's bytes: in memory, or a :class:`Body`.
Data: TypeAlias = bytes | Body


def size_of(data: Data) -> int:
    return data.size if isinstance(data, Body) else len(data)


def as_bytes(data: Data) -> bytes:
    """``data`` as bytes (a :class:`Body` read whole)."""
    return data.read() if isinstance(data, Body) else data


def spooled(data: bytes, directory: str | os.PathLike[str] | None = None) -> Data:
    """``data`` as a spooled :class:`Body` when it is big (kept apart from the database
    and sent in chunks), else as it is."""
    if len(data) <= STREAM_THRESHOLD:
        return data
    spool = Spool(directory)
    try:
        spool.write(data)
        return spool.body()
    except BaseException:
        spool.abort()
        raise


class Spool:
    """Write a body in pieces; :meth:`body` gives the result (a file, or bytes when small).

    The file is created in ``directory`` (default: the system's temporary folder),
    owner-only, and removed when the body is collected or discarded.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        fd, name = tempfile.mkstemp(prefix="mailplug-", suffix=".eml", dir=directory)
        self.path = Path(name)
        self._file: BinaryIO = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        if data:
            self._file.write(data)
            self._hash.update(data)
            self.size += len(data)

    def close(self) -> None:
        self._file.close()

    def body(self) -> Data:
        """The body written (the spool file owned by it; bytes when it stayed small)."""
        self._file.close()
        if self.size <= STREAM_THRESHOLD:
            data = self.path.read_bytes()
            _unlink(str(self.path))
            return data
        return Body(self.path, length=self.size, digest=self._hash.hexdigest(), owned=True)

    def abort(self) -> None:
        self._file.close()
        _unlink(str(self.path))
