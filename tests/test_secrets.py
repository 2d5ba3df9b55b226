"""The secret stores: the owner-only JSON file and the OS keyring."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from mailplug import AsyncMailer, ConfigurationError, MailplugError, StorageError, VersionError
from mailplug_secrets import FileSecretStore, KeyringSecretStore

SECRET = "1//refresh-Zk9xQ-very-secret"
POSIX = sys.platform != "win32"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def polish(err: MailplugError) -> str:
    """The message in Polish: a store built outside a mailer raises errors that render
    with the core's catalogs only, so take a mailer's (it has every plugin's)."""
    return err.message("pl", translator=AsyncMailer(outbox=None, entry_points=False).translator)


# -- file store -------------------------------------------------------------------


async def test_file_store_round_trip(tmp_path: Path) -> None:
    store = FileSecretStore(tmp_path / "secrets" / "secrets.json")
    assert await store.get("gmail", "oauth.refresh_token") is None
    assert await store.meta("gmail", "oauth.refresh_token") is None
    assert not store.path.parent.exists()  # looking creates nothing

    await store.set("gmail", "oauth.refresh_token", SecretStr(SECRET), meta={"stored_at": "x"})
    value = await store.get("gmail", "oauth.refresh_token")
    assert value is not None and value.get_secret_value() == SECRET
    assert await store.meta("gmail", "oauth.refresh_token") == {"stored_at": "x"}
    assert await store.get("other", "oauth.refresh_token") is None

    await store.delete("gmail", "oauth.refresh_token")
    assert await store.get("gmail", "oauth.refresh_token") is None
    await store.delete("gmail", "oauth.refresh_token")  # absent: no error
    assert json.loads(store.path.read_text())["accounts"] == {}


@pytest.mark.skipif(not POSIX, reason="POSIX permissions")
async def test_file_store_is_owner_only_and_written_atomically(tmp_path: Path) -> None:
    os.umask(0o022)
    store = FileSecretStore(tmp_path / "data" / "secrets" / "secrets.json")
    for n in range(3):
        await store.set("acc", f"k{n}", SecretStr(SECRET), meta={"n": n})
    assert mode(store.path.parent) == 0o700
    assert mode(store.path) == 0o600
    # No temporary file is left behind; only the file and its lock.
    assert sorted(p.name for p in store.path.parent.iterdir()) == [
        "secrets.json",
        "secrets.json.lock",
    ]
    data = json.loads(store.path.read_text())
    assert data["version"] == 1
    assert sorted(data["accounts"]["acc"]) == ["k0", "k1", "k2"]


@pytest.mark.skipif(not POSIX, reason="POSIX permissions")
async def test_file_store_tightens_loosened_permissions(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = FileSecretStore(tmp_path / "secrets" / "secrets.json")
    await store.set("acc", "k", SecretStr(SECRET))
    os.chmod(store.path, 0o644)
    os.chmod(store.path.parent, 0o755)
    caplog.set_level("WARNING", logger="mailplug.secrets")
    assert await store.get("acc", "k") is not None
    assert mode(store.path) == 0o600
    assert mode(store.path.parent) == 0o700
    assert "owner-only" in caplog.text
    assert SECRET not in caplog.text


async def test_empty_file_says_it_is_empty(tmp_path: Path) -> None:
    store = FileSecretStore(tmp_path / "secrets" / "secrets.json")
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(b"")
    with pytest.raises(StorageError) as info:
        await store.get("a", "k")
    assert info.value.key == "storage.secrets_file_empty"
    shown = AsyncMailer(outbox=None).localize(info.value)
    assert shown.message("pl").endswith("plik jest pusty.")


async def test_damaged_file_is_a_storage_error_without_content(tmp_path: Path) -> None:
    store = FileSecretStore(tmp_path / "secrets" / "secrets.json")
    store.path.parent.mkdir(parents=True)
    store.path.write_text('{"accounts": {"a": {"k": {"value": "' + SECRET + '"')  # cut off
    with pytest.raises(StorageError) as info:
        await store.get("a", "k")
    err = info.value
    assert err.key == "storage.secrets_file_damaged"  # not "cannot be read": it was read
    shown = AsyncMailer(outbox=None).localize(err)  # the plugin's catalogs
    assert shown.message("pl").startswith("Problem z plikiem zapisanych logowań")
    assert "uszkodzony" in shown.message("pl") and "Zrestartuj" not in shown.advice("pl")
    assert err.spec.pauses == "account"
    assert str(store.path) in str(err)
    for text in (str(err), repr(err), err.render("pl"), err.render("en")):
        assert SECRET not in text
    assert "Problem z plikiem zapisanych logowań" in polish(err)


async def test_file_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    store = FileSecretStore(tmp_path / "secrets.json")
    store.path.write_text(json.dumps({"version": 99, "accounts": {}}))
    with pytest.raises(VersionError) as info:
        await store.get("a", "k")
    assert info.value.key == "version.too_new"


async def test_concurrent_writers_in_one_process_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    first, second = FileSecretStore(path), FileSecretStore(path)  # two mailers, one file
    await asyncio.gather(
        *((first if n % 2 else second).set("acc", f"k{n}", SecretStr(f"v{n}")) for n in range(20))
    )
    for n in range(20):
        value = await first.get("acc", f"k{n}")
        assert value is not None and value.get_secret_value() == f"v{n}"


@pytest.mark.skipif(not POSIX, reason="fcntl lock")
def test_two_processes_writing_keep_every_update(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "secrets.json"
    script = textwrap.dedent(
        """
        import asyncio, sys
        from pydantic import SecretStr
        from mailplug_secrets import FileSecretStore

        async def main(path, who):
            store = FileSecretStore(path)
            for n in range(15):
                await store.set(who, f"k{n}", SecretStr(f"{who}-{n}"))

        asyncio.run(main(sys.argv[1], sys.argv[2]))
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(path), who]) for who in ("p1", "p2")
    ]
    for proc in procs:
        assert proc.wait(timeout=60) == 0
    data = json.loads(path.read_text())["accounts"]
    assert {who: len(entries) for who, entries in data.items()} == {"p1": 15, "p2": 15}


async def test_mailer_opens_the_file_store_in_its_data_dir(tmp_path: Path) -> None:
    async with AsyncMailer(data_dir=tmp_path, outbox=None, entry_points=False) as mailer:
        store = await mailer.secrets()
        assert isinstance(store, FileSecretStore)
        assert store.path == tmp_path / "secrets" / "secrets.json"
        assert SECRET not in repr(store)


# -- keyring store ----------------------------------------------------------------


def _memory_backend() -> Any:
    import keyring.backend
    import keyring.errors

    class MemoryKeyring(keyring.backend.KeyringBackend):
        priority = 1

        def __init__(self) -> None:
            super().__init__()
            self.items: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.items.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.items[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            if self.items.pop((service, username), None) is None:
                raise keyring.errors.PasswordDeleteError("not found")

    return MemoryKeyring()


async def test_keyring_store_round_trip_with_meta() -> None:
    backend = _memory_backend()
    store = KeyringSecretStore(backend=backend)
    await store.set("gmail", "oauth.refresh_token", SecretStr(SECRET), meta={"stored_at": "t"})
    value = await store.get("gmail", "oauth.refresh_token")
    assert value is not None and value.get_secret_value() == SECRET
    assert await store.meta("gmail", "oauth.refresh_token") == {"stored_at": "t"}
    assert ("mailplug", "gmail/oauth.refresh_token") in backend.items
    await store.delete("gmail", "oauth.refresh_token")
    await store.delete("gmail", "oauth.refresh_token")  # absent: no error
    assert await store.get("gmail", "oauth.refresh_token") is None
    assert SECRET not in repr(store)


async def test_keyring_item_stored_by_hand_is_the_secret() -> None:
    backend = _memory_backend()
    backend.set_password("mailplug", "biuro/password", "plain-password")
    store = KeyringSecretStore(backend=backend)
    value = await store.get("biuro", "password")
    assert value is not None and value.get_secret_value() == "plain-password"
    assert await store.meta("biuro", "password") == {}


def test_keyring_without_a_backend_is_a_clear_error() -> None:
    from keyring.backends import fail

    with pytest.raises(ConfigurationError) as info:
        KeyringSecretStore(backend=fail.Keyring())
    assert info.value.key == "secrets.keyring_unavailable"
    assert "keyring" in info.value.message("en").lower()
    assert "pęk kluczy" in polish(info.value)


def test_keyring_package_missing_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keyring", None)  # import keyring → ImportError
    with pytest.raises(ConfigurationError) as info:
        KeyringSecretStore()
    assert info.value.key == "secrets.keyring_missing"
    assert "mailplug[keyring]" in info.value.advice("en")


async def test_keyring_failure_at_runtime_is_mapped() -> None:
    import keyring.errors

    backend = _memory_backend()

    def locked(service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the collection is locked")

    backend.get_password = locked
    store = KeyringSecretStore(backend=backend)
    with pytest.raises(ConfigurationError) as info:
        await store.get("gmail", "oauth.refresh_token")
    assert info.value.key == "secrets.keyring_unavailable"
    assert "KeyringLocked" in str(info.value)


async def test_mailer_with_keyring_store_and_no_backend_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "get_keyring", fail.Keyring)
    mailer = AsyncMailer(data_dir=tmp_path, outbox=None, secret_store="keyring", entry_points=False)
    with pytest.raises(ConfigurationError) as info:
        await mailer.secrets()
    assert info.value.key == "secrets.keyring_unavailable"
