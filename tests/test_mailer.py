"""The embedding API: account selection, async and sync use, versions, errors."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

import mailplug
from mailplug import AsyncMailer, Mailer, Message, require_version
from mailplug.errors import (
    AccountNotConfiguredError,
    ConfigurationError,
    MailplugError,
    VersionError,
)
from mailplug.testing import MemoryTransport, memory_account

ACCOUNTS = [
    memory_account("biuro", "biuro@firma.pl"),
    memory_account("faktury", "faktury@firma.pl"),
]


@pytest.fixture(autouse=True)
def _clear_memory() -> None:
    MemoryTransport.outbox.clear()


async def test_account_chosen_by_name_then_from_address_then_default() -> None:
    async with AsyncMailer(ACCOUNTS, outbox=None, entry_points=False) as mailer:
        await mailer.send(Message(account="faktury", to="a@example.com"))
        await mailer.send(Message(sender="Biuro <BIURO@firma.pl>", to="a@example.com"))
        await mailer.send(Message(to="a@example.com"))
    assert [m.account for m in MemoryTransport.outbox] == ["faktury", "biuro", "biuro"]
    first = MemoryTransport.outbox[0].message
    assert first["From"] == "faktury@firma.pl"


async def test_no_account_for_address_names_it() -> None:
    async with AsyncMailer(ACCOUNTS, outbox=None, entry_points=False) as mailer:
        with pytest.raises(AccountNotConfiguredError) as info:
            await mailer.send(Message(sender="kadry@firma.pl", to="a@example.com"))
    err = info.value
    assert err.key == "account.not_configured" and err.category == "configuration"
    assert "kadry@firma.pl" in err.message("pl")
    assert err.message("pl").startswith("Nie skonfigurowano poprawnie konta pocztowego")
    assert not err.transient


async def test_first_run_without_any_account_says_where_it_looked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MAILPLUG_CONFIG", str(tmp_path / "accounts.toml"))
    async with AsyncMailer([], outbox=None, entry_points=False) as mailer:
        with pytest.raises(AccountNotConfiguredError) as info:
            await mailer.send(Message(to="a@example.com"))
    err = info.value
    assert err.key == "account.none"
    for lang in ("pl", "en"):
        assert str(tmp_path / "accounts.toml") in err.message(lang)
        assert "mailplug accounts add" in err.advice(lang)
        assert "—" not in err.message(lang)


async def test_unknown_transport_is_a_settings_error() -> None:
    acc = {"name": "x", "email": "x@firma.pl", "transport": "pigeon", "auth": None}
    async with AsyncMailer([acc], outbox=None, entry_points=False) as mailer:
        with pytest.raises(ConfigurationError) as info:
            await mailer.send(Message(to="a@example.com"))
    assert info.value.key == "account.transport_unknown"
    assert "pigeon" in info.value.message("en") and "memory" in info.value.advice("en")


def test_sync_facade_from_a_plain_thread() -> None:
    results: list[object] = []

    def worker() -> None:
        with Mailer(ACCOUNTS, outbox=None, entry_points=False) as mailer:
            results.append(mailer.send(Message(to="a@example.com", subject="sync")))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert len(results) == 1 and MemoryTransport.outbox[-1].message["Subject"] == "sync"


async def test_sync_facade_inside_event_loop_is_a_clear_error() -> None:
    mailer = Mailer(ACCOUNTS, outbox=None, entry_points=False)
    with pytest.raises(MailplugError) as info:
        mailer.send(Message(to="a@example.com"))
    assert info.value.key == "api.sync_in_event_loop"
    assert "AsyncMailer" in info.value.advice("en")
    mailer.close()


def test_sync_errors_are_localized_with_the_mailers_catalogs() -> None:
    with (
        Mailer(ACCOUNTS, outbox=None, entry_points=False, lang="pl") as mailer,
        pytest.raises(MailplugError) as info,
    ):
        mailer.send(Message(sender="nikt@firma.pl", to="a@example.com"))
    assert info.value.translator is mailer.translator
    assert info.value.message().startswith("Nie skonfigurowano")


def test_require_version() -> None:
    assert require_version(">=0.1") == mailplug.__version__
    assert require_version("0.0.9") == mailplug.__version__
    with pytest.raises(VersionError) as info:
        require_version(">=99.2")
    err = info.value
    assert err.key == "version.too_old" and err.category == "version"
    pl = err.message("pl")
    assert "w wersji starszej, niż wymagana" in pl
    assert mailplug.__version__ in pl and ">=99.2" in pl
    with pytest.raises(VersionError) as info2:
        require_version("<0.1")
    assert info2.value.key == "version.unsupported"
    with pytest.raises(ValueError, match="not a version requirement"):
        require_version("banana")


def test_error_tree_and_stdlib_bases() -> None:
    from mailplug import errors

    assert issubclass(errors.ConnectionFailedError, ConnectionError)
    assert issubclass(errors.FileError, OSError)
    assert issubclass(errors.MessageError, ValueError)
    for cls in (errors.ConfigurationError, errors.DeliveryError, errors.StorageError):
        assert issubclass(cls, MailplugError)
    assert {c.value for c in errors.Category} == {
        "configuration",
        "authentication",
        "encryption",
        "connection",
        "recipient",
        "mailbox-full",
        "message-too-big",
        "rejected",
        "rate-limit",
        "server",
        "file",
        "version",
    }


def test_errors_pickle_and_render_both_languages() -> None:
    import pickle

    from mailplug import keys
    from mailplug.errors import ServerReply

    err = keys.SERVER_UNKNOWN.error(
        reply=ServerReply(550, "5.7.1", "Go away"), host="smtp.firma.pl", recipient="a@b.pl"
    )
    again = pickle.loads(pickle.dumps(err))
    assert again.key == err.key and again.reply == err.reply
    pl = err.render("pl").splitlines()
    assert pl[0] == "Serwer pocztowy odrzucił operację."
    assert pl[1] == "Serwer smtp.firma.pl odpowiedział: 550 5.7.1 Go away"
    assert pl[2] == "Odbiorca: a@b.pl"
    assert err.render("en").splitlines()[1] == "Server smtp.firma.pl replied: 550 5.7.1 Go away"
    data = err.to_dict("en")
    assert data["code"] == 550 and data["enhanced"] == "5.7.1" and data["category"] == "server"
    assert "550 5.7.1 Go away" in str(err)


async def test_status_hook_receives_events() -> None:
    from mailplug import StatusEvent, hookimpl
    from mailplug.storage import Status

    seen: list[StatusEvent] = []

    class Listener:
        @hookimpl
        def mailplug_message_status(self, event: StatusEvent) -> None:
            seen.append(event)

    class Broken:
        @hookimpl
        def mailplug_message_status(self, event: StatusEvent) -> None:
            raise RuntimeError("UI gone")

    mailer = AsyncMailer(outbox=None, entry_points=False, plugins=[Listener(), Broken()])
    mailer.emit(StatusEvent("1", "<m@x>", "biuro", Status.SENT))
    assert [e.status for e in seen] == [Status.SENT]
    await asyncio.sleep(0)
