"""Mangled bytes fed to every importer: no crash, and every item accounted for or reported."""

from __future__ import annotations

import asyncio
import io
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.legacy_fixtures import (
    REAL_WORLD,
    mbox_bytes,
    outlook_unsent,
    thunderbird,
    thunderbird_profile,
    write,
    write_maildir,
)

from mailplug.importing import ImportReport
from mailplug.mailer import AsyncMailer
from mailplug.plugin import ImportedMessage, ImportProblem, ImportSkipped
from mailplug.plugin import import_keys as imp
from mailplug.testing import memory_account
from mailplug_legacy.mbox import split_mbox
from mailplug_legacy.message import parse
from mailplug_legacy.thunderbird import parse_prefs

SAMPLES = [build() for build in REAL_WORLD.values()] + [outlook_unsent()]
FAST = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
OUTCOMES = ("queued", "sent", "duplicate", "skipped", "failed")


@st.composite
def mangled(draw: st.DrawFn, base: bytes | None = None) -> bytes:
    """A real message (or ``base``) with bytes flipped, cut, inserted, deleted or re-ended."""
    data = bytearray(base if base is not None else draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "delete", "crlf", "nul"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[pos:]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=40))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 200))]
        elif op == "crlf":
            data = bytearray(bytes(data).replace(b"\n", b"\r\n"))
        elif op == "nul":
            data[pos:pos] = b"\x00"
    return bytes(data)


def import_into_fresh_outbox(path: Path, **kw: object) -> ImportReport:
    """Import ``path`` with a new mailer and a real SQLite outbox in a temporary folder."""
    data = Path(tempfile.mkdtemp(prefix="mp-prop-"))

    async def go() -> ImportReport:
        from mailplug.config import Config

        accounts = [memory_account("jan", "jan@firma.pl")]
        async with AsyncMailer(accounts, config=Config(), data_dir=data) as m:
            return await asyncio.wait_for(m.import_path(path, **kw), 60)

    try:
        return asyncio.run(go())
    finally:
        shutil.rmtree(data, ignore_errors=True)


#: The keys of a file (or a message in it) that could not be read, one per cause.
FILE_KEYS = frozenset(
    {s.key for s in imp.IMPORT_ERRORS if s.key.startswith(("legacy.file.", "legacy.message."))}
)


def total(report: ImportReport) -> int:
    return sum(report.counts[k] for k in OUTCOMES)


def every_problem_names_its_file(report: ImportReport) -> None:
    for problem in report.failures:
        message = problem.error.message("pl")
        assert problem.error.key in {
            *FILE_KEYS,
            "account.not_configured",
            "legacy.no_sender",
            "message.no_recipients",
            # settings from a mangled prefs.js
            "legacy.no_smtp_server",
            "account.invalid_settings",
            "message.invalid_address",
            "message.header_injection",
            "message.invalid",
        }
        if problem.error.key in FILE_KEYS:
            assert str(problem.source) in message


@FAST
@given(raw=st.binary(max_size=3000) | mangled())
def test_parse_never_raises(raw: bytes) -> None:
    item = parse(raw, source=Path("/x/m.eml"), index=1, offset=0)
    assert isinstance(item, (ImportedMessage, ImportProblem, ImportSkipped))
    if isinstance(item, ImportedMessage):
        assert item.data.endswith(b"\r\n")
        assert b"\n" not in item.data.replace(b"\r\n", b"")
        assert item.dedupe_key.startswith(("message-id:", "sha256:"))
    if isinstance(item, ImportProblem):
        assert item.error.key in FILE_KEYS and item.reason is not None


