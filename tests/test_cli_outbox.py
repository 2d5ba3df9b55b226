"""``mailplug send``, ``mailplug outbox …`` and ``mailplug status`` against a real SMTP server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from tests.smtp_server import Script

from mailplug.cli import main


def write_accounts(path: Path, srv: Any, **settings: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    values = {"host": srv.host, "port": srv.port, "security": "none", "timeout": 5.0, **settings}
    inline = ", ".join(
        f"{k} = {json.dumps(v) if isinstance(v, str) else v}" for k, v in values.items()
    )
    path.write_text(
        "version = 1\n\n[accounts.biuro]\n"
        'email = "biuro@firma.pl"\n'
        'display_name = "Biuro Firma"\n'
        'auth = "none"\n'
        f"settings = {{ {inline} }}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def cli(tmp_path: Path, smtp_server: Any, capsys: pytest.CaptureFixture[str]) -> Any:
    srv = smtp_server(
        script=Script(
            rcpt={
                "nikt@example.com": "550 5.1.1 No such user",
                "pelna@example.com": "452 4.2.2 Mailbox full",
            }
        )
    )
    write_accounts(Path(os.environ["MAILPLUG_CONFIG"]), srv)

    class Runner:
        server = srv

        def __call__(self, *argv: str) -> tuple[int, str, str]:
            code = main(list(argv))
            captured = capsys.readouterr()
            return code, captured.out, captured.err

        def json(self, *argv: str) -> tuple[int, Any]:
            code, out, _ = self(*argv, "--json")
            data = json.loads(out)
            if isinstance(data, dict):  # every JSON object says which shapes it follows
                assert data.pop("json_version") == 1
            return code, data

    return Runner()


def send(cli: Any, *to: str, subject: str = "Faktura 7/2026") -> str:
    args = ["send", "--subject", subject, "--text", "W załączeniu faktura."]
    for address in to:
        args += ["--to", address]
    code, data = cli.json(*args)
    assert code == 0 and data["status"] == "queued"
    return str(data["id"])


def test_send_queues_and_list_shows_waiting_mail(cli: Any) -> None:
    first = send(cli, "jan@example.com")
    second = send(cli, "ala@example.com", subject="Zażółć gęślą jaźń")
    code, data = cli.json("outbox", "list")
    assert code == 0
    assert data["waiting"] == 2
    assert [e["id"] for e in data["entries"]] == [second, first]
    assert data["entries"][0]["status"] == "queued"
    assert data["entries"][0]["status_text"] == "waiting to be sent"
    code, out, _ = cli("--lang", "pl", "outbox", "list")
    assert "2 wiadomości czekają na wysłanie." in out
    assert "oczekuje na wysłanie" in out and "Zażółć gęślą jaźń" in out
    code, data = cli.json("outbox", "count")
    assert data["waiting"] == 2 and data["counts"]["queued"] == 2
    code, data = cli.json("outbox", "list", "--search", "zażółć")
    assert [e["id"] for e in data["entries"]] == [second]
    assert cli.server.messages == []  # queued, not sent


def test_flush_sends_and_status_explains(cli: Any) -> None:
    ok = send(cli, "jan@example.com")
    mixed = send(cli, "ala@example.com", "nikt@example.com")
    code, data = cli.json("outbox", "flush")
    assert code == 69  # a recipient failed for good
    assert data["counts"] == {"sent": 1, "partial": 1}
    assert data["waiting"] == 0
    assert [p["error"] for p in data["problems"]] == ["smtp.recipient.unknown"]
    code, entry = cli.json("status", ok)
    assert code == 0 and entry["status"] == "sent"
    assert entry["history"][0]["code"] == 250
    code, entry = cli.json("status", mixed)
    assert entry["status"] == "partial"
    refused = {r["address"]: r for r in entry["recipients"]}["nikt@example.com"]
    assert refused["status"] == "failed"
    assert refused["error"]["key"] == "smtp.recipient.unknown"
    assert refused["error"]["code"] == 550
    assert refused["error"]["message"]
    code, out, _ = cli("--lang", "pl", "outbox", "show", mixed[:6])
    assert code == 0
    assert "Historia" in out and "Odbiorcy" in out and "odrzucony" in out
    assert "550 5.1.1 No such user" in out
    code, out, _ = cli("--lang", "en", "status", mixed)
    assert "History" in out and "refused" in out
    code, found = cli.json("outbox", "find", "faktura")
    assert {e["id"] for e in found} == {ok, mixed}
    code, found = cli.json("outbox", "find", "--to", "ala@")
    assert [e["id"] for e in found] == [mixed]


def test_flush_text_summary_and_deferred_exit_code(cli: Any) -> None:
    later = send(cli, "pelna@example.com")
    code, out, _ = cli("--lang", "pl", "outbox", "flush", "--no-progress")
    assert code == 75
    assert "czeka na ponowną próbę" in out
    assert later in out
    assert "1 wiadomość czeka na wysłanie." in out
    code, out, _ = cli("--lang", "en", "outbox", "flush", "--progress")
    assert code == 0
    assert "Nothing to send." in out


def test_retry_cancel_purge_resume(cli: Any) -> None:
    failed = send(cli, "nikt@example.com")
    waiting = send(cli, "jan@example.com")
    code, data = cli.json("outbox", "cancel", waiting)
    assert data == {"cancelled": 1}
    code, data = cli.json("outbox", "flush")
    assert data["counts"] == {"failed": 1}
    code, data = cli.json("outbox", "retry", "--all")
    assert data == {"retried": 1}
    code, entry = cli.json("status", failed)
    assert entry["status"] == "queued"
    code, out, _ = cli("--lang", "pl", "outbox", "retry", failed)
    assert "1 wiadomość zostanie wysłana ponownie." in out
    code, data = cli.json("outbox", "purge", "--older-than", "0")
    assert data == {"purged": 0}  # nothing sent yet
    code, data = cli.json("outbox", "purge", "--older-than", "0", "--status", "cancelled")
    assert data == {"purged": 1}
    code, data = cli.json("outbox", "resume", "biuro")
    assert data == {"account": "biuro", "resumed": False}
    code, out, err = cli("status", "ffffffffffff")
    assert code == 66
    assert "ffffffffffff" in err
    code, out, err = cli("outbox", "cancel")
    assert code == 64


def test_send_now_bypasses_the_outbox(cli: Any) -> None:
    code, data = cli.json("send", "--now", "--to", "jan@example.com", "--subject", "Teraz")
    assert code == 0 and data["accepted"] == ["jan@example.com"]
    code, data = cli.json("outbox", "count")
    assert data["waiting"] == 0
    assert len(cli.server.messages) == 1


def _mailplug(*args: str, **kwargs: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mailplug", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def _wait(predicate: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_ctrl_c_stops_flush_cleanly(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server(script=Script(delays={"data": 0.3}))
    write_accounts(Path(os.environ["MAILPLUG_CONFIG"]), srv, max_connections=1)
    ids = []
    for i in range(6):
        code = main(["send", "--to", f"o{i}@example.com", "--subject", f"s{i}", "--text", "x"])
        assert code == 0
    del ids
    proc = _mailplug("--lang", "en", "outbox", "flush", "--json")
    _wait(lambda: len(srv.messages) >= 1, 30)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 75, err
    report = json.loads(out)
    assert report["stopped"] is True
    assert 1 <= report["counts"]["sent"] < 6
    assert report["waiting"] == 6 - report["counts"]["sent"]
    assert report["released"] >= 1
    assert len(srv.messages) == report["counts"]["sent"]  # nothing half-sent, nothing twice


def test_work_picks_up_mail_queued_by_another_process(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server()
    write_accounts(Path(os.environ["MAILPLUG_CONFIG"]), srv)
    worker = _mailplug("outbox", "work", "--poll", "0.2")
    try:
        time.sleep(0.5)
        sender = _mailplug(
            "send", "--to", "jan@example.com", "--subject", "Z innego", "--text", "x"
        )
        assert sender.wait(30) == 0
        _wait(lambda: len(srv.messages) >= 1, 30)
    finally:
        worker.send_signal(signal.SIGINT)
        _, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    assert "Waiting for mail to send" in err
    assert srv.messages[0].message["Subject"] == "Z innego"
