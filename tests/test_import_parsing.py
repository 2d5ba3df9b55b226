"""The legacy parsing layer on its own: headers, charsets, line endings, mbox splitting, prefs."""

from __future__ import annotations

import email
import email.errors
import email.policy
import io
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from tests.legacy_fixtures import (
    REAL_WORLD,
    bounce,
    escape_from,
    mbox_bytes,
    no_message_id,
    outlook_2016,
    outlook_express,
    outlook_unsent,
    thunderbird,
)

from mailplug.plugin import ImportedMessage, ImportProblem, ImportSkipped, Kind
from mailplug.plugin import import_keys as imp
from mailplug_legacy.mbox import split_mbox
from mailplug_legacy.message import decode_header, decode_text, folder_kind, parse
from mailplug_legacy.thunderbird import parse_prefs

SRC = Path("/nowhere/source.eml")


def parsed(raw: bytes, **kw: object) -> ImportedMessage:
    item = parse(raw, source=SRC, **kw)  # type: ignore[arg-type]
    assert isinstance(item, ImportedMessage), item
    return item


# -- header decoding --------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("=?UTF-8?B?WmHFvMOzxYLEhyBnxJnFm2zEhSBqYcW6xYQ=?=", "Zażółć gęślą jaźń"),
        ("=?iso-8859-2?Q?Za=BF=F3=B3=E6_g=EA=B6l=B1_ja=BC=F1?=", "Zażółć gęślą jaźń"),
        ("=?windows-1250?Q?Za=BF=F3=B3=E6_g=EA=9Cl=B9_ja=9F=F1?=", "Zażółć gęślą jaźń"),
        # misspelled charset names as old programs wrote them
        ("=?win-1250?Q?=9Cwi=EAto?=", "święto"),
        ("=?ISO8859-2?Q?=A3=F3d=BC?=", "Łódź"),
        # a UTF-8 character split between two adjacent words
        ("=?UTF-8?B?xZo=?= =?UTF-8?B?d2nEmXRv?=", "Święto"),
        # whitespace between encoded words disappears, around plain words it stays
        ("=?utf-8?Q?Faktura?= =?utf-8?Q?_nr_1?= dla =?utf-8?Q?Pana?=", "Faktura nr 1 dla Pana"),
        # unknown charset: decoded by the Polish guess
        ("=?x-unknown?Q?Zg=B3oszenie?=", "Zgłoszenie"),
        # invalid base64 payload, unterminated word: kept as written
        ("=?utf-8?B?!!!?= ok", "=?utf-8?B?!!!?= ok"),
        ("=?utf-8?Q?unterminated", "=?utf-8?Q?unterminated"),
    ],
)
def test_rfc2047_words_in_the_wild(header: str, expected: str) -> None:
    assert decode_header(header) == expected


def test_raw_8bit_guesses_the_polish_code_page() -> None:
    text = "Zgłoszenie źródło ąś"
    assert decode_text(text.encode("utf-8")) == text
    assert decode_text(text.encode("iso8859_2")) == text
    assert decode_text(text.encode("cp1250")) == text
    # the declared charset wins when it decodes
    assert decode_text("ąę".encode("iso8859_2"), "iso-8859-2") == "ąę"
    # garbage never raises
    assert isinstance(decode_text(bytes(range(256))), str)


# -- one message --------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(REAL_WORLD))
def test_every_client_brand_reads(name: str) -> None:
    raw = REAL_WORLD[name]()
    item = parsed(raw)
    assert item.subject and "=?" not in item.subject.split(" i ")[0]
    assert item.sender is not None
    assert item.data.count(b"\n") == item.data.count(b"\r\n")  # stored with CRLF only
    assert item.data.endswith(b"\r\n")
    # what is stored still parses as the same message
    stored = message_from_bytes(item.data, policy=policy.compat32)
    original = message_from_bytes(raw, policy=policy.compat32)
    assert stored.get("Message-ID") == original.get("Message-ID")
    assert len(stored.get_payload() if stored.is_multipart() else [1]) == len(
        original.get_payload() if original.is_multipart() else [1]
    )


def test_polish_subjects_and_names_in_several_encodings() -> None:
    assert parsed(outlook_2016()).subject == "Faktura za październik"
    oe = parsed(outlook_express())
    assert oe.subject == "Zestawienie kosztów - kwiecień"
    assert oe.sender is not None and oe.sender.name == "Paweł Łukasik"
    tb = parsed(thunderbird(subject="Żółty źrebak – ćma"))
    assert tb.subject == "Żółty źrebak – ćma"


