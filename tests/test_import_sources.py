"""Importing eml, mbox, Maildir and a Thunderbird profile into a real SQLite outbox."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.legacy_fixtures import (
    REAL_WORLD,
    apple_mail,
    fake_pdf,
    gmail,
    mbox_bytes,
    no_date,
    no_message_id,
    outlook_2016,
    outlook_express,
    outlook_unsent,
    thunderbird,
    thunderbird_profile,
    tree_digest,
    write,
    write_maildir,
)

from mailplug.cli import main
from mailplug.config import load_config
from mailplug.errors import FileError
from mailplug.mailer import AsyncMailer
from mailplug.outbox import Filter, OutboxEntry
from mailplug.plugin import Kind, Progress
from mailplug.storage import Status
from mailplug.testing import MemoryTransport, memory_account


def config_path() -> Path:
    return Path(os.environ["MAILPLUG_CONFIG"])


@pytest.fixture
async def mailer() -> AsyncIterator[AsyncMailer]:
    """A mailer over the test's accounts file, with one memory account for jan@firma.pl."""
    m = AsyncMailer([memory_account("jan", "jan@firma.pl")], config=load_config())
    try:
        yield m
    finally:
        await m.aclose()


async def sent_history(m: AsyncMailer, **kw: Any) -> list[OutboxEntry]:
    """ "Find mail sent earlier": the outbox's own query API."""
    outbox = await m.outbox()
    return list(await outbox.query(Filter(statuses=(Status.SENT,), **kw)))


async def counts(m: AsyncMailer) -> dict[str, int]:
    return {k: v for k, v in (await m.counts()).items() if v}


# -- Thunderbird profile ------------------------------------------------------


async def test_thunderbird_profile_accounts_queued_and_history(tmp_path: Path) -> None:
    profile = thunderbird_profile(tmp_path / "abcd1234.default-release")
    before = tree_digest(profile.root)
    async with AsyncMailer(config=load_config()) as m:
        report = await asyncio.wait_for(m.import_path(profile.root), 60)
        assert report.format == "thunderbird"
        assert report.failures == []
        # three valid identities became accounts; the disabled one did not
        added = {a.email: a for a in report.accounts if a.added}
        assert set(added) == set(profile.identities)
        # the accounts file was written, without a single password
        saved = config_path().read_text(encoding="utf-8")
        assert "c2VjcmV0LWJpdXJv" not in saved and "password =" not in saved
        cfg = load_config()
        by_email = {a.email.email: a for a in cfg.accounts}
        for email, host in profile.identities.items():
            assert by_email[email].settings["host"] == host
        jan, biuro, gmail_acc = (
            by_email["jan@firma.pl"],
            by_email["biuro@firma.pl"],
            by_email["jan.kowalski@gmail.com"],
        )
        assert jan.settings == {"host": "smtp.firma.pl", "port": 587, "security": "starttls"}
        assert jan.default and jan.display_name == "Jan Kowalski"
        assert [str(a) for a in jan.reply_to] == ["jan.kowalski@firma.pl"]
        assert jan.imap is not None and jan.imap.host == "imap.firma.pl"
        assert jan.auth == "password" and jan.auth_settings == {"username": "jan@firma.pl"}
        assert biuro.settings == {"host": "mail.firma.pl", "port": 465, "security": "tls"}
        assert not biuro.default
        assert gmail_acc.auth == "gmail-oauth2"
        # the user is told to enter passwords / sign in again, per account
        notices = report.to_dict(m.translator, "en")["notices"]
        assert any("jan@firma.pl" in n and "password" in n for n in notices)
        assert any("jan.kowalski@gmail.com" in n and "Sign in" in n for n in notices)
        found = {a.email: a.secret_found for a in report.accounts}
        assert found["jan@firma.pl"] and found["biuro@firma.pl"]  # logins.json / prefs.js
        assert not found["jan.kowalski@gmail.com"]

        # unsent mail is queued, sent mail is history, the expunged one left out
        assert report.counts["queued"] == 2
        assert report.counts["sent"] == len(profile.sent) + len(profile.gmail_sent)
        assert report.counts["skipped"] == 1
        assert {"Local Folders/Inbox", "Local Folders/Trash"} <= set(report.skipped_folders)
        assert "imap.firma.pl/INBOX" in report.skipped_folders
        outbox = await m.outbox()
        queued = await outbox.query(Filter(statuses=(Status.QUEUED,)))
        assert {e.message_id for e in queued} == {"<queued-1@firma.pl>", "<queued-2@firma.pl>"}
        assert {e.account for e in queued} == {"jan@firma.pl", "biuro@firma.pl"}
        first = await outbox.get("<queued-1@firma.pl>")
        assert first is not None
        assert "archiwum@firma.pl" in {r.address for r in first.recipients}  # Bcc kept …
        assert first.to == ("piotr@example.com",)  # … but not listed

        # "find mail sent earlier": by text, by recipient, by date — with the original date
        (invoice,) = await sent_history(m, text="październik")
        assert invoice.sent_at == datetime(2023, 10, 3, 8, 15, 2, tzinfo=UTC)
        assert invoice.account == "jan@firma.pl"
        assert [e.message_id for e in await sent_history(m, recipient="anna.nowak")] == [
            invoice.message_id
        ]
        october = await sent_history(
            m, since=datetime(2023, 10, 1, tzinfo=UTC), until=datetime(2023, 11, 1, tzinfo=UTC)
        )
        assert invoice.message_id in {e.message_id for e in october}
        (gm,) = await sent_history(m, account="jan.kowalski@gmail.com")
        assert gm.message_id == "<gm-sent-1@gmail>"

        # the same profile again adds nothing
        totals = await counts(m)
        again = await asyncio.wait_for(m.import_path(profile.root), 60)
        assert again.imported == 0 and again.counts["accounts_added"] == 0
        assert again.counts["accounts_existing"] == 3
        assert again.counts["duplicate"] == report.imported
        assert await counts(m) == totals
        assert len(load_config().accounts) == 3
    assert tree_digest(profile.root) == before  # the source was never modified


