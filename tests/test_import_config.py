"""Our own accounts file across versions: version 0 (mailplug 0.x) is upgraded, newer refused."""

from __future__ import annotations

import logging
import os
import stat
import tomllib
from pathlib import Path

import pytest
from tests.legacy_fixtures import mbox_bytes, thunderbird_profile, write

from mailplug.cli import main
from mailplug.config import CONFIG_VERSION, load_config
from mailplug.errors import ConfigurationError, VersionError

V0 = """\
# mailplug 0.9 accounts
language = "pl"
outbox_file = "/srv/app/outbox.sqlite3"

[[account]]
name = "biuro"
address = "biuro@firma.pl"
sender_name = "Biuro Firma"
reply_to = "sekretariat@firma.pl"
smtp_server = "smtp.firma.pl"
smtp_port = 587
smtp_user = "biuro@firma.pl"
smtp_password_env = "BIURO_PASSWORD"
default = true

[[account]]
address = "faktury@firma.pl"
smtp_server = "mail.firma.pl"
smtp_ssl = true
smtp_user = "faktury"
smtp_password = "Tajne!Haslo1"

[[account]]
address = "skaner@firma.pl"
smtp_server = "10.0.0.5"
smtp_port = 25
smtp_starttls = false
"""


def config_path() -> Path:
    return Path(os.environ["MAILPLUG_CONFIG"])


def write_config(text: str, mode: int = 0o600) -> Path:
    path = write(config_path(), text.encode("utf-8"))
    os.chmod(path, mode)
    return path


def test_version_0_is_upgraded_with_a_backup(caplog: pytest.LogCaptureFixture) -> None:
    path = write_config(V0)
    with caplog.at_level(logging.WARNING, logger="mailplug.config"):
        cfg = load_config(path)
    assert cfg.migrated_from == 0 and cfg.backup == path.with_name("accounts.toml.bak-v0")
    assert cfg.backup.read_text("utf-8") == V0  # the old file, byte for byte
    assert stat.S_IMODE(cfg.backup.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "upgraded from version 0 to 1" in caplog.text and "Tajne" not in caplog.text
    assert cfg.lang == "pl" and cfg.outbox == "/srv/app/outbox.sqlite3"
    biuro, faktury, skaner = cfg.accounts
    assert (biuro.name, faktury.name, skaner.name) == (
        "biuro",
        "faktury@firma.pl",
        "skaner@firma.pl",
    )
    assert biuro.default and biuro.display_name == "Biuro Firma"
    assert [a.email for a in biuro.reply_to] == ["sekretariat@firma.pl"]
    assert biuro.settings == {"host": "smtp.firma.pl", "port": 587, "security": "starttls"}
    assert biuro.auth_settings == {"username": "biuro@firma.pl", "password_env": "BIURO_PASSWORD"}
    assert faktury.settings == {"host": "mail.firma.pl", "port": 465, "security": "tls"}
    assert faktury.auth_settings["password"] == "Tajne!Haslo1"  # kept, in an owner-only file
    assert skaner.auth is None and skaner.settings["security"] == "none"
    # the file on disk is now version 1 and reads back the same, without another upgrade
    on_disk = tomllib.loads(path.read_text("utf-8"))
    assert on_disk["version"] == CONFIG_VERSION
    again = load_config(path)
    assert again.migrated_from is None and again.backup is None
    assert [a.model_dump() for a in again.accounts] == [a.model_dump() for a in cfg.accounts]
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "accounts.toml",
        "accounts.toml.bak-v0",
    ]


def test_flat_single_account_version_0() -> None:
    path = write_config(
        'address = "jan@firma.pl"\nsmtp_server = "smtp.firma.pl"\nsmtp_user = "jan"\n'
    )
    cfg = load_config(path)
    (acc,) = cfg.accounts
    assert cfg.migrated_from == 0 and acc.email.email == "jan@firma.pl"
    assert acc.settings == {"host": "smtp.firma.pl", "port": 587, "security": "starttls"}


def test_a_second_upgrade_keeps_the_first_backup() -> None:
    path = write_config(V0)
    load_config(path)
    write_config(V0.replace("biuro@firma.pl", "biuro2@firma.pl"))
    cfg = load_config(path)
    assert cfg.backup == path.with_name("accounts.toml.bak-v0-2")
    assert "biuro@firma.pl" in path.with_name("accounts.toml.bak-v0").read_text("utf-8")


def test_version_0_with_a_password_readable_by_others_is_refused_untouched() -> None:
    path = write_config(V0, 0o644)
    with pytest.raises(ConfigurationError) as info:
        load_config(path)
    assert info.value.key == "config.secret_exposed"
    assert path.read_text("utf-8") == V0
    assert not path.with_name("accounts.toml.bak-v0").exists()


def test_version_0_with_an_unknown_setting_names_it() -> None:
    path = write_config(V0.replace("smtp_port = 25", "smtp_portt = 25"))
    with pytest.raises(ConfigurationError) as info:
        load_config(path)
    assert info.value.key == "account.invalid_settings"
    assert info.value.params["field"] == "account.smtp_portt"
    assert path.read_text("utf-8").startswith("# mailplug 0.9")


def test_a_place_that_cannot_be_written_upgrades_in_memory_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = write_config(V0)
    (path.parent / "accounts.toml.tmp").mkdir()  # save_config's temporary file cannot be made
    with caplog.at_level(logging.WARNING, logger="mailplug.config"):
        cfg = load_config(path)
    assert cfg.migrated_from == 0 and cfg.backup is None and len(cfg.accounts) == 3
    assert path.read_text("utf-8") == V0
    assert "could not be upgraded" in caplog.text


@pytest.mark.parametrize("version", [2, 99])
def test_newer_file_is_refused_with_the_component_version_message(version: int) -> None:
    path = write_config(f'version = {version}\n[accounts.x]\nemail = "x@firma.pl"\n')
    with pytest.raises(VersionError) as info:
        load_config(path)
    assert info.value.key == "version.too_new"
    assert info.value.message("pl").startswith("Plik")
    assert str(version) in info.value.message("pl")


def test_cli_says_the_file_was_upgraded(capsys: pytest.CaptureFixture[str]) -> None:
    write_config(V0)
    assert main(["accounts", "list", "--lang", "pl"]) == 0
    out, err = capsys.readouterr()
    assert "biuro" in out and "faktury@firma.pl" in out
    assert "Plik kont" in err and "z wersji 0 do wersji 1" in err and "bak-v0" in err
    assert main(["accounts", "list", "--lang", "pl"]) == 0
    assert "Plik kont" not in capsys.readouterr().err  # said once


def test_import_into_a_version_0_file_upgrades_then_appends(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The outbox under tmp_path: a shared /srv/app file may be another checkout's, newer.
    write_config(V0.replace("/srv/app/outbox.sqlite3", str(tmp_path / "outbox.sqlite3")))
    profile = thunderbird_profile(tmp_path / "profile")
    write(profile.root / "Mail" / "Local Folders" / "Sent", mbox_bytes([]))
    assert main(["import", str(profile.root), "--lang", "en", "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert "upgraded from version 0 to version 1" in err
    assert "2 accounts were added" in out and "1 account was already configured" in out
    cfg = load_config()
    assert [a.name for a in cfg.accounts] == [
        "biuro",
        "faktury@firma.pl",
        "skaner@firma.pl",
        "jan@firma.pl",
        "jan.kowalski@gmail.com",
    ]
    assert sum(a.default for a in cfg.accounts) == 1  # the old default stays the default
    assert cfg.accounts[1].auth_settings["password"] == "Tajne!Haslo1"