@FAST
@given(messages=st.lists(mangled(), min_size=1, max_size=4))
def test_eml_folder_every_file_is_accounted_for(messages: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "eml"
        for n, data in enumerate(messages):
            write(root / f"{n}.eml", data)
        report = import_into_fresh_outbox(root, account="jan")
        assert total(report) == len(messages)
        every_problem_names_its_file(report)
        expected_bad = sum(
            isinstance(parse(d, source=root / f"{n}.eml"), ImportProblem)
            for n, d in enumerate(messages)
        )
        assert sum(p.error.key in FILE_KEYS for p in report.failures) == expected_bad


@FAST
@given(
    messages=st.lists(mangled(), min_size=1, max_size=4),
    tail=st.binary(max_size=300),
    crlf=st.booleans(),
)
def test_mbox_every_message_is_accounted_for(
    messages: list[bytes], tail: bytes, crlf: bool
) -> None:
    data = mbox_bytes(messages, line_ending=b"\r\n" if crlf else b"\n") + tail
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp) / "Sent", data)
        chunks = list(split_mbox(io.BytesIO(data)))
        report = import_into_fresh_outbox(path, account="jan", format="mbox")
        assert total(report) == len(chunks)
        every_problem_names_its_file(report)
        bad = [c for c in chunks if isinstance(parse(c.data, source=path), ImportProblem)]
        reported = {(p.index, p.offset) for p in report.failures if p.error.key in FILE_KEYS}
        assert {(c.index, c.offset) for c in bad} <= reported


@FAST
@given(
    new=st.lists(mangled(), max_size=3),
    cur=st.lists(st.tuples(mangled(), st.sampled_from(["", "S", "RS", "T", "D"])), max_size=3),
)
def test_maildir_every_file_is_accounted_for(
    new: list[bytes], cur: list[tuple[bytes, str]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = write_maildir(Path(tmp) / "Sent", new=new, cur=cur, tmp=[b"half"])
        report = import_into_fresh_outbox(root, account="jan")
        assert total(report) == len(new) + len(cur)
        every_problem_names_its_file(report)


def _mangle_file(path: Path, mangle: Callable[[bytes], bytes]) -> None:
    path.write_bytes(mangle(path.read_bytes()))


@FAST
@given(data=st.data())
def test_thunderbird_profile_with_mangled_files(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        profile = thunderbird_profile(Path(tmp) / "profile")
        local = profile.root / "Mail" / "Local Folders"
        for target in (profile.root / "prefs.js", local / "Unsent Messages", local / "Sent"):
            if data.draw(st.booleans(), label=f"mangle {target.name}"):
                label = target.name
                _mangle_file(target, lambda b, label=label: data.draw(mangled(b), label=label))
        if data.draw(st.booleans(), label="mangle logins.json"):
            (profile.root / "logins.json").write_bytes(data.draw(st.binary(max_size=200)))
        report = import_into_fresh_outbox(profile.root)
        every_problem_names_its_file(report)
        folders = {
            "Local Folders/Unsent Messages": local / "Unsent Messages",
            "Local Folders/Sent": local / "Sent",
            "Local Folders/Inbox": local / "Inbox",
            "Local Folders/Trash": local / "Trash",
            "imap.firma.pl/INBOX": profile.root / "ImapMail" / "imap.firma.pl" / "INBOX",
            "imap.firma.pl/Wysłane": profile.root / "ImapMail" / "imap.firma.pl" / "Wysłane",
            "imap.gmail.com/INBOX": profile.root / "ImapMail" / "imap.gmail.com" / "INBOX",
            "imap.gmail.com/[Gmail]/Sent Mail": profile.root
            / "ImapMail"
            / "imap.gmail.com"
            / "[Gmail].sbd"
            / "Sent Mail",
        }
        imported = [label for label in folders if label not in report.skipped_folders]
        # "Wysłane" is known as a sent folder only while prefs.js (its fcc_folder) reads.
        assert "Local Folders/Sent" in imported and "Local Folders/Inbox" not in imported
        expected = sum(
            len(list(split_mbox(io.BytesIO(folders[label].read_bytes())))) for label in imported
        )
        settings_problems = sum(p.source.name == "prefs.js" for p in report.failures)
        assert total(report) == expected + settings_problems


@FAST
@given(text=st.text(max_size=400) | st.binary(max_size=400).map(lambda b: b.decode("latin-1")))
def test_prefs_parser_never_raises(text: str) -> None:
    prefs = parse_prefs('user_pref("mail.identity.id1.useremail", "a@b.pl");\n' + text)
    assert isinstance(prefs, dict)


def test_mangled_samples_are_realistic() -> None:
    # The strategy starts from real messages: the unmangled ones import cleanly.
    for raw in (*SAMPLES, thunderbird(status="0800")):
        assert isinstance(parse(raw, source=Path("x.eml")), ImportedMessage)