async def test_the_thunderbird_folder_with_profiles_ini_imports_the_default_profile(
    tmp_path: Path,
) -> None:
    root = tmp_path / "Thunderbird"
    thunderbird_profile(root / "Profiles" / "abcd1234.default-release")
    old = root / "Profiles" / "zzzz0000.default"
    write(old / "prefs.js", b'user_pref("mail.identity.id1.useremail", "stary@firma.pl");\n')
    write(
        root / "profiles.ini",
        b"[Install4F96D1932A9F858E]\nDefault=Profiles/abcd1234.default-release\nLocked=1\n\n"
        b"[Profile1]\nName=default\nIsRelative=1\nPath=Profiles/zzzz0000.default\nDefault=1\n\n"
        b"[Profile0]\nName=default-release\nIsRelative=1\n"
        b"Path=Profiles/abcd1234.default-release\n\n[General]\nStartWithLastProfile=1\nVersion=2\n",
    )
    async with AsyncMailer(config=load_config()) as m:
        report = await asyncio.wait_for(m.import_path(root), 60)
    assert report.format == "thunderbird" and report.failures == []
    assert {a.email for a in report.accounts} == {
        "jan@firma.pl",
        "biuro@firma.pl",
        "jan.kowalski@gmail.com",
    }
    assert report.counts["queued"] == 2
    # an ini naming no profile that exists is reported, not guessed
    write(root / "profiles.ini", b"[Profile0]\nPath=Profiles/missing\n")
    async with AsyncMailer(config=load_config()) as m:
        broken = await asyncio.wait_for(m.import_path(root), 60)
    (problem,) = broken.failures
    assert problem.source == root / "profiles.ini"
    assert problem.error.key == "legacy.file.no_settings"


