"""The accounts file: reading, secrets protection, versions; CLI commands over it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mailplug.cli import main
from mailplug.config import load_config
from mailplug.errors import ConfigurationError, VersionError
from mailplug.testing import MemoryTransport

GOOD = """\
version = 1
lang = "pl"

[accounts.biuro]
email = "biuro@firma.pl"
display_name = "Biuro Firma"
transport = "memory"
auth = "none"
default = true

[accounts.smtp]
email = "faktury@firma.pl"
transport = "smtp"
settings = { host = "smtp.firma.pl", port = 587, security = "starttls" }
auth_settings = { username = "faktury@firma.pl", password = "S3cret!pass" }
"""


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


def config_path() -> Path:
    return Path(os.environ["MAILPLUG_CONFIG"])


def test_load_accounts() -> None:
    cfg = load_config(write(config_path(), GOOD))
    assert [a.name for a in cfg.accounts] == ["biuro", "smtp"]
    assert cfg.lang == "pl" and cfg.accounts[0].auth is None


def test_file_with_password_readable_by_others_is_refused() -> None:
    path = write(config_path(), GOOD, 0o644)
    with pytest.raises(ConfigurationError) as info:
        load_config(path)
    err = info.value
    assert err.key == "config.secret_exposed"
    assert "S3cret" not in err.render("pl") and "S3cret" not in str(err)
    assert f"chmod 600 {path}" in err.advice("en")
    # Without a literal secret the same permissions are fine.
    write(path, GOOD.replace('password = "S3cret!pass"', 'password_env = "FAKTURY_PW"'), 0o644)
    assert len(load_config(path).accounts) == 2


def test_newer_file_is_refused_with_the_component_version_message() -> None:
    path = write(config_path(), "version = 99\n")
    with pytest.raises(VersionError) as info:
        load_config(path)
    assert info.value.key == "version.too_new"
    # Before: "… zapisała nowsza wersja składnika …, niż ta potrafi odczytać (1)." (garbled)
    assert info.value.message("pl") == (
        f"Plik {path} zapisała nowsza wersja składnika poczty elektronicznej: plik ma format "
        "w wersji 99, a ta wersja odczytuje formaty najwyżej do wersji 1."
    )
    assert info.value.message("en").endswith(
        "the file's format is version 99, and this version reads formats up to version 1."
    )


def test_invalid_toml_and_bad_account() -> None:
    with pytest.raises(ConfigurationError) as info:
        load_config(write(config_path(), "[accounts.x\n"))
    assert info.value.key == "config.unreadable"
    with pytest.raises(ConfigurationError) as info2:
        load_config(write(config_path(), "[accounts.x]\nemail = 'not an address'\n"))
    assert info2.value.key == "account.invalid_settings"
    assert info2.value.params["field"] == "email"
    assert "not an address" in info2.value.message("pl")


def test_cli_accounts_list_and_show_mask_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    write(config_path(), GOOD)
    assert main(["accounts", "list", "--json"]) == 0
    out = capsys.readouterr().out
    assert "S3cret" not in out
    assert [a["name"] for a in json.loads(out)] == ["biuro", "smtp"]
    assert main(["accounts", "show", "smtp"]) == 0
    out = capsys.readouterr().out
    assert "S3cret" not in out and "***" in out
    assert main(["accounts", "show", "nope", "--lang", "pl"]) == 78
    assert "Nie skonfigurowano poprawnie konta pocztowego" in capsys.readouterr().err


def test_cli_send_now_and_exit_codes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    write(config_path(), GOOD)
    MemoryTransport.outbox.clear()
    code = main(
        ["send", "--now", "--to", "jan@example.pl", "--subject", "Cześć", "--text", "x", "--json"]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["accepted"] == ["jan@example.pl"]
    assert MemoryTransport.outbox[-1].message["Subject"] == "Cześć"
    # Bad message data: 65; missing file: 66; config problem: 78; usage: 64.
    assert main(["send", "--now", "--to", "bad address"]) == 65
    assert main(["send", "--now", "--to", "a@b.pl", "--attach", str(tmp_path / "x.pdf")]) == 66
    assert main(["send", "--now", "--from", "nikt@firma.pl", "--to", "a@b.pl"]) == 78
    assert main(["send", "--bogus-flag"]) == 64


def test_cli_version_and_explain_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["api"] == "1.0"
    assert main(["explain", "file.problem", "--json", "--lang", "pl"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {
        "key",
        "category",
        "transient",
        "message",
        "advice",
        "category_label",
        "reply",
        "json_version",
    }
    assert data["key"] == "file.problem" and data["message"].startswith("Problem z plikiem e-mail")


def test_cli_send_queues_and_prints_the_message_id_that_goes_on_the_wire(
    capsys: pytest.CaptureFixture[str],
) -> None:
    write(config_path(), GOOD)
    assert main(["send", "--to", "jan@example.pl", "--subject", "Kolejka", "--json"]) == 0
    queued = json.loads(capsys.readouterr().out)
    assert queued["status"] == "queued"
    assert queued["message_id"].endswith("@firma.pl>")  # the account's domain, not a placeholder
    assert main(["status", queued["id"], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["message_id"] == queued["message_id"]
