"""Reading rows straight from the pages of a damaged SQLite file.

When the header or the schema page is destroyed, SQLite refuses the whole file,
yet most pages still hold intact rows.  This reader walks every page, keeps the
pages that hold rows (table leaves; index pages, where ``WITHOUT ROWID`` tables
keep theirs), follows overflow
chains and decodes the records (https://sqlite.org/fileformat2.html).  It needs
neither the header nor the schema: the page size is found from the pages
themselves when the header is gone.  A damaged page or chain is skipped and
counted; it never stops the scan.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Page", "Record", "scan"]

_HEADER = b"SQLite format 3\x00"
_TABLE_LEAF, _INDEX_LEAF, _INDEX_INTERIOR = 0x0D, 0x0A, 0x02
_BTREE_TYPES = (0x02, 0x05, 0x0A, 0x0D)
_SIZES = (4096, 1024, 2048, 8192, 16384, 32768, 65536, 512)

Value = int | float | str | bytes | None


@dataclass(frozen=True, slots=True)
class Record:
    """One decoded row: ``rowid`` (``None`` in a ``WITHOUT ROWID`` table) and its columns."""

    page: int
    rowid: int | None
    values: tuple[Value, ...]


@dataclass(slots=True)
class Page:
    """What a scan found: the records, and how many pages or cells it could not read."""

    records: list[Record]
    pages: int
    bad_cells: int
    page_size: int


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = 0
    for i in range(9):
        byte = buf[pos + i]
        if i == 8:
            return (value << 8) | byte, pos + 9
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, pos + i + 1
    raise ValueError("bad varint")  # pragma: no cover - the loop returns


def _page_size(data: bytes) -> tuple[int, int]:
    """The page size and reserved bytes: from the header, else the size under which
    most pages start like a b-tree page."""
    if data.startswith(_HEADER):
        raw = struct.unpack(">H", data[16:18])[0]
        size = 65536 if raw == 1 else raw
        if size in _SIZES:
            return size, data[20]
    best, best_score = 4096, -1
    for size in _SIZES:
        pages = range(1, len(data) // size)
        score = sum(
            1 for n in pages if data[n * size] in _BTREE_TYPES and _plausible(data, n * size, size)
        )
        if score > best_score:
            best, best_score = size, score
    return best, 0


def _plausible(data: bytes, start: int, size: int) -> bool:
    cells = struct.unpack(">H", data[start + 3 : start + 5])[0]
    content = struct.unpack(">H", data[start + 5 : start + 7])[0] or 65536
    return 0 < cells < size // 4 and content <= size


def _decode(payload: bytes) -> tuple[Value, ...]:
    header_size, pos = _varint(payload, 0)
    types = []
    while pos < header_size:
        serial, pos = _varint(payload, pos)
        types.append(serial)
    body = header_size
    values: list[Value] = []
    for serial in types:
        if serial == 0:
            values.append(None)
        elif 1 <= serial <= 6:
            width = (1, 2, 3, 4, 6, 8)[serial - 1]
            values.append(int.from_bytes(payload[body : body + width], "big", signed=True))
            body += width
        elif serial == 7:
            values.append(struct.unpack(">d", payload[body : body + 8])[0])
            body += 8
        elif serial in (8, 9):
            values.append(serial - 8)
        elif serial >= 12:
            length = (serial - 12) // 2
            chunk = payload[body : body + length]
            if len(chunk) != length:
                raise ValueError("record runs past its payload")
            values.append(chunk.decode("utf-8") if serial % 2 else bytes(chunk))
            body += length
        else:
            raise ValueError(f"reserved serial type {serial}")
    return tuple(values)


class _Reader:
    def __init__(self, data: bytes, size: int, reserved: int) -> None:
        self.data = data
        self.size = size
        self.usable = size - reserved
        self.count = len(data) // size

    def page(self, number: int) -> bytes:
        if not 1 <= number <= self.count:
            raise ValueError(f"page {number} outside the file")
        return self.data[(number - 1) * self.size : number * self.size]

    def payload(self, page: bytes, pos: int, total: int, *, index: bool) -> bytes:
        u = self.usable
        most = (u - 12) * 64 // 255 - 23 if index else u - 35
        least = (u - 12) * 32 // 255 - 23
        if total <= most:
            return page[pos : pos + total]
        local = least + (total - least) % (u - 4)
        if local > most:
            local = least
        parts = [page[pos : pos + local]]
        have = local
        following = struct.unpack(">I", page[pos + local : pos + local + 4])[0]
        seen = set()
        while have < total:
            if following in seen:
                raise ValueError("overflow chain loops")
            seen.add(following)
            chunk = self.page(following)
            following = struct.unpack(">I", chunk[:4])[0]
            take = min(total - have, u - 4)
            parts.append(chunk[4 : 4 + take])
            have += take
        if following != 0:
            # The chain's last page must end it: one that does not was overwritten,
            # and its bytes are not the row's.
            raise ValueError("overflow chain does not end")
        return b"".join(parts)

    def leaf(self, number: int) -> tuple[list[Record], int]:
        page = self.page(number)
        start = 100 if number == 1 else 0
        kind = page[start]
        # Rows live in table leaves; a WITHOUT ROWID table's rows are index keys, which
        # interior index pages hold too.
        if kind not in (_TABLE_LEAF, _INDEX_LEAF, _INDEX_INTERIOR):
            return [], 0
        if not _plausible(page, start, self.size):
            return [], 0
        cells = struct.unpack(">H", page[start + 3 : start + 5])[0]
        header = 12 if kind == _INDEX_INTERIOR else 8
        found: list[Record] = []
        bad = 0
        for i in range(cells):
            try:
                at = start + header + 2 * i
                pointer = struct.unpack(">H", page[at : at + 2])[0]
                if kind == _INDEX_INTERIOR:
                    pointer += 4  # the left child's page number comes first
                total, pos = _varint(page, pointer)
                rowid = None
                if kind == _TABLE_LEAF:
                    rowid, pos = _varint(page, pos)
                payload = self.payload(page, pos, total, index=kind != _TABLE_LEAF)
                found.append(Record(number, rowid, _decode(payload)))
            except (ValueError, IndexError, struct.error, UnicodeDecodeError):
                bad += 1
        return found, bad


def scan(path: Path) -> Page:
    """Every record readable from the leaf pages of the SQLite file at ``path``."""
    data = path.read_bytes()
    size, reserved = _page_size(data)
    reader = _Reader(data, size, reserved)
    records: list[Record] = []
    bad = 0
    for number in range(1, reader.count + 1):
        try:
            found, lost = reader.leaf(number)
        except (ValueError, IndexError, struct.error):
            bad += 1
            continue
        records += found
        bad += lost
    return Page(records=records, pages=reader.count, bad_cells=bad, page_size=size)
