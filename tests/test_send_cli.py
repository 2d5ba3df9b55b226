"""``mailplug send --now`` output in the user's language, against a real SMTP server."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from tests.smtp_server import Script

from mailplug.cli import main

pytestmark = pytest.mark.timeout(60)


def write_accounts(path: Path, srv: Any, *, lang: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    head = f'version = 1\nlang = "{lang}"\n' if lang else "version = 1\n"
    path.write_text(
        head + "\n[accounts.biuro]\n"
        'email = "biuro@firma.pl"\n'
        'auth = "none"\n'
        f'settings = {{ host = "{srv.host}", port = {srv.port}, security = "none", '
        "timeout = 5.0 }\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def refusing(smtp_server: Any) -> Any:
    srv = smtp_server(script=Script(rcpt={"nikt@example.com": "550 5.1.1 No such user"}))
    write_accounts(Path(os.environ["MAILPLUG_CONFIG"]), srv)
    return srv


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_send_now_in_polish_explains_the_refused_recipient(
    refusing: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "--lang", "pl", "send", "--now", "--to", "jan@example.com",
        "--to", "nikt@example.com", "--subject", "Test", "--text", "x",
    )  # fmt: skip
    assert code == 69
    assert out.startswith("Wysłano ")
    assert "przyjęci odbiorcy: 1, odrzuceni: 1" in out
    assert "Odrzucono nikt@example.com: Adres odbiorcy nie istnieje" in out
    assert "550 5.1.1 No such user" in out  # the server's own words, for support
    assert "accepted" not in out and "refused" not in out


def test_send_now_json_gives_key_category_and_transient_per_recipient(
    refusing: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "--lang", "pl", "send", "--now", "--to", "jan@example.com",
        "--to", "nikt@example.com", "--subject", "Test", "--text", "x", "--json",
    )  # fmt: skip
    assert code == 69
    data = json.loads(out)
    assert data["accepted"] == ["jan@example.com"]
    [refused] = data["refused"]
    assert refused["address"] == "nikt@example.com"
    assert refused["key"] == "smtp.recipient.unknown"
    assert refused["category"] == "recipient"
    assert refused["transient"] is False
    assert refused["message"].startswith("Adres odbiorcy nie istnieje")


def test_lang_in_the_accounts_file_applies_to_message_errors(
    smtp_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    write_accounts(Path(os.environ["MAILPLUG_CONFIG"]), smtp_server(), lang="pl")
    code, _, err = run(capsys, "send", "--now", "--to", "bad address", "--subject", "x")
    assert code == 65
    assert "nie jest prawidłowym adresem e-mail" in err
    assert "is not a valid" not in err


def test_send_now_temporary_failure_does_not_promise_an_automatic_resend(
    smtp_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    srv = smtp_server(script=Script(greeting="421 4.3.2 Service not available, try later"))
    write_accounts(Path(os.environ["MAILPLUG_CONFIG"]), srv)
    code, out, err = run(
        capsys, "--lang", "en", "send", "--now", "--to", "jan@example.com", "--subject", "x"
    )
    assert code == 75
    assert "sent again automatically" not in err
    assert "Nothing was queued" in err
    code, out, err = run(
        capsys, "--lang", "pl", "send", "--now", "--to", "jan@example.com", "--json"
    )
    data = json.loads(out)["error"]
    assert data["transient"] is True
    assert (
        "automatycznie" not in data["advice"]
        and "Nic nie trafiło do bufora poczty" in data["advice"]
    )
    assert srv.messages == []
