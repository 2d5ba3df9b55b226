"""Give every advice entry of the shipped catalogs its own ``msgctxt "<key>.advice"``.

Advice used to be an entry without ``msgctxt``, shared by every key with the same English
text, so one catalog's translation silently replaced another's.  This script rewrites the
``.po`` files as text (comments, wrapping and order kept): a context-less advice entry that
follows its key's message gets ``msgctxt "<key>.advice"``; a key whose advice entry is
missing gets one right after its message, with the translation found for that English text
in the same language; context-less advice entries no key still needs are dropped.

Idempotent: run it again after merging catalogs (``python scripts/advice_context.py``).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOG_DIRS = (ROOT / "src" / "mailplug" / "locales", ROOT / "locales")

_STRING = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+(".*")\s*$')


def _unquote(lines: Iterable[str]) -> str:
    out = []
    for raw in lines:
        line = raw.strip()
        if line.startswith('"'):
            out.append(line[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape"))
    return "".join(out)


class Block:
    """One ``.po`` entry as its lines, with the strings it defines."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.fields: dict[str, str] = {}
        current: str | None = None
        parts: dict[str, list[str]] = {}
        for line in lines:
            match = _STRING.match(line)
            if match:
                current = match.group(1)
                parts[current] = [match.group(2)]
            elif line.startswith('"') and current is not None:
                parts[current].append(line)
            elif not line.startswith('"'):
                current = None
        self.fields = {name: _unquote(value) for name, value in parts.items()}

    @property
    def context(self) -> str | None:
        return self.fields.get("msgctxt")

    @property
    def msgid(self) -> str | None:
        return self.fields.get("msgid")

    def string_lines(self) -> list[str]:
        """The ``msgstr`` lines (with continuation lines)."""
        out: list[str] = []
        inside = False
        for line in self.lines:
            if line.startswith("msgstr"):
                inside = True
            elif not line.startswith('"'):
                inside = False
            if inside:
                out.append(line)
        return out

    def with_context(self, context: str) -> Block:
        lines = [ln for ln in self.lines if not ln.startswith("msgctxt")]
        at = next(i for i, ln in enumerate(lines) if ln.startswith("msgid"))
        return Block([*lines[:at], f'msgctxt "{context}"', *lines[at:]])


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _split(text: str) -> list[Block]:
    blocks, current = [], []
    for line in text.splitlines():
        if line.strip():
            current.append(line)
        elif current:
            blocks.append(Block(current))
            current = []
    if current:
        blocks.append(Block(current))
    return blocks


def migrate(text: str, advice_of: dict[str, str], known: dict[str, list[str]]) -> str:
    """``text`` (one ``.po`` file) with advice entries keyed by ``<key>.advice``.

    :param advice_of: error key → English advice.
    :param known: English advice → msgstr lines of its translation in this language.
    """
    blocks = _split(text)
    have = {b.context for b in blocks if b.context}
    out: list[Block] = []
    last_key: str | None = None
    for block in blocks:
        if block.context is None and block.msgid and block.msgid in advice_of.values():
            if (
                last_key
                and advice_of.get(last_key) == block.msgid
                and f"{last_key}.advice" not in have
            ):
                out.append(block.with_context(f"{last_key}.advice"))
                have.add(f"{last_key}.advice")
            last_key = None
            continue  # a shared context-less advice: re-added per key below
        out.append(block)
        last_key = block.context if block.context in advice_of else None
        if last_key:
            context = f"{last_key}.advice"
            if context not in have and advice_of[last_key] in known:
                following = blocks.index(block) + 1
                nxt = blocks[following] if following < len(blocks) else None
                if nxt is not None and nxt.context is None and nxt.msgid == advice_of[last_key]:
                    continue  # the next block is this key's advice: converted above
                out.append(
                    Block(
                        [
                            f'msgctxt "{context}"',
                            f"msgid {_quote(advice_of[last_key])}",
                            *known[advice_of[last_key]],
                        ]
                    )
                )
                have.add(context)
                last_key = None
    return "\n\n".join("\n".join(b.lines) for b in out) + "\n"


def _specs() -> dict[str, str]:
    from mailplug.errors import ErrorSpec
    from mailplug.plugins import Plugins

    found = Plugins(entry_points=False)
    return {m.key: m.advice for m in found.messages if isinstance(m, ErrorSpec)}


def main(argv: list[str]) -> int:
    advice_of = _specs()
    changed = 0
    langs = sorted({d.name for root in CATALOG_DIRS for d in root.iterdir() if d.is_dir()})
    for lang in langs:
        files = [
            po for root in CATALOG_DIRS for po in sorted(root.glob(f"{lang}/LC_MESSAGES/*.po"))
        ]
        known: dict[str, list[str]] = {}
        for po in files:  # every translation of an advice text in this language
            for block in _split(po.read_text(encoding="utf-8")):
                ctx = block.context
                is_advice = ctx is None or ctx.endswith(".advice")
                if is_advice and block.msgid in advice_of.values() and block.fields.get("msgstr"):
                    known.setdefault(block.msgid, block.string_lines())
        for po in files:
            old = po.read_text(encoding="utf-8")
            new = migrate(old, advice_of, known)
            if new != old:
                po.write_text(new, encoding="utf-8")
                changed += 1
                print(f"{po.relative_to(ROOT)}: advice entries keyed")
    print(f"{changed} catalog(s) changed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
