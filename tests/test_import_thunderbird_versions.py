"""Thunderbird profiles as versions 38, 52, 78, 91, 115 and 128 leave them.

``profiles.ini`` with one ``Default=1`` profile or an ``[Install…]`` section beside an
older default, ``prefs.js`` headers of each era, ``try_ssl = 1`` (STARTTLS if available:
now required, and the report says so), OAuth2 (``authMethod`` 10), one identity listed
twice, the Maildir folder store, and an Exchange (EWS) account without SMTP.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tests.legacy_fixtures import thunderbird_version, tree_digest

from mailplug.config import load_config
from mailplug.mailer import AsyncMailer


@pytest.mark.parametrize("version", [38, 52, 78, 91, 115, 128])
async def test_thunderbird_version(tmp_path: Path, version: int) -> None:
    built = thunderbird_version(tmp_path / "Thunderbird", version)
    before = tree_digest(built.root)
    async with AsyncMailer(config=load_config()) as m:
        report = await asyncio.wait_for(m.import_path(built.root), 60)
        assert report.format == "thunderbird"
        added = {a.email.lower(): a for a in report.accounts if a.added}
        assert set(added) == set(built.accounts)
        assert report.counts["accounts_existing"] == 0  # a repeated identity is not "existing"
        by_email = {a.email.email.lower(): a for a in load_config().accounts}
        for email, want in built.accounts.items():
            assert by_email[email].settings == want["settings"], email
            assert by_email[email].auth == want["auth"], email
        problems = {p.error.params.get("address", ""): p.error.key for p in report.failures}
        assert problems == built.problems
        for problem in report.failures:
            assert "Exchange" in problem.error.message("en")
            assert "Exchange" in problem.error.message("pl")
            assert "smtp.office365.com" in problem.error.advice("pl")
        assert (report.counts["queued"], report.counts["sent"]) == (built.queued, built.sent)
        notices = report.to_dict(m.translator, "en")["notices"]
        for fragment in built.notes:
            assert any(fragment in n for n in notices), (fragment, notices)
        if version < 68:  # try_ssl = 1 stays STARTTLS-required, and the report says so
            (note,) = [n for n in report.notices() if "STARTTLS" in n.text.msgid]
            assert note.params["account"] == "jan@firma.pl"
            polish = report.to_dict(m.translator, "pl")["notices"]
            assert any("nigdy nie wyjdzie bez szyfrowania" in n for n in polish)
        else:
            assert not any("STARTTLS" in n for n in notices)
        if version >= 91:
            polish = report.to_dict(m.translator, "pl")["notices"]
            assert any("więcej niż raz" in n and "Jan@Firma.pl" in n for n in polish)
        assert "Local Folders/Inbox" in report.skipped_folders
    assert tree_digest(built.root) == before  # the profile is only read