async def test_queued_mail_from_thunderbird_goes_out_without_bcc(tmp_path: Path) -> None:
    mbox = write(
        tmp_path / "Local Folders" / "Unsent Messages",
        mbox_bytes([thunderbird(msgid="<q@firma.pl>", status="0800", bcc="ukryty@firma.pl")]),
    )
    MemoryTransport.outbox.clear()
    async with AsyncMailer([memory_account("jan", "jan@firma.pl")], config=load_config()) as m:
        report = await asyncio.wait_for(m.import_path(mbox), 30)
        assert report.counts["queued"] == 1
        flushed = await asyncio.wait_for(m.flush(), 30)
        assert flushed is not None
    (sent,) = [s for s in MemoryTransport.outbox if s.envelope.message_id == "<q@firma.pl>"]
    assert "ukryty@firma.pl" in sent.envelope.recipients
    assert b"ukryty" not in sent.data and b"X-Mozilla" not in sent.data
    assert sent.message["Subject"] == "Umowa – poprawki"


async def test_a_locked_or_missing_folder_is_reported_and_the_rest_imported(
    tmp_path: Path,
) -> None:
    profile = thunderbird_profile(tmp_path / "profile")
    sent = profile.root / "Mail" / "Local Folders" / "Sent"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time\n"
            f"f = open({str(sent)!r}, 'rb'); fcntl.flock(f, fcntl.LOCK_EX)\n"
            "print('locked', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        async with AsyncMailer(config=load_config()) as m:
            report = await asyncio.wait_for(m.import_path(profile.root), 60)
            text = "\n".join(report.summary(m.translator, "pl"))
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(10)
    (problem,) = report.failures
    assert problem.error.key == "legacy.file.locked" and problem.source == sent
    assert "Zamknij stary program" in problem.error.advice("pl")
    assert problem.reason is not None and problem.reason.text.msgid == (
        "another program has locked it"
    )
    assert f"Plik {sent} jest zablokowany przez inny program." in text
    assert report.counts["queued"] == 2  # the rest went on
    assert report.counts["sent"] == 2  # Wysłane (IMAP) and the Gmail Sent Mail


async def test_a_folder_where_the_mailbox_file_should_be(tmp_path: Path) -> None:
    local = tmp_path / "Local Folders"
    (local / "Unsent Messages").mkdir(parents=True)
    write(local / "Unsent Messages.msf", b"")
    write(local / "Sent", mbox_bytes([outlook_2016()]))
    write(local / "Sent.msf", b"")
    async with AsyncMailer([memory_account("jan", "jan@firma.pl")], config=load_config()) as m:
        report = await asyncio.wait_for(m.import_path(local), 30)
    assert report.format == "thunderbird"
    (problem,) = report.failures
    assert problem.source == local / "Unsent Messages"
    assert problem.reason is not None and "folder" in problem.reason.text.msgid
    assert report.counts["sent"] == 1


async def test_thunderbird_maildir_store_folders(tmp_path: Path) -> None:
    """Thunderbird with the "one file per message" store keeps folders as Maildirs."""
    local = tmp_path / "Local Folders"
    write_maildir(local / "Sent", cur=[(outlook_2016(), ""), (gmail(sender="jan@firma.pl"), "")])
    write_maildir(local / "Unsent Messages", cur=[(thunderbird(msgid="<md-q@firma.pl>"), "")])
    write_maildir(local / "Inbox", cur=[(apple_mail(), "")])
    for name in ("Sent", "Unsent Messages", "Inbox"):
        write(local / f"{name}.msf", b"")
    async with AsyncMailer([memory_account("jan", "jan@firma.pl")], config=load_config()) as m:
        report = await asyncio.wait_for(m.import_path(local), 30)
    assert (report.counts["sent"], report.counts["queued"]) == (2, 1)
    assert report.skipped_folders == ["Local Folders/Inbox"]


# -- eml ----------------------------------------------------------------------


