"""Rewriting ``accounts.toml`` keeps the user's comments and layout, and a backup."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest

from mailplug.cli import main
from mailplug.config import load_config

HAND_WRITTEN = """\
# Konta firmy Kowalski — edytuje: Ania (tel. 601 000 000)
version = 1
lang = "pl"   # komunikaty po polsku

[accounts.biuro]
# główna skrzynka, hasło w zmiennej środowiska
email = "biuro@firma.pl"
display_name = 'Biuro "Kowalski"'
transport = "smtp"      # domyślny, ale wolę go widzieć
settings = { host = "smtp.firma.pl", port = 587, security = "starttls" }  # od dostawcy
auth = "password"
auth_settings = { username = "biuro@firma.pl", password_env = "BIURO_PASSWORD" }

# tu kiedyś dopiszemy księgowość
"""


def add(email: str, *extra: str) -> int:
    return main(
        ["accounts", "add", "--email", email, "--host", "mail.firma-xyz.pl", "--yes", *extra]
    )


def test_accounts_add_keeps_comments_layout_and_a_backup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = Path(os.environ["MAILPLUG_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    os.chmod(path, 0o600)
    before = load_config(path)

    assert add("faktury@firma-xyz.pl", "--name", "faktury", "--json") == 0
    capsys.readouterr()
    text = path.read_text(encoding="utf-8")
    # Everything the user wrote is still there, byte for byte, in its place.
    assert text.startswith(HAND_WRITTEN)
    assert "[accounts.faktury]" in text[len(HAND_WRITTEN) :]
    # The result reads back to the old accounts plus the new one.
    after = load_config(path)
    assert [a.name for a in after.accounts] == ["biuro", "faktury"]
    assert after.accounts[0] == before.accounts[0]
    assert after.accounts[1].settings["host"] == "mail.firma-xyz.pl"
    assert tomllib.loads(text)["lang"] == "pl"
    # The previous file is kept beside it; both owner-only.
    backup = path.with_name("accounts.toml.bak")
    assert backup.read_text(encoding="utf-8") == HAND_WRITTEN
    for p in (path, backup):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600

    # A second change: the backup is the file just before it.
    assert add("kadry@firma-xyz.pl", "--name", "kadry", "--json") == 0
    assert backup.read_text(encoding="utf-8") == text
    assert path.read_text(encoding="utf-8").startswith(text)


def test_a_new_accounts_file_reads_back_and_has_no_backup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = Path(os.environ["MAILPLUG_CONFIG"])
    assert add("a@firma-xyz.pl", "--json") == 0
    assert not path.with_name("accounts.toml.bak").exists()  # nothing was there before
    assert add("b@firma-xyz.pl", "--port", "465", "--security", "ssl", "--json") == 0
    capsys.readouterr()
    config = load_config(path)
    assert [a.name for a in config.accounts] == ["a@firma-xyz.pl", "b@firma-xyz.pl"]
    assert config.accounts[0].default and not config.accounts[1].default
    assert config.accounts[1].settings["port"] == 465
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not path.with_name("accounts.toml.tmp").exists()