def test_crlf_and_lf_sources_give_the_same_stored_bytes_and_key() -> None:
    lf = outlook_express().replace(b"\r\n", b"\n")
    a, b = parsed(lf), parsed(outlook_express())
    assert a.data == b.data and a.dedupe_key == b.dedupe_key
    cr_only = lf.replace(b"\n", b"\r")
    assert parsed(cr_only).data == a.data


def test_dedupe_key_is_the_message_id_else_a_content_hash() -> None:
    item = parsed(outlook_2016())
    assert item.dedupe_key == f"message-id:{item.message_id}"
    anon = parsed(no_message_id())
    assert anon.dedupe_key.startswith("sha256:")
    assert anon.message_id.endswith("@firma.pl>")  # derived from the content, stable
    assert parsed(no_message_id()).message_id == anon.message_id
    other = parsed(no_message_id(subject="Inny dokument"))
    assert other.dedupe_key != anon.dedupe_key


def test_mailbox_bookkeeping_headers_do_not_change_the_key() -> None:
    plain = parsed(thunderbird())
    flagged = parsed(thunderbird(status="0001"))
    assert plain.dedupe_key == flagged.dedupe_key
    assert b"X-Mozilla" not in flagged.data


def test_unsent_outlook_eml_is_queued_without_bcc_and_gets_id_and_date() -> None:
    item = parsed(outlook_unsent())
    assert item.kind is Kind.QUEUED
    assert "archiwum@firma.pl" in item.recipients  # Bcc stays in the envelope …
    assert b"Bcc:" not in item.data and b"X-Unsent" not in item.data  # … not in the bytes
    assert b"Message-ID: <" in item.data and b"\r\nDate: " in item.data


def test_expunged_thunderbird_message_is_skipped() -> None:
    item = parse(thunderbird(status="0009"), source=SRC)
    assert isinstance(item, ImportSkipped)
    assert item.reason.text.msgid == "deleted in the old program"


def test_folder_and_forced_kind() -> None:
    assert parsed(outlook_2016(), folder=Kind.QUEUED).kind is Kind.QUEUED
    assert parsed(outlook_unsent(), force=Kind.SENT).kind is Kind.SENT
    assert parsed(thunderbird(status="0800")).kind is Kind.QUEUED  # the queued flag
    assert parsed(outlook_2016()).kind is Kind.SENT


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Unsent Messages", Kind.QUEUED),
        ("Outbox", Kind.QUEUED),
        ("Skrzynka nadawcza", Kind.QUEUED),
        ("Sent", Kind.SENT),
        (".Sent", Kind.SENT),
        ("INBOX.Sent Items", Kind.SENT),
        ("Wysłane", Kind.SENT),
        ("Elementy wysłane", Kind.SENT),
        ("Sent.mbox", Kind.SENT),
        ("Inbox", None),
        ("Trash", None),
        ("Drafts", None),
    ],
)
def test_folder_names(name: str, kind: Kind | None) -> None:
    assert folder_kind(name) is kind


def test_dates_fall_back_to_received_then_the_from_line() -> None:
    raw = (
        b"Received: from a by b; Tue, 2 May 2023 07:00:00 +0200\n"
        b"From: jan@firma.pl\nTo: x@example.com\nSubject: s\n\nbody\n"
    )
    assert parsed(raw).date is not None and parsed(raw).date.hour == 5  # type: ignore[union-attr]
    no_date = b"From: jan@firma.pl\nTo: x@example.com\nSubject: s\n\nbody\n"
    item = parsed(no_date, from_line=b"From - Mon Jan  1 10:00:00 2024")
    assert item.date is not None and item.date.year == 2024
    assert parsed(no_date).date is None


@pytest.mark.parametrize(
    ("raw", "key", "reason"),
    [
        (b"", "legacy.message.empty", "the message is empty"),
        (b"\n\n  \n", "legacy.message.empty", "the message is empty"),
        (b"%PDF-1.4 binary junk\x00\x01", "legacy.file.not_mail", "does not look like"),
        (b"foo: bar\n\nno mail headers\n", "legacy.file.not_mail", "does not look like"),
        (b"From: a@b.pl\x00\x01\nSubject: x\n\nbody\n", "legacy.file.damaged", "binary data"),
        (b"From: a@b.pl\nTo: c@d.pl\nSubject: cut", "legacy.file.damaged", "cut off"),
    ],
)
def test_corrupt_messages_are_problems_not_exceptions(raw: bytes, key: str, reason: str) -> None:
    item = parse(raw, source=SRC, index=3, offset=99)
    assert isinstance(item, ImportProblem)
    assert item.error.key == key
    assert str(SRC) in item.error.message("en") and str(SRC) in item.error.message("pl")
    assert item.reason is not None and reason in item.reason.text.msgid
    assert (item.index, item.offset) == (3, 99)


