"""Subjects as real clients encode them, decoded as mail clients do, and searchable.

RFC 2047 words with spaces inside (Big5 and UTF-8 subjects from real clients), words
split across lines mid-character or folded inside their payload, and unlabelled 8-bit
subjects guessed in the user's language's code pages, then Windows-1252.  Every
decoded subject is compared with the text that was encoded, with Python's ``email``
(policy=default) and with a second opinion (``email.header.decode_header``).
"""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
from collections.abc import AsyncIterator, Callable
from email.header import decode_header as legacy_decode_header
from email.header import make_header
from pathlib import Path

import pytest
from tests.legacy_fixtures import write

from mailplug.config import load_config
from mailplug.mailer import AsyncMailer
from mailplug.outbox import Filter
from mailplug.plugin import ImportedMessage, Status
from mailplug.testing import memory_account
from mailplug_legacy.message import guess_legacy, parse

TEXTS = {
    "utf-8": ["Zażółć gęślą jaźń – oferta", "Nº 12/2023 — faktura", "測試郵件：會議"],
    "big5": ["測試郵件 會議通知"],
    "iso-8859-2": ["Zażółć gęślą jaźń"],
    "windows-1250": ["Faktura za październik"],
}


def _b(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _q(data: bytes) -> str:
    return "".join(chr(b) if chr(b).isascii() and chr(b).isalnum() else f"={b:02X}" for b in data)


def space_in_b(text: str, charset: str) -> str:
    """One B word with a space in its payload (as some Big5 and UTF-8 clients write)."""
    payload = _b(text.encode(charset))
    return f"=?{charset}?B?{payload[:4]} {payload[4:]}?="


def space_in_q(text: str, charset: str) -> str:
    """A Q word with literal spaces instead of ``_``."""
    return f"=?{charset}?Q?" + " ".join(_q(w.encode(charset)) for w in text.split(" ")) + "?="


def split_mid_character(text: str, charset: str) -> str:
    """Two B words on two lines, the cut inside a multi-byte character where there is one."""
    data = text.encode(charset)
    cut = next((i for i in range(1, len(data)) if data[i] >= 0x80 and data[i - 1] >= 0x80), 1)
    return f"=?{charset}?B?{_b(data[:cut])}?=\n =?{charset}?B?{_b(data[cut:])}?="


def fold_inside_word(text: str, charset: str) -> str:
    """One long B word folded inside its payload (broken folding of old clients)."""
    payload = _b(text.encode(charset))
    return f"=?{charset}?B?{payload[:8]}\n {payload[8:]}?="


STYLES: dict[str, Callable[[str, str], str]] = {
    "space in B": space_in_b,
    "space in Q": space_in_q,
    "split mid-character": split_mid_character,
    "folded inside a word": fold_inside_word,
}
CASES = [
    (style, charset, text)
    for style in STYLES
    for charset, texts in TEXTS.items()
    for text in texts
    if not (style == "split mid-character" and len(text.encode(charset)) == len(text))
]


def message(subject: bytes, msgid: str = "<enc@firma.pl>") -> bytes:
    return (
        b"From: Jan <jan@firma.pl>\nTo: anna@example.com\nSubject: "
        + subject
        + f"\nMessage-ID: {msgid}\nDate: Tue, 3 Oct 2023 08:15:02 +0000\n\nTresc\n".encode()
    )


def python_default(raw: bytes) -> str:
    return str(email.message_from_bytes(raw, policy=email.policy.default)["subject"])


def second_opinion(header: str) -> str:
    return str(make_header(legacy_decode_header(header)))


@pytest.mark.parametrize(("style", "charset", "text"), CASES)
def test_encoded_words_as_clients_write_them(style: str, charset: str, text: str) -> None:
    header = STYLES[style](text, charset)
    raw = message(header.encode("ascii"))
    item = parse(raw, source=Path("m.eml"))
    assert isinstance(item, ImportedMessage)
    assert item.subject == text
    # Both other decoders agree except where each is known to fall short: Python's
    # parser decodes a Big5 word by itself (a character cut between two words breaks),
    # the older API cannot undo a fold inside a word.
    python, second = python_default(raw), second_opinion(header.replace("\n", ""))
    assert text in (python, second)
    assert python == text or (style, charset) == ("split mid-character", "big5")
    assert second == text or style == "folded inside a word"


@pytest.mark.parametrize(
    ("text", "codec", "languages"),
    [
        ("Nº 12 – faktura", "cp1252", ("pl_PL",)),  # not "Nş" (ISO-8859-2 read)
        ("Nº 12 – faktura", "cp1252", ("en",)),
        ("Grüße aus München, Café", "cp1252", ("pl",)),
        ("Zażółć gęślą jaźń", "iso8859_2", ("pl_PL",)),
        ("Zażółć gęślą jaźń", "cp1250", ("pl_PL",)),
        ("Zażółć gęślą jaźń", "iso8859_2", ("en",)),  # Polish code pages come next
        ("Příliš žluťoučký kůň", "iso8859_2", ("cs_CZ",)),
        ("Árvíztűrő tükörfúrógép", "iso8859_2", ("hu",)),
        ("Привет, мир", "cp1251", ("ru",)),
    ],
)
def test_unlabelled_8bit_subjects_follow_the_users_languages(
    text: str, codec: str, languages: tuple[str, ...]
) -> None:
    raw = message(text.encode(codec))
    item = parse(raw, source=Path("m.eml"), languages=languages)
    assert isinstance(item, ImportedMessage)
    assert item.subject == text
    assert guess_legacy(text.encode(codec), languages) == text
    # Python cannot know the code page: it keeps the bytes it could not decode as such.
    assert python_default(raw) != text


@pytest.fixture
async def mailer() -> AsyncIterator[AsyncMailer]:
    m = AsyncMailer([memory_account("jan", "jan@firma.pl")], config=load_config())
    try:
        yield m
    finally:
        await m.aclose()


async def test_decoded_subjects_are_searchable(tmp_path: Path, mailer: AsyncMailer) -> None:
    folder = tmp_path / "Sent"
    write(folder / "a.eml", message(space_in_b("測試郵件 會議通知", "big5").encode(), "<a@f.pl>"))
    write(folder / "b.eml", message("Nº 12 – faktura".encode("cp1252"), "<b@f.pl>"))
    write(folder / "c.eml", message(fold_inside_word("Zażółć gęślą jaźń", "utf-8").encode()))
    report = await asyncio.wait_for(mailer.import_path(folder), 30)
    assert report.counts["sent"] == 3
    outbox = await mailer.outbox()
    for needle, msgid in (
        ("會議通知", "<a@f.pl>"),
        ("Nº 12", "<b@f.pl>"),
        ("gęślą", "<enc@firma.pl>"),
    ):
        found = list(await outbox.query(Filter(statuses=(Status.SENT,), text=needle)))
        assert [e.message_id for e in found] == [msgid], needle


@pytest.mark.parametrize(("lang", "readable"), [("cs_CZ.UTF-8", True), ("pl_PL.UTF-8", False)])
async def test_the_users_locale_picks_the_code_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, readable: bool
) -> None:
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", lang)
    text = "Příliš žluťoučký kůň"
    write(tmp_path / "Sent" / "m.eml", message(text.encode("iso8859_2")))
    async with AsyncMailer([memory_account("jan", "jan@firma.pl")], config=load_config()) as m:
        report = await asyncio.wait_for(m.import_path(tmp_path / "Sent"), 30)
    (outcome,) = report.messages
    # Czech in ISO-8859-2 reads as Czech for a Czech user; for a Polish one its letters
    # are foreign, so it falls back to Windows-1252 (as any mail client would show it).
    assert (outcome.subject == text) is readable
    if not readable:
        assert outcome.subject == text.encode("iso8859_2").decode("cp1252", errors="replace")
