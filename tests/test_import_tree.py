"""A mail folder in every layout mail programs leave: every file accounted for.

mbsync/offlineimap/getmail/mutt's folder of Maildirs, Maildir++ and notmuch/Dovecot
nesting, IMAP folder names in several languages and in modified UTF-7, extensionless
message files, mbox files among them, symbolic links (followed, loops reported).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.legacy_fixtures import (
    mail_tree,
    mbox_bytes,
    message_bytes_of,
    thunderbird_profile,
    write,
    write_maildir,
)

from mailplug.config import load_config
from mailplug.mailer import AsyncMailer
from mailplug.plugin import import_keys as imp
from mailplug.testing import memory_account
from mailplug_legacy.tree import plan_tree, sniff_file


@pytest.fixture
async def mailer() -> AsyncIterator[AsyncMailer]:
    m = AsyncMailer([memory_account("jan", "jan@firma.pl")], config=load_config())
    try:
        yield m
    finally:
        await m.aclose()


def files_under(root: Path) -> set[Path]:
    """Every entry that is not a folder, without following links (what ``find -type f,l`` lists)."""
    found: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        found |= {base / f for f in filenames}
        found |= {base / d for d in dirnames if (base / d).is_symlink()}
    return found


async def test_every_file_of_every_layout_is_accounted_for(
    tmp_path: Path, mailer: AsyncMailer
) -> None:
    root = tmp_path / "Mail"
    expected = mail_tree(root, tmp_path / "elsewhere")
    report = await asyncio.wait_for(mailer.import_path(root, account="jan"), 60)
    assert report.format == "maildir"  # sniffed: a folder holding Maildirs

    outcomes: dict[Path, list[str]] = {}
    for m in report.messages:
        outcomes.setdefault(m.source, []).append(m.status)
    for p in report.failures:
        outcomes.setdefault(p.source, []).append("failed")
    want = {
        path: sorted(outcome.removeprefix("mbox:").split(",")) for path, outcome in expected.items()
    }
    assert {path: sorted(statuses) for path, statuses in outcomes.items()} == want
    keys = {p.source.name: p.error.key for p in report.failures}
    assert keys == {
        "Sent.mbox": "legacy.message.empty",
        "pusty.eml": "legacy.file.empty",
        "zniknal.eml": "legacy.file.missing",
    }

    # the counts add up: one outcome per file (per message in an mbox), none twice
    flat = Counter(s for statuses in want.values() for s in statuses)
    for status in ("sent", "queued", "skipped", "left", "failed"):
        assert report.counts[status] == flat[status], status
    assert report.counts["duplicate"] == 0
    # nothing under the folder is missing from the report: a link to a folder is either
    # reported itself (a loop, a folder already read) or followed (its files are reported)
    for path in files_under(root) - set(outcomes):
        assert path.is_symlink() and any(o.is_relative_to(path) for o in outcomes), path
    # the left-out folders are named, each with the reason on each file
    assert set(report.skipped_folders) == {"Account/INBOX", "notmuch"}
    left = {m.source.name: m.reason for m in report.messages if m.status == "left"}
    assert all(reason is not None for reason in left.values())
    text = "\n".join(report.summary(mailer.translator, "pl"))
    assert "Celowo nie zaimportowano" in text and "Account/INBOX" in text

    # a second run adds nothing
    again = await asyncio.wait_for(mailer.import_path(root, account="jan"), 60)
    assert again.counts["sent"] == again.counts["queued"] == 0
    assert again.counts["duplicate"] == flat["sent"] + flat["queued"]


async def test_every_file_under_a_thunderbird_folder_is_accounted_for(tmp_path: Path) -> None:
    root = tmp_path / "thunderbird"  # the folder holding profiles.ini
    profile = thunderbird_profile(root / "Profiles" / "abcd1234.default-release")
    local = profile.root / "Mail" / "Local Folders"
    # what a profile holds besides mail: caches, a folder list, a mailbox without its
    # index, a Maildir-store folder with a message still being delivered, a link loop
    write(profile.root / "folderTree.json", b'{"mailbox://nobody@Local%20Folders/Inbox":{}}')
    write(profile.root / "cache2" / "entries" / "0A1B2C", b"\x00\x01binary cache")
    write(local / "Archives", mbox_bytes([message_bytes_of(1)]))
    archive = write_maildir(local / "Stare", cur=[(message_bytes_of(2), "S")])
    write(archive / "tmp" / "1700000000.123.host", message_bytes_of(3))
    (profile.root / "loop").symlink_to(profile.root, target_is_directory=True)
    # another profile that is not the installation's default
    write(root / "Profiles" / "old.default" / "prefs.js", b'user_pref("mail.smtpservers", "");\n')
    write(root / "Profiles" / "old.default" / "Mail" / "Local Folders" / "Sent", b"")
    write(
        root / "profiles.ini",
        b"[Profile0]\nPath=Profiles/old.default\nIsRelative=1\nDefault=1\n\n"
        b"[Profile1]\nPath=Profiles/abcd1234.default-release\nIsRelative=1\n\n"
        b"[InstallABC]\nDefault=Profiles/abcd1234.default-release\n",
    )
    async with AsyncMailer(config=load_config()) as m:
        report = await asyncio.wait_for(m.import_path(root), 60)
    assert report.format == "thunderbird" and not report.failures

    # every file is in the report, and the counts add up to the outcomes
    sources = {o.source for o in report.messages} | {p.source for p in report.failures}
    assert sources == files_under(root)
    assert sum(report.counts[s] for s in ("queued", "sent", "duplicate", "skipped", "left")) == (
        len(report.messages)
    )
    assert report.counts["queued"] == len(profile.unsent)
    assert report.counts["sent"] == len(profile.sent) + len(profile.gmail_sent)

    # each file left out says why; mail is never called "not mail"
    left = {o.source: o.reason for o in report.messages if o.status == "left"}
    assert all(r is not None for r in left.values())
    why = {path: r.text.msgid for path, r in left.items() if r is not None}
    rel = {
        str(path.relative_to(profile.root)): msgid
        for path, msgid in why.items()
        if path.is_relative_to(profile.root)
    }
    assert rel["prefs.js"] == rel["logins.json"] == imp.REASON_SETTINGS_READ.msgid
    assert why[root / "profiles.ini"] == imp.REASON_SETTINGS_READ.msgid
    for name in ("Sent.msf", "Inbox.msf", "Unsent Messages.msf"):
        assert rel[f"Mail/Local Folders/{name}"] == imp.REASON_INDEX_FILE.msgid
    for name in (
        "Inbox",
        "Trash",
        "Archives",
        "Stare/cur/" + next((archive / "cur").iterdir()).name,
    ):
        assert rel[f"Mail/Local Folders/{name}"] == imp.REASON_IN_FOLDER.msgid, name
    assert rel["Mail/Local Folders/Stare/tmp/1700000000.123.host"] == imp.REASON_IN_DELIVERY.msgid
    for name in ("key4.db", "times.json", "folderTree.json", "cache2/entries/0A1B2C"):
        assert rel[name] == imp.REASON_NOT_MAIL_FILE.msgid, name
    assert rel["loop"] == imp.REASON_LINK_SEEN.msgid
    old = root / "Profiles" / "old.default"
    assert why[old / "Mail" / "Local Folders" / "Sent"] == imp.REASON_OTHER_PROFILE.msgid
    assert why[old / "prefs.js"] == imp.REASON_SETTINGS_READ.msgid  # read to choose the profile
    archives = left[local / "Archives"]
    assert archives is not None and archives.params == {"folder": "Mail/Local Folders/Archives"}
    assert set(report.skipped_folders) >= {"Local Folders/Inbox", "Local Folders/Stare"}


async def test_thunderbird_folder_roles_from_its_folder_cache(tmp_path: Path) -> None:
    """Folders named in no language we know, flagged Sent / Outbox by Thunderbird itself."""
    profile = thunderbird_profile(tmp_path / "abcd1234.default-release")
    local = profile.root / "Mail" / "Local Folders"
    write(local / "Korespondencja", mbox_bytes([message_bytes_of(11), message_bytes_of(12)]))
    write(local / "Korespondencja.msf", b"")
    write(local / "Czeka", mbox_bytes([message_bytes_of(13)]))
    write(local / "Czeka.msf", b"")
    write(local / "Kosz", mbox_bytes([message_bytes_of(14)]))
    write(local / "Kosz.msf", b"")
    windows = "C:\\Users\\Jan\\AppData\\Roaming\\Thunderbird\\Profiles\\abcd1234.default-release"
    cache = {
        # written on Windows, then the profile was copied here
        f"{windows}\\Mail\\Local Folders\\Korespondencja.msf": {
            "flags": 0x200 | 0x4,
            "totalMsgs": 2,
        },
        str(local / "Czeka.msf"): {"flags": 0x800 | 0x4},  # the Outbox ("Unsent Messages")
        str(local / "Kosz.msf"): {"flags": 0x100 | 0x4},  # Trash: left, as by name
        str(local / "Inbox.msf"): {"flags": 0x1000 | 0x4},
        "garbage": "not a folder",
    }
    write(profile.root / "folderCache.json", json.dumps(cache).encode())
    async with AsyncMailer(config=load_config()) as m:
        report = await asyncio.wait_for(m.import_path(profile.root), 60)
    assert not report.failures
    status = Counter((o.source.name, o.status) for o in report.messages)
    assert status[("Korespondencja", "sent")] == 2
    assert status[("Czeka", "queued")] == 1
    assert status[("Kosz", "left")] == 1 and status[("Inbox", "left")] == 1
    assert "Local Folders/Kosz" in report.skipped_folders
    left = {o.source.name: o.reason for o in report.messages if o.status == "left"}
    cache_reason = left["folderCache.json"]
    assert cache_reason is not None and cache_reason.text == imp.REASON_SETTINGS_READ


async def test_maildir_format_on_an_mbsync_folder_imports_sent(
    tmp_path: Path, mailer: AsyncMailer
) -> None:
    account = tmp_path / "Mail" / "Konto"
    write_maildir(account / "INBOX", cur=[(message_bytes_of(1), "S")])
    write_maildir(account / "Elementy wysłane", cur=[(message_bytes_of(2), "S")])
    write_maildir(account / "Sent Items", new=[message_bytes_of(3)])
    report = await asyncio.wait_for(
        mailer.import_path(account, format="maildir", account="jan"), 60
    )
    assert report.counts["sent"] == 2 and report.counts["left"] == 1
    assert report.skipped_folders == ["INBOX"]


def test_sniffing_tells_mail_from_other_files(tmp_path: Path) -> None:
    assert sniff_file(write(tmp_path / "a", message_bytes_of(1))) == "message"
    assert sniff_file(write(tmp_path / "b", b"Return-Path: <a@b.pl>\r\nX-Foo: 1\r\n\r\n")) == (
        "message"
    )
    assert sniff_file(write(tmp_path / "c", b"From a@b.pl Mon Jan  1 10:00:00 2024\nA: b\n")) == (
        "mbox"
    )
    assert sniff_file(write(tmp_path / "d", b"key: value\nother: thing\n")) is None
    assert sniff_file(write(tmp_path / "e", b"\x89PNG\r\n\x1a\n")) is None
    assert sniff_file(tmp_path / "missing") is None


def test_a_link_loop_is_planned_once(tmp_path: Path) -> None:
    root = write_maildir(tmp_path / "Sent", new=[message_bytes_of(1)])
    (root / "again").symlink_to(root, target_is_directory=True)
    plans = plan_tree(root, forced=False)
    assert [(p.path.name, p.action) for p in plans] == [
        (next((root / "new").iterdir()).name, "maildir"),
        ("again", "left"),
    ]


async def test_a_cut_multipart_is_imported_with_a_note_on_its_entry(
    tmp_path: Path, mailer: AsyncMailer
) -> None:
    whole = message_bytes_of(7)
    cut = whole[: len(whole) * 2 // 3]  # inside the attachment: no closing boundary
    path = write(tmp_path / "Sent" / "cut.eml", cut)
    report = await asyncio.wait_for(mailer.import_path(path), 30)
    assert report.counts["sent"] == 1 and not report.failures
    (outcome,) = report.messages
    assert outcome.reason is not None and "closing boundary" in outcome.reason.text.msgid
    entry = await (await mailer.outbox()).get("<msg-7@firma.pl>")
    assert entry is not None and "closing boundary" in entry.metadata["import.note"]
