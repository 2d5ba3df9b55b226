"""A first run: no accounts file yet. mailplug says where it looked and what to do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mailplug.cli import main


def test_accounts_list_without_accounts_says_where_it_looked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--lang", "pl", "accounts", "list"]) == 0
    out, err = capsys.readouterr()
    assert out == ""  # no empty table
    assert str(tmp_path / "config" / "accounts.toml") in err
    assert str(tmp_path / "data") in err and "mailplug accounts add --email" in err
    assert main(["--lang", "en", "accounts", "list"]) == 0
    assert capsys.readouterr().err != err  # both languages


def test_paths_names_the_files_in_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json", "paths"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["config"] == str(tmp_path / "config" / "accounts.toml")
    assert found["config_exists"] == "false"
    assert found["outbox"] == str(tmp_path / "data" / "outbox.sqlite3")
    other = tmp_path / "elsewhere"
    assert main(["--lang", "pl", "paths", "--data-dir", str(other)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].endswith(str(other)) and out[2].endswith(str(other / "outbox.sqlite3"))
    assert out[0].startswith("Plik kont")


@pytest.mark.parametrize(
    ("label", "value"),
    [("ssl", "tls"), ("SSL/TLS", "tls"), ("SSL / TLS", "tls"), ("STARTTLS", "starttls")],
)
def test_security_accepts_the_labels_mail_programs_show(label: str, value: str) -> None:
    from mailplug import Account

    account = Account.model_validate(
        {
            "name": "a",
            "email": "a@firma.pl",
            "transport": "smtp",
            "settings": {"host": "smtp.firma.pl", "security": label},
        }
    )
    from mailplug_smtp.settings import SmtpSettings

    assert SmtpSettings.model_validate(account.settings).security == value


def test_accounts_add_accepts_ssl_and_warns_on_a_port_security_mismatch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mailplug.config import load_config

    base = ["accounts", "add", "--email", "a@firma-xyz.pl", "--host", "mail.firma-xyz.pl", "--yes"]
    assert main([*base, "--port", "465", "--security", "SSL", "--lang", "pl"]) == 0
    assert "Uwaga" not in capsys.readouterr().err  # 465 + ssl (= tls) is right
    (account,) = load_config(tmp_path / "config" / "accounts.toml").accounts
    assert account.settings["security"] == "tls"
    assert main([*base, "--name", "b", "--port", "587", "--security", "tls", "--lang", "pl"]) == 0
    err = capsys.readouterr().err
    assert "587" in err and "starttls" in err and err.startswith("Uwaga")
    assert main([*base, "--name", "c", "--port", "465", "--security", "starttls"]) == 0
    assert capsys.readouterr().err.startswith("Warning: port 465")


def test_send_without_any_account_says_where_it_looked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--json", "send", "--to", "a@example.com", "--subject", "x", "--text", "y"])
    error = json.loads(capsys.readouterr().out)["error"]
    assert code == 78 and error["key"] == "account.none"
    assert str(tmp_path / "config" / "accounts.toml") in error["message"]
    assert main(["--lang", "pl", "send", "--to", "a@example.com", "--subject", "x"]) == 78
    err = capsys.readouterr().err
    assert "mailplug accounts add" in err
    # Before: "there is no account for —"; then "mailplug szukał go … i nic nie znalazł".
    path = tmp_path / "config" / "accounts.toml"
    assert err.startswith(
        f"Nie skonfigurowano żadnego konta pocztowego: w pliku {path} nie ma żadnego konta.\n"
    )
    assert "—" not in err
    assert main(["--lang", "pl", "accounts", "list"]) == 0
    assert "Sprawdzony plik z kontami:" in capsys.readouterr().err


def test_a_closed_pipe_prints_no_traceback(tmp_path: Path) -> None:
    # `mailplug i18n extract | head -1` once head has left: the reader end is closed
    # before the command writes, so its write meets a broken pipe every time.
    read_end, write_end = os.pipe()
    os.close(read_end)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailplug", "i18n", "extract"],
        stdout=write_end,
        stderr=subprocess.PIPE,
    )
    os.close(write_end)
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err
    assert proc.returncode == 141


def test_a_command_group_alone_prints_its_own_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["outbox"]) == 64
    out = capsys.readouterr().out
    assert out.startswith("usage: mailplug outbox") and "flush" in out and "work" in out