async def test_folder_of_eml_files_of_every_brand_and_some_broken(
    tmp_path: Path, mailer: AsyncMailer
) -> None:
    root = tmp_path / "export"
    for name, build in REAL_WORLD.items():
        write(root / f"{name}.eml", build())
    write(root / "Outbox" / "do-wyslania.eml", outlook_unsent())
    write(root / "broken" / "empty.eml", b"")
    write(root / "broken" / "cut.eml", outlook_2016()[:1500])
    write(root / "broken" / "binary.eml", fake_pdf())
    (root / "broken" / "folder.eml").mkdir()
    os.mkfifo(root / "broken" / "pipe.eml")
    before = tree_digest(root)
    report = await asyncio.wait_for(mailer.import_path(root, account="jan", kind=None), 60)
    files = len(REAL_WORLD) + 1 + 5
    c = report.counts
    assert c["queued"] + c["sent"] + c["duplicate"] + c["failed"] + c["skipped"] == files
    assert c["queued"] == 1 and c["sent"] == len(REAL_WORLD)
    failed = {p.source.name: p.reason.text.msgid for p in report.failures if p.reason}
    # the cut multipart is read as mail clients read it, with a note
    assert set(failed) == {"empty.eml", "binary.eml", "folder.eml", "pipe.eml"}
    (cut,) = [m for m in report.messages if m.source.name == "cut.eml"]
    # (the same Message-ID as the whole copy read before it: a duplicate, still noted)
    assert cut.status == "duplicate" and cut.reason is not None
    assert "closing boundary" in cut.reason.text.msgid
    # the whole copy came first, so the stored entry is the whole one: no note on it
    whole = await (await mailer.outbox()).get(cut.message_id or "")
    assert whole is not None and "import.note" not in whole.metadata
    assert "empty" in failed["empty.eml"]
    assert "folder" in failed["folder.eml"] and "folder" in failed["pipe.eml"]
    keys = {p.source.name: p.error.key for p in report.failures}
    assert keys == {
        "empty.eml": "legacy.file.empty",
        "binary.eml": "legacy.file.not_mail",
        "folder.eml": "legacy.file.not_file",
        "pipe.eml": "legacy.file.not_file",
    }
    for problem in report.failures:
        assert str(problem.source) in problem.error.message("pl")
    # mail from other addresses went to the --account fallback, Jan's own to his account
    history = await sent_history(mailer, limit=100)
    assert {e.account for e in history} == {"jan"}
    (oe,) = await sent_history(mailer, text="kosztów")
    assert oe.sender == "Paweł Łukasik <pawel@firma.pl>"
    assert oe.sent_at == datetime(2008, 4, 14, 8, 22, 33, tzinfo=UTC)
    assert tree_digest(root) == before


async def test_missing_date_uses_the_file_time_and_missing_id_a_content_hash(
    tmp_path: Path, mailer: AsyncMailer
) -> None:
    path = write(tmp_path / "a" / "bez-daty.eml", no_date())
    stamp = datetime(2019, 5, 4, 3, 2, 1, tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))
    write(tmp_path / "a" / "bez-id.eml", no_message_id())
    write(tmp_path / "a" / "bez-id-kopia.eml", no_message_id())  # same content: one entry
    report = await asyncio.wait_for(mailer.import_path(tmp_path / "a"), 30)
    assert (report.counts["sent"], report.counts["duplicate"]) == (2, 1)
    (dated,) = await sent_history(mailer, text="Bez daty")
    assert dated.sent_at == datetime(2019, 5, 4, 3, 2, 1, tzinfo=UTC)
    (anon,) = await sent_history(mailer, text="Bez identyfikatora")
    assert anon.message_id.startswith("<") and anon.message_id.endswith("@firma.pl>")


async def test_unknown_sender_is_reported_with_the_account_message(
    tmp_path: Path, mailer: AsyncMailer
) -> None:
    path = write(tmp_path / "obcy.eml", apple_mail())
    report = await asyncio.wait_for(mailer.import_path(path), 30)
    (problem,) = report.failures
    assert problem.error.key == "account.not_configured"
    assert "anna@icloud.com" in problem.error.message("pl")
    assert problem.error.message("pl").startswith("Nie skonfigurowano poprawnie konta pocztowego")
    assert report.imported == 0


async def test_unknown_format_and_missing_path(tmp_path: Path, mailer: AsyncMailer) -> None:
    junk = write(tmp_path / "photo.jpg", b"\xff\xd8\xff\xe0 JFIF")
    with pytest.raises(FileError) as info:
        await mailer.import_path(junk)
    assert info.value.key == "legacy.format_unknown"
    with pytest.raises(FileError) as info2:
        await mailer.import_path(tmp_path / "nope.mbox")
    assert info2.value.key == "legacy.file.missing"


