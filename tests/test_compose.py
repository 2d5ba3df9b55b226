"""The composer: correct MIME (round-trips through the stdlib parser) and its edges."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, message_from_string, policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailplug.compose import compose, encode_words, read_file
from mailplug.errors import FileError, MessageError
from mailplug.models import Account, Attachment, Message

FIXED = datetime(2025, 1, 14, 10, 5, 9, tzinfo=timezone(timedelta(hours=1)))


def account(**extra: object) -> Account:
    data: dict[str, object] = {
        "name": "biuro",
        "email": "biuro@firma.example.pl",
        "display_name": "Biuro Firma Żółw",
        "transport": "memory",
        "auth": None,
    }
    data.update(extra)
    return Account.model_validate(data)


def parse(data: bytes) -> EmailMessage:
    parsed = message_from_bytes(data, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def content(part: EmailMessage | None) -> str | bytes:
    """A part's decoded content with the wire's CRLF turned back into LF."""
    assert part is not None
    value = part.get_content()
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


def header_section(data: bytes) -> bytes:
    return data.split(b"\r\n\r\n", 1)[0]


def assert_wire_format(data: bytes) -> None:
    """CRLF only, no line over 998, header lines within 78, headers 7-bit."""
    assert re.search(rb"(?<!\r)\n", data) is None, "bare LF"
    assert re.search(rb"\r(?!\n)", data) is None, "bare CR"
    lines = data.split(b"\r\n")
    assert max(len(line) for line in lines) <= 998
    for line in header_section(data).split(b"\r\n"):
        assert len(line) <= 78, line
    assert header_section(data).isascii()


def test_text_and_html_alternative_round_trip() -> None:
    message = Message(
        to=["Jan Kowalski <jan@example.pl>", "Łucja Wiśniewska <lucja@example.com>"],
        cc=["ksiegowosc@example.pl"],
        subject="Zestawienie faktur za październik — prośba o weryfikację",
        text="Dzień dobry,\n\nw załączeniu zestawienie.\n\nZ poważaniem\n",
        html="<p>Dzień dobry,</p><p>w załączeniu <b>zestawienie</b>.</p>",
    )
    composed = compose(message, account(), now=FIXED)
    assert_wire_format(composed.data)
    parsed = parse(composed.data)
    assert parsed["Subject"] == message.subject
    assert parsed["From"].addresses[0].display_name == "Biuro Firma Żółw"
    assert parsed["From"].addresses[0].addr_spec == "biuro@firma.example.pl"
    to = parsed["To"].addresses
    assert [(a.display_name, a.addr_spec) for a in to] == [
        ("Jan Kowalski", "jan@example.pl"),
        ("Łucja Wiśniewska", "lucja@example.com"),
    ]
    assert parsed["Cc"].addresses[0].addr_spec == "ksiegowosc@example.pl"
    assert parsed["MIME-Version"] == "1.0"
    assert parsedate_to_datetime(parsed["Date"]) == FIXED
    assert parsed.get_content_type() == "multipart/alternative"
    plain = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    assert plain is not None and html is not None
    assert content(plain) == message.text
    assert str(content(html)).rstrip("\n") == message.html
    assert not parsed.defects
    assert all(not part.defects for part in parsed.walk())


def test_bcc_only_in_envelope_and_envelope_sender() -> None:
    message = Message(
        to="a@example.com",
        bcc=["Tajny Odbiorca <tajny@example.com>", "a@example.com"],
        subject="x",
        text="x",
    )
    composed = compose(message, account(envelope_sender="bounces@firma.example.pl"))
    assert b"tajny" not in composed.data
    assert b"Bcc" not in composed.data
    assert composed.envelope.recipients == ("a@example.com", "tajny@example.com")
    assert composed.envelope.sender == "bounces@firma.example.pl"


def test_reply_to_read_receipt_priority_and_extra_headers() -> None:
    message = Message(
        to="a@example.com",
        subject="x",
        text="x",
        read_receipt=True,
        priority=1,
        headers={"X-Ticket": "T-1"},
    )
    parsed = parse(compose(message, account(reply_to="Dział <dzial@firma.example.pl>")).data)
    assert parsed["Reply-To"].addresses[0].addr_spec == "dzial@firma.example.pl"
    assert "<dzial@firma.example.pl>" in str(parsed["Disposition-Notification-To"])
    assert parsed["X-Priority"].startswith("1")
    assert parsed["X-Ticket"] == "T-1"

    own = Message(to="a@example.com", reply_to="odp@example.com", subject="x", text="x")
    parsed = parse(compose(own, account(reply_to="dzial@firma.example.pl")).data)
    assert [a.addr_spec for a in parsed["Reply-To"].addresses] == ["odp@example.com"]
    assert parsed["Disposition-Notification-To"] is None
    assert parsed["X-Priority"] is None


def test_non_ascii_header_value_is_encoded() -> None:
    message = Message(
        to="a@example.com", subject="x", text="x", headers={"X-Order": "nr 15/2025 — pilne"}
    )
    data = compose(message, account()).data
    assert_wire_format(data)
    assert parse(data)["X-Order"] == "nr 15/2025 — pilne"


def test_message_id_placeholder_domain_replaced_deterministically() -> None:
    message = Message(to="a@example.com", subject="x", text="x")
    assert message.message_id.endswith("@mailplug.invalid>")
    first = compose(message, account())
    second = compose(message, account())
    local = message.message_id[1:].split("@")[0]
    assert first.envelope.message_id == f"<{local}@firma.example.pl>"
    assert second.envelope.message_id == first.envelope.message_id
    assert parse(first.data)["Message-ID"] == first.envelope.message_id

    explicit = Message(to="a@example.com", subject="x", text="x", message_id="<abc@host.pl>")
    assert compose(explicit, account()).envelope.message_id == "<abc@host.pl>"


def test_idn_domains_are_punycode_in_headers_and_envelope() -> None:
    message = Message(to="Ala <ala@żółw.pl>", subject="x", text="x")
    composed = compose(message, account())
    punycode = "żółw.pl".encode("idna").decode()
    assert composed.envelope.recipients == (f"ala@{punycode}",)
    assert not composed.envelope.smtputf8
    assert parse(composed.data)["To"].addresses[0].domain == punycode


def test_utf8_local_part_needs_smtputf8_and_is_raw() -> None:
    message = Message(to="Żaneta <żaneta@przykład.pl>", subject="Cześć", text="x")
    composed = compose(message, account())
    assert composed.envelope.smtputf8
    punycode = "przykład.pl".encode("idna").decode()
    assert composed.envelope.recipients == (f"żaneta@{punycode}",)
    assert f"żaneta@{punycode}".encode() in composed.data
    # A UTF-8 aware reader (RFC 6532) sees the address as written.
    parsed = message_from_string(composed.data.decode("utf-8"), policy=policy.default)
    assert parsed["To"].addresses[0].username == "żaneta"
    assert parsed["To"].addresses[0].display_name == "Żaneta"
    assert parsed["Subject"] == "Cześć"


def test_attachments_base64_and_rfc2231_names(tmp_path: Path) -> None:
    pdf = bytes(range(256)) * 40
    path = tmp_path / "raport.pdf"
    path.write_bytes(pdf)
    long_name = "Zestawienie faktur październik 2024 — wersja ostateczna, poprawiona (2).pdf"
    message = Message(
        to="a@example.com",
        subject="Załączniki",
        text="W załączeniu.",
        attachments=[
            Attachment(path=path),
            Attachment(content=b"a;b\r\n1;2\r\n", filename='dane; "cudzysłów".csv'),
            Attachment(content=b"\x00\x01", filename=long_name, content_type="application/x-bin"),
            Attachment(content="Zażółć\n".encode(), filename="żółw.txt"),
        ],
    )
    data = compose(message, account()).data
    assert_wire_format(data)
    parsed = parse(data)
    assert parsed.get_content_type() == "multipart/mixed"
    files = list(parsed.iter_attachments())
    assert [f.get_filename() for f in files] == [
        "raport.pdf",
        'dane; "cudzysłów".csv',
        long_name,
        "żółw.txt",
    ]
    assert [f.get_content_type() for f in files] == [
        "application/pdf",
        "text/csv",
        "application/x-bin",
        "text/plain",
    ]
    assert files[0].get_content() == pdf
    assert files[1].get_payload(decode=True) == b"a;b\r\n1;2\r\n"
    assert files[2].get_content() == b"\x00\x01"
    assert files[3].get_payload(decode=True) == "Zażółć\n".encode()
    body = parsed.get_body(("plain",))
    assert body is not None and content(body) == "W załączeniu.\n"
    assert all(not part.defects for part in parsed.walk())


def test_inline_image_makes_multipart_related() -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(100)
    message = Message(
        to="a@example.com",
        subject="Logo",
        text="Logo firmy",
        html='<p><img src="cid:logo@firma"></p>',
        attachments=[
            Attachment(content=png, filename="logo.png", inline=True, content_id="logo@firma"),
            Attachment(content=b"x", filename="zal.txt"),
        ],
    )
    parsed = parse(compose(message, account()).data)
    assert parsed.get_content_type() == "multipart/mixed"
    alternative = next(iter(parsed.iter_parts()))
    assert alternative.get_content_type() == "multipart/alternative"
    related = list(alternative.iter_parts())[1]
    assert related.get_content_type() == "multipart/related"
    image = list(related.iter_parts())[1]
    assert image["Content-ID"] == "<logo@firma>"
    assert image.get_content_disposition() == "inline"
    assert content(image) == png
    assert [a.get_filename() for a in parsed.iter_attachments()] == ["zal.txt"]


@pytest.mark.parametrize(
    ("text", "cte"),
    [
        ("Hello, plain ASCII.\n", "7bit"),
        (
            "Prosimy o kontakt w sprawie faktury nr 15 z 3 stycznia, dziękujemy.\n",
            "quoted-printable",
        ),
        ("Zażółć gęślą jaźń — dużo ogonków, więc base64 jest krótsze.\n", "base64"),
        ("Съешь же ещё этих мягких французских булок\n", "base64"),
        ("x" * 2000 + "\n", "quoted-printable"),
    ],
)
def test_body_transfer_encoding(text: str, cte: str) -> None:
    data = compose(Message(to="a@example.com", subject="x", text=text), account()).data
    assert_wire_format(data)
    parsed = parse(data)
    assert parsed["Content-Transfer-Encoding"] == cte
    assert content(parsed) == text


def test_line_endings_normalised_and_dots_kept() -> None:
    text = "one\r\ntwo\rthree\n.\n..starts with dots\n"
    data = compose(Message(to="a@example.com", subject="x", text=text), account()).data
    assert_wire_format(data)
    assert content(parse(data)) == "one\ntwo\nthree\n.\n..starts with dots\n"


def test_html_only_and_empty_text() -> None:
    html_only = parse(compose(Message(to="a@b.pl", subject="s", html="<b>ż</b>"), account()).data)
    assert html_only.get_content_type() == "text/html"
    assert str(content(html_only)).rstrip("\n") == "<b>ż</b>"
    empty = parse(compose(Message(to="a@b.pl", subject=""), account()).data)
    assert empty.get_content_type() == "text/plain"
    assert empty["Subject"] == ""


def test_boundary_text_in_7bit_body_does_not_break_structure() -> None:
    text = "--=_mp looks like a boundary\n" * 3
    message = Message(to="a@example.com", subject="x", text=text, html="<p>x</p>")
    parsed = parse(compose(message, account()).data)
    body = parsed.get_body(("plain",))
    assert body is not None and content(body) == text


def test_long_subjects_fold_within_78_and_round_trip() -> None:
    ascii_subject = " ".join(["Faktura"] * 30)
    polish = (
        "Przypomnienie o płatności za fakturę nr 2025/01/15 — termin mija jutro, prosimy o wpłatę"
    )
    tricky = "Literal =?utf-8?q?not_a_word?= stays literal"
    for subject in (ascii_subject, polish, tricky, "x" * 1200):
        data = compose(Message(to="a@example.com", subject=subject, text="x"), account()).data
        if len(subject) < 900:
            assert_wire_format(data)
        assert parse(data)["Subject"] == subject


def test_encoded_words_hold_whole_characters() -> None:
    words = encode_words("ż" * 100)
    assert len(words) > 1
    assert all(len(w) <= 75 for w in words)
    for word in words:
        payload = word.split("?")[3]
        # Q: each "=XX=YY" pair is one two-byte character; never split.
        assert payload.count("=") % 2 == 0 or word.startswith("=?utf-8?b?")


def test_long_display_name_follows_rfc2047() -> None:
    name = "Przedsiębiorstwo Handlowo-Usługowe „Żółw” Spółka z ograniczoną odpowiedzialnością"
    data = compose(
        Message(to=[{"email": "a@example.pl", "name": name}], subject="x"), account()
    ).data
    assert_wire_format(data)
    raw = header_section(data).decode().split("\r\nTo: ", 1)[1].split("\r\nSubject:")[0]
    phrase = raw.rsplit(" <", 1)[0]
    assert len(encode_words(name)) > 1
    # An RFC 2047 reader ignores the folding whitespace between encoded-words.
    assert str(make_header(decode_header(phrase.replace("\r\n", "")))) == name


def test_display_names_with_specials_are_quoted() -> None:
    message = Message(
        to=['"Kowalski, Jan (Dział)" <jan@example.pl>', "Anna Nowak <anna@example.pl>"],
        subject="x",
        text="x",
    )
    parsed = parse(compose(message, account()).data)
    assert [a.display_name for a in parsed["To"].addresses] == [
        "Kowalski, Jan (Dział)",
        "Anna Nowak",
    ]


def test_message_without_recipients_is_refused() -> None:
    with pytest.raises(MessageError) as info:
        compose(Message(subject="x", text="x"), account())
    assert info.value.key == "message.no_recipients"


names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=60
).filter(
    # Readers collapse runs of whitespace in display names; keep names they can return as is.
    lambda s: s.strip() == s and "  " not in s and all(c == " " or not c.isspace() for c in s)
)
#: Display names that fit one encoded-word: Python's address parser keeps the
#: folding space between two encoded-words of a phrase (RFC 2047 6.2 says to
#: drop it; see test_long_display_name_follows_rfc2047), so longer names do not
#: come back through it, not even from EmailMessage's own output.
short_names = names.filter(lambda s: len(s.encode()) <= 45)
bodies = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=names, name=short_names, text=bodies, html=bodies)
def test_round_trip_property(subject: str, name: str, text: str, html: str) -> None:
    message = Message(
        to=[{"email": "odbiorca@example.pl", "name": name}],
        subject=subject,
        text=text,
        html=html or None,
    )
    data = compose(message, account()).data
    assert_wire_format(data)
    parsed = parse(data)
    assert parsed["Subject"] == subject
    assert parsed["To"].addresses[0].display_name == name
    plain = parsed.get_body(("plain",))
    assert plain is not None
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    assert content(plain) == expected + ("" if expected.endswith("\n") else "\n")


# -- files ----------------------------------------------------------------------


def test_read_file_missing_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "brak.pdf"
    with pytest.raises(FileError) as info:
        read_file(missing)
    assert info.value.key == "file.missing"
    assert str(missing) in info.value.message("en")
    assert info.value.message("pl").startswith("Problem z plikiem e-mail")
    assert info.value.message("pl").endswith("taki plik nie istnieje.")


def test_directory_counts_as_unreadable(tmp_path: Path) -> None:
    message = Message(to="a@example.com", subject="x", text="x", attachments=[{"path": tmp_path}])
    with pytest.raises(FileError) as info:
        compose(message, account())
    assert info.value.params["file"] == str(tmp_path)


def test_file_locked_by_another_process(tmp_path: Path) -> None:
    path = tmp_path / "zablokowany.pdf"
    path.write_bytes(b"data")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time\n"
            "f = open(sys.argv[1], 'rb'); fcntl.flock(f, fcntl.LOCK_EX)\n"
            "print('locked', flush=True); time.sleep(60)\n",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(FileError) as info:
            read_file(path)
        assert info.value.key == "file.locked"
        assert info.value.params["file"] == str(path)
    finally:
        holder.kill()
        holder.wait(10)
    assert read_file(path) == b"data"


def test_date_defaults_to_now_with_offset() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    parsed = parse(compose(Message(to="a@example.com", subject="x", text="x"), account()).data)
    sent = parsedate_to_datetime(parsed["Date"])
    assert sent.tzinfo is not None
    assert before <= sent <= datetime.now(UTC) + timedelta(seconds=1)
