"""Dates, times and sizes in messages go through babel, in the reader's language."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from tests.test_check_smtp import PASSWORD, USER, failed, login, run_check
from tests.test_cli_outbox import cli, send  # noqa: F401 - the fixture

from mailplug.text import format_when

PL_MONTHS = (
    "stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|października|"
    "listopada|grudnia"
)
PL_LONG = re.compile(rf"\d{{1,2}} ({PL_MONTHS}) \d{{4}}, \d{{2}}:\d{{2}}")
EN_LONG = re.compile(
    r"(January|February|March|April|May|June|July|August|September|October|November|December)"
    r" \d{1,2}, \d{4}, \d{1,2}:\d{2}\s(AM|PM)"
)
ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


@pytest.fixture
def warsaw(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Europe/Warsaw")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_format_when_in_polish_and_english(warsaw: None) -> None:
    moment = datetime(2026, 12, 4, 6, 6, 30, tzinfo=UTC)  # 07:06 in Warsaw
    assert format_when(moment, "pl") == "4 grudnia 2026, 07:06"
    assert format_when(moment, "en") == "December 4, 2026, 7:06\u202fAM"
    assert format_when(moment, "pl_PL", seconds=True, short=True) == "4 gru 2026, 07:06:30"
    assert format_when(moment, "xx") == "December 4, 2026, 7:06\u202fAM"  # unknown: English form


def test_status_and_list_show_times_in_the_readers_form(cli: Any) -> None:  # noqa: F811
    # Before: "2026-12-03 14:05" in every language.
    later = send(cli, "pelna@example.com")
    assert cli("--lang", "pl", "outbox", "flush", "--no-progress")[0] == 75
    code, out, _ = cli("--lang", "pl", "status", later)
    assert code == 0
    status_line = next(line for line in out.splitlines() if "następna próba" in line)
    assert PL_LONG.search(status_line), status_line
    assert not ISO.search(out), out
    code, out, _ = cli("--lang", "en", "status", later)
    assert EN_LONG.search(next(ln for ln in out.splitlines() if "next attempt" in ln)), out
    assert not ISO.search(out), out
    code, out, _ = cli("--lang", "pl", "outbox", "list")
    assert code == 0 and not ISO.search(out), out
    code, data = cli.json("status", later)  # JSON keeps ISO 8601
    assert ISO.match(data["next_attempt_at"])


async def test_certificate_expiry_note_is_a_localized_date(smtp_server: Any) -> None:
    srv = smtp_server(tls="tls", users={USER: PASSWORD}, expired_cert=True)
    report = await run_check([login(srv)])
    step = failed(report)
    notes = [n.render("pl", report.translator) for n in step.notes]
    assert any(PL_LONG.search(n) for n in notes), notes
    assert not any(ISO.search(n) for n in notes), notes
    assert ISO.match(step.seen["certificate"]["not_after"])  # the facts stay ISO 8601


def test_counts_in_sentences_use_the_languages_digit_grouping() -> None:
    # Before: "1234 wiadomości" / "1234 messages" (str(n)).
    from mailplug.i18n import default_translator
    from mailplug.texts import WAITING

    t = default_translator()
    assert t.gettext(WAITING, "pl", n=1234) == "1\u00a0234 wiadomości czekają na wysłanie."
    assert t.gettext(WAITING, "en", n=1234) == "1,234 messages are waiting to be sent."
    assert t.gettext(WAITING, "pl", n=5) == "5 wiadomości czeka na wysłanie."