# -- mbox -----------------------------------------------------------------------


async def test_mbox_with_escaping_crlf_and_progress(tmp_path: Path, mailer: AsyncMailer) -> None:
    msgs = [thunderbird(msgid=f"<m{n}@firma.pl>", subject=f"Wiadomość {n}") for n in range(150)]
    path = write(tmp_path / "Sent", mbox_bytes(msgs, line_ending=b"\r\n"))
    seen: list[Progress] = []
    report = await asyncio.wait_for(mailer.import_path(path, progress=seen.append), 60)
    assert report.format == "mbox" and report.counts["sent"] == 150
    assert seen and seen[-1].done == seen[-1].total == path.stat().st_size
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    outbox = await mailer.outbox()
    entry = await outbox.get("<m7@firma.pl>")
    assert entry is not None and entry.subject == "Wiadomość 7"
    # the ">From now on" body line came back unescaped, with CRLF endings
    raw = await _stored_bytes(mailer, "<m7@firma.pl>")
    assert b"\r\nFrom now on we use the new template.\r\n" in raw
    assert b">From now" not in raw


async def _stored_bytes(m: AsyncMailer, message_id: str) -> bytes:
    """The stored message, read straight from the outbox's SQLite file."""
    import sqlite3

    outbox = await m.outbox()
    entry = await outbox.get(message_id)
    assert entry is not None
    with sqlite3.connect(f"file:{outbox.path}?mode=ro", uri=True) as conn:
        row = conn.execute(
            "SELECT data FROM bodies JOIN messages USING (seq) WHERE messages.id = ?",
            (entry.id,),
        ).fetchone()
    return bytes(row[0])


async def test_apple_mail_export_folder(tmp_path: Path, mailer: AsyncMailer) -> None:
    export = tmp_path / "Sent Messages.mbox"
    write(
        export / "mbox",
        mbox_bytes([apple_mail(sender="jan@firma.pl"), gmail(sender="jan@firma.pl")]),
    )
    write(export / "table_of_contents", b"\x00\x01binary index")
    write(export / "Info.plist", b"<?xml version='1.0'?><plist/>")
    report = await asyncio.wait_for(mailer.import_path(export), 30)
    assert report.format == "mbox" and report.counts["sent"] == 2 and report.ok


async def test_unsent_messages_mbox_is_queued(tmp_path: Path, mailer: AsyncMailer) -> None:
    path = write(
        tmp_path / "Unsent Messages",
        mbox_bytes([thunderbird(msgid="<u1@firma.pl>", status="0800"), outlook_express()]),
    )
    report = await asyncio.wait_for(mailer.import_path(path, account="jan"), 30)
    assert report.counts["queued"] == 2
    assert (await mailer.counts())["queued"] == 2


async def test_dry_run_changes_nothing_then_sees_duplicates(
    tmp_path: Path, mailer: AsyncMailer
) -> None:
    profile = thunderbird_profile(tmp_path / "p")
    dry = await asyncio.wait_for(mailer.import_path(profile.root, dry_run=True), 60)
    # jan@firma.pl is configured already; the two other identities would be added …
    assert dry.dry_run and (dry.counts["accounts_added"], dry.counts["accounts_existing"]) == (2, 1)
    # … and their mail would be imported with them
    assert dry.counts["queued"] == 2
    assert dry.counts["sent"] == len(profile.sent) + len(profile.gmail_sent)
    assert not config_path().exists()
    assert mailer.accounts.keys() == {"jan"}
    assert await counts(mailer) == {}
    real = await asyncio.wait_for(mailer.import_path(profile.root), 60)
    assert real.counts["accounts_added"] == 2 and real.imported == dry.imported
    again = await asyncio.wait_for(mailer.import_path(profile.root, dry_run=True), 60)
    assert again.imported == 0 and again.counts["duplicate"] == real.imported


# -- Maildir --------------------------------------------------------------------