def test_an_empty_file_is_not_an_empty_message() -> None:
    item = parse(b"\n", source=SRC)
    assert isinstance(item, ImportProblem) and item.error.key == "legacy.file.empty"


def test_damage_names_the_byte_where_it_starts() -> None:
    raw = b"From: a@b.pl\nSubject: x\x00\x01\n\nbody\n"
    item = parse(
        raw, source=SRC, index=2, offset=1000, from_line=b"From a@b.pl Mon Jan  1 10:00:00 2024"
    )
    assert isinstance(item, ImportProblem) and item.error.key == "legacy.file.damaged"
    expected = 1000 + len(b"From a@b.pl Mon Jan  1 10:00:00 2024\n") + raw.index(b"\x00")
    assert item.error.params["byte"] == expected
    assert f"bajtu {expected}" in item.error.message("pl")
    assert f"byte {expected}" in item.error.message("en")


def test_multipart_without_its_closing_boundary_is_read_like_python_does() -> None:
    whole = outlook_2016()
    cut = whole[: len(whole) * 2 // 3]
    item = parse(cut, source=SRC)
    assert isinstance(item, ImportedMessage), item
    python = email.message_from_bytes(cut, policy=email.policy.default)
    assert item.subject == python["subject"]
    assert python.is_multipart() and any(
        isinstance(d, email.errors.CloseBoundaryNotFoundDefect) for d in python.defects
    )
    assert [n.text for n in item.notes] == [imp.NOTE_UNCLOSED]
    whole_item = parse(whole, source=SRC)
    assert isinstance(whole_item, ImportedMessage) and whole_item.notes == ()


def test_bounce_with_an_embedded_message_is_one_message() -> None:
    item = parsed(bounce())
    assert item.subject == "Undelivered Mail Returned to Sender"
    assert item.sender is not None and item.sender.email == "MAILER-DAEMON@mx.example.com"


# -- mbox splitting -----------------------------------------------------------


def split(data: bytes) -> list[bytes]:
    return [m.data for m in split_mbox(io.BytesIO(data))]


def test_mbox_from_escaping_is_undone() -> None:
    body = b"Subject: x\nFrom: a@b.pl\n\nFrom here on\n>From quoted\n>>From deeper\nend\n"
    data = mbox_bytes([body, body])
    assert b"\n>From here on" in data and b"\n>>From quoted" in data
    parts = split(data)
    assert parts == [body, body]


def test_mbox_with_crlf_line_endings() -> None:
    msgs = [outlook_2016(), thunderbird()]
    parts = split(mbox_bytes(msgs, line_ending=b"\r\n"))
    assert len(parts) == 2
    assert [parsed(p).message_id for p in parts] == [parsed(m).message_id for m in msgs]


def test_mbox_separator_without_blank_line_needs_a_header_after_it() -> None:
    data = (
        b"From - Mon Jan  1 10:00:00 2024\nSubject: a\n\nline\n"
        b"From - Mon Jan  1 11:00:00 2024\nSubject: b\n\nFrom Monday Jan 1 at 10:30 we close.\n"
        b"\nFrom Tuesday, Jan 2 10:00 - text\nnot a header\n"
    )
    parts = split(data)
    assert len(parts) == 2
    assert parts[1].endswith(b"not a header\n")


def test_mbox_with_junk_before_the_first_separator_reports_it() -> None:
    data = b"garbage line\n\n" + mbox_bytes([thunderbird()])
    msgs = list(split_mbox(io.BytesIO(data)))
    assert [m.index for m in msgs] == [0, 1]
    assert isinstance(parse(msgs[0].data, source=SRC), ImportProblem)


def test_mbox_very_long_lines_are_read_in_pieces() -> None:
    line = b"x" * (3 * 1024 * 1024)
    msg = b"Subject: big\nFrom: a@b.pl\n\n" + line + b"\nFrom the end\n"
    parts = split(mbox_bytes([msg, msg]))
    assert parts == [msg, msg]


def test_escape_helper_matches_mboxrd() -> None:
    assert escape_from(b"a\nFrom x\n>From y\n") == b"a\n>From x\n>>From y\n"


# -- prefs.js -----------------------------------------------------------------


def test_prefs_js_values_and_escapes() -> None:
    text = (
        '// comment\nuser_pref("a.b", "x \\"quoted\\" \\\\ \\u0142");\n'
        'user_pref("c", 42);\nuser_pref("d", false);\npref("e", -1);\n'
        'garbage ( line\nuser_pref("f", "semi;colon)");\n'
    )
    prefs = parse_prefs(text)
    assert prefs == {"a.b": 'x "quoted" \\ ł', "c": 42, "d": False, "e": -1, "f": "semi;colon)"}
