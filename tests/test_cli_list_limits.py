"""``outbox cancel`` of unknown ids, and ``outbox list`` saying when its limit cut the list."""

from __future__ import annotations

from typing import Any

from tests.test_cli_outbox import cli, send

__all__ = ["cli"]  # the fixture, shared with test_cli_outbox


def test_cancel_of_an_unknown_id_exits_66_and_cancels_nothing(cli: Any) -> None:
    waiting = send(cli, "jan@example.com")
    code, data = cli.json("outbox", "cancel", waiting, "ffffffffffff")
    assert code == 66 and data["error"]["key"] == "outbox.not_found"
    assert "ffffffffffff" in data["error"]["message"]
    code, entry = cli.json("status", waiting)
    assert entry["status"] == "queued"  # a typo among the ids cancels none of them
    code, out, err = cli("--lang", "pl", "outbox", "cancel", "ffffffffffff")
    assert code == 66 and "ffffffffffff" in err and out == ""


def test_list_cut_by_its_limit_says_how_many_there_are(cli: Any) -> None:
    ids = [send(cli, f"osoba{i}@example.com", subject=f"Faktura {i}") for i in range(5)]
    code, data = cli.json("outbox", "list", "--limit", "2")
    assert code == 0 and len(data["entries"]) == 2
    assert data["more"] is True and data["total"] == len(ids)
    code, out, _ = cli("--lang", "en", "outbox", "list", "--limit", "2", "--offset", "2")
    assert f"Showing 3–4 of {len(ids)} messages" in out
    code, out, _ = cli("--lang", "pl", "outbox", "list", "--limit", "2")
    assert f"Pokazano 1–2 z {len(ids)} wiadomości" in out
    # Everything fits: no note.
    code, out, _ = cli("--lang", "en", "outbox", "list", "--limit", str(len(ids)))
    assert "Showing" not in out
    code, data = cli.json("outbox", "list", "--limit", str(len(ids)))
    assert data["more"] is False and data["total"] == len(ids)
    # A text filter cannot be counted cheaply: one probe says whether more match.
    code, data = cli.json("outbox", "list", "--search", "faktura", "--limit", "3")
    assert data["more"] is True and data["total"] is None
    code, out, _ = cli("--lang", "en", "outbox", "list", "--search", "faktura", "--limit", "3")
    assert "Showing 1–3; more messages match (--offset 3" in out
    code, data = cli.json("outbox", "list", "--search", "faktura 4", "--limit", "1")
    assert data["more"] is False and len(data["entries"]) == 1
    # Status filters are counted from the per-status counts.
    code, data = cli.json("outbox", "list", "--status", "sent", "--limit", "1")
    assert data["entries"] == [] and data["more"] is False