async def test_maildir_new_cur_flags_and_tmp(tmp_path: Path, mailer: AsyncMailer) -> None:
    root = write_maildir(
        tmp_path / "Sent",
        new=[outlook_2016(), gmail(sender="jan@firma.pl")],
        cur=[
            (thunderbird(), "S"),
            (thunderbird(msgid="<trashed@firma.pl>"), "ST"),
            (thunderbird(msgid="<draft@firma.pl>"), "DS"),
        ],
        tmp=[thunderbird(msgid="<half-delivered@firma.pl>")],
    )
    (root / "cur" / "1696100009.M9P1.mailhost:2,S").mkdir()
    report = await asyncio.wait_for(mailer.import_path(root), 30)
    assert report.format == "maildir"
    assert report.counts["sent"] == 3 and report.counts["skipped"] == 2
    assert [p.source.name for p in report.failures] == ["1696100009.M9P1.mailhost:2,S"]
    outbox = await mailer.outbox()
    for mid in ("<trashed@firma.pl>", "<draft@firma.pl>", "<half-delivered@firma.pl>"):
        assert await outbox.get(mid) is None


async def test_maildirplusplus_tree_imports_sent_and_outbox_only(
    tmp_path: Path, mailer: AsyncMailer
) -> None:
    root = write_maildir(tmp_path / "Maildir", new=[apple_mail()])
    write_maildir(root / ".Sent", cur=[(outlook_2016(), "S")])
    write_maildir(root / ".Outbox", new=[thunderbird(msgid="<ob@firma.pl>")])
    write_maildir(root / ".Drafts", cur=[(thunderbird(msgid="<d@firma.pl>"), "D")])
    report = await asyncio.wait_for(mailer.import_path(root), 30)
    assert (report.counts["sent"], report.counts["queued"]) == (1, 1)
    assert report.skipped_folders == ["INBOX", "Drafts"]


# -- CLI ------------------------------------------------------------------------


def test_cli_import_json_and_polish_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = thunderbird_profile(tmp_path / "profile")
    damaged = b"From: jan@firma.pl\x00\x01\nSubject: x\n\nbody\n"
    write(profile.root / "Mail" / "Local Folders" / "Sent", mbox_bytes([damaged]))
    assert main(["import", str(profile.root), "--json", "--lang", "pl", "--no-progress"]) == 65
    data = json.loads(capsys.readouterr().out)
    assert data["format"] == "thunderbird" and data["counts"]["accounts_added"] == 3
    assert data["counts"]["queued"] == 2 and data["counts"]["failed"] == 1
    (failure,) = data["failures"]
    assert failure["error"]["key"] == "legacy.file.damaged" and failure["index"] == 1
    assert failure["source"].endswith("Sent")
    assert failure["error"]["message"].startswith("Wiadomość w pliku")
    assert any("hasło" in n for n in data["notices"])
    assert tomllib.loads(config_path().read_text("utf-8"))["version"] == 1

    # second run, as text: nothing new, Polish plural forms
    assert main(["import", str(profile.root), "--lang", "pl", "--progress"]) == 65
    out, err = capsys.readouterr()
    # 2 queued + "Wysłane" + Gmail "Sent Mail": four duplicates, Polish "few" forms
    assert "3 konta były już skonfigurowane i pozostały bez zmian." in out
    assert "4 wiadomości były już zaimportowane – pominięto je." in out
    assert "1 element nie dał się zaimportować:" in out
    assert "jest uszkodzona od bajtu" in out and "dane binarne" in out
    assert "[" in err and "100%" in err  # the progress bar went to stderr


def test_cli_dry_run_and_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "archiwum.txt", mbox_bytes([outlook_2016(), outlook_express()]))
    write(config_path(), b"")
    code = main(
        ["import", str(path), "--format", "mbox", "--dry-run", "--as", "sent", "--lang", "en"]
    )
    out = capsys.readouterr().out
    assert code == 65  # no account for these senders
    assert out.startswith("Dry run: nothing was changed.")
    assert "there is no account for jan@firma.pl" in out
    assert main(["import", str(path), "--format", "nope"]) == 66


def test_kind_values() -> None:
    assert Kind("queued") is Kind.QUEUED and Kind("sent") is Kind.SENT
