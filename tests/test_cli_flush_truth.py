"""``mailplug outbox flush`` says what happened: exit codes and filled-in messages."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from tests.smtp_server import Script

from mailplug.cli import main

pytestmark = pytest.mark.timeout(60)


def write_accounts(path: Path, srv: Any, *, auth: str = "none") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "version = 1\n\n[accounts.biuro]\n"
        'email = "biuro@firma.pl"\n'
        f'auth = "{auth}"\n'
        f'settings = {{ host = "{srv.host}", port = {srv.port}, security = "none", '
        "timeout = 5.0 }\n",
        encoding="utf-8",
    )


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def queue(capsys: pytest.CaptureFixture[str]) -> str:
    code, out = run(capsys, "send", "--to", "jan@example.com", "--subject", "x", "--json")
    assert code == 0, out
    return str(json.loads(out)["id"])


def test_flush_paused_by_a_missing_password_exits_78(
    smtp_server: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MAILPLUG_PASSWORD_BIURO", raising=False)
    srv = smtp_server(users={"biuro@firma.pl": "tajne"}, auth_require_tls=False)
    write_accounts(Path(os.environ["MAILPLUG_CONFIG"]), srv, auth="password")
    queue(capsys)
    code, out = run(capsys, "outbox", "flush", "--json")
    data = json.loads(out)
    assert "biuro" in data["paused"], data
    assert code == 78
    assert srv.messages == []


def test_flush_json_problem_messages_have_their_placeholders_filled(
    smtp_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # The connection drops mid-session: "The connection to {host} was lost …".
    srv = smtp_server(script=Script(disconnect_after_rcpt=True))
    write_accounts(Path(os.environ["MAILPLUG_CONFIG"]), srv)
    queue(capsys)
    code, out = run(capsys, "--lang", "en", "outbox", "flush", "--json")
    assert code == 75
    [problem] = json.loads(out)["problems"]
    assert problem["message"]
    assert "…" not in problem["message"] and "{" not in problem["message"]
    assert srv.host in problem["message"]


def test_retry_during_an_account_hold_does_not_promise_a_send(
    smtp_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # Gmail's daily quota holds the account until the quota resets.
    srv = smtp_server(
        script=Script(rcpt={"jan@example.com": "550 5.4.5 Daily user sending limit exceeded."})
    )
    write_accounts(Path(os.environ["MAILPLUG_CONFIG"]), srv)
    entry = queue(capsys)
    code, out = run(capsys, "outbox", "flush", "--json")
    assert "biuro" in json.loads(out)["paused"], out

    code, out = run(capsys, "--lang", "en", "outbox", "retry", entry)
    assert code == 0
    assert "will be sent again" not in out
    assert "not sent yet" in out and "on hold until" in out
    assert "mailplug outbox resume biuro" in out
    code, out = run(capsys, "outbox", "retry", entry, "--json")
    assert json.loads(out)["waiting_for_account"] == ["biuro"]
    # And indeed the flush sends nothing while the hold lasts.
    code, out = run(capsys, "--lang", "en", "outbox", "flush")
    assert srv.messages == []
