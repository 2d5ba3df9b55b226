"""The redesigned core: keys owned by the core, meaning on the spec, one event source,
one way to call registration hooks, plugin commands, the explicit sync facade."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.outbox_support import Clock

from mailplug import AsyncMailer, Mailer, Message
from mailplug.cli import main
from mailplug.errors import ErrorInfo
from mailplug.events import StatusEvent
from mailplug.outbox import Outbox
from mailplug.plugin import (
    Category,
    Command,
    Envelope,
    ErrorSpec,
    RecipientResult,
    RecipientsRefusedError,
    SendResult,
    Status,
    Transport,
    hookimpl,
)
from mailplug.plugin import keys as core_keys
from mailplug.transport import RECIPIENTS_REFUSED

# -- a third-party transport with its own keys ------------------------------------------

#: A provider's own "daily quota used up" key: the spec says what it means for a retry.
PIGEON_QUOTA = ErrorSpec(
    "pigeon.quota",
    Category.RATE_LIMIT,
    True,
    "The pigeon loft sent its daily number of pigeons.",
    "Wait until tomorrow.",
    retry="quota-reset",
)
PIGEON_UNKNOWN = ErrorSpec(
    "pigeon.unknown_loft",
    Category.RECIPIENT,
    False,
    "No loft for {recipient}.",
    "Check the address.",
)


class PigeonTransport(Transport):
    """Refuses per a script: ``"quota"`` raises the quota key, ``"refuse"`` refuses every
    recipient with reply facts, else delivers."""

    mode = "deliver"
    sent: list[str] = []  # noqa: RUF012 - a test's class-level record

    async def send(self, envelope: Envelope, data: bytes) -> SendResult:
        if PigeonTransport.mode == "quota":
            raise PIGEON_QUOTA.error(host="loft")
        if PigeonTransport.mode == "refuse":
            results = [
                RecipientResult(r, False, 550, "5.1.1", "no such user") for r in envelope.recipients
            ]
            raise RecipientsRefusedError(RECIPIENTS_REFUSED, results=results, host="loft")
        PigeonTransport.sent.append(envelope.message_id)
        return SendResult(
            envelope.message_id,
            [RecipientResult(r, True, 250) for r in envelope.recipients],
            host="loft",
        )


class PigeonPlugin:
    __name__ = "pigeon"

    @hookimpl
    def mailplug_register_transports(self, register: Callable[..., None]) -> None:
        register("pigeon", lambda account, *, auth, services: PigeonTransport())

    @hookimpl
    def mailplug_register_messages(self, register: Callable[..., None]) -> None:
        register(PIGEON_QUOTA)
        register(PIGEON_UNKNOWN)


PIGEON = {"name": "loft", "email": "loft@firma.pl", "transport": "pigeon", "auth": None}


def _mailer(tmp_path: Path, **kwargs: Any) -> AsyncMailer:
    return AsyncMailer(
        [PIGEON], data_dir=tmp_path, plugins=[PigeonPlugin()], entry_points=False, **kwargs
    )


def _message(i: int = 1) -> Message:
    return Message(to="jan@example.pl", subject=f"Faktura {i}", text="…", account="loft")


# -- the bugs of issue 10 ---------------------------------------------------------------


def test_the_core_renders_its_own_outbox_keys_without_the_sqlite_plugin() -> None:
    mailer = AsyncMailer(outbox=None, disable_plugins=["sqlite"], entry_points=False)
    error = mailer.reason(ErrorInfo(key="outbox.expired", params={"days": 5}))
    assert error.key == "outbox.expired"
    assert "5" in error.message("pl") and error.message("pl") != error.message("en")


def test_the_core_renders_its_import_keys_without_the_legacy_plugin() -> None:
    mailer = AsyncMailer(outbox=None, disable_plugins=["legacy"], entry_points=False)
    assert mailer.reason(ErrorInfo(key="legacy.format_unknown")).key == "legacy.format_unknown"


def test_the_sync_mailer_returns_results_not_coroutines(tmp_path: Path) -> None:
    with Mailer([PIGEON], data_dir=tmp_path, plugins=[PigeonPlugin()], entry_points=False) as m:
        outbox = m.outbox()
        assert isinstance(outbox, Outbox)
        assert m.accounts["loft"].transport == "pigeon"
        assert m.reason(ErrorInfo(key="pigeon.quota")).key == "pigeon.quota"
    # Only the listed methods exist: nothing passes through by magic.
    assert not hasattr(Mailer, "__getattr__")
    with pytest.raises(AttributeError):
        m.runtime  # noqa: B018 - the attribute must not exist


# -- meaning lives on the spec --------------------------------------------------------


async def test_a_plugins_own_quota_key_holds_the_account_until_the_quota_resets(
    tmp_path: Path,
) -> None:
    clock = Clock()
    PigeonTransport.mode = "quota"
    try:
        async with _mailer(tmp_path) as m:
            ids = await m.enqueue_many([_message(i) for i in range(2)])
            report = await m.flush(clock=clock, concurrency=1)
            assert report.counts == {"deferred": 1}
            hold = report.paused["loft"]
            assert hold.until is not None and hold.until > clock.now
            entry = await m.status(ids[0])
            assert entry.error is not None and entry.error.key == "pigeon.quota"
            assert entry.attempts == 0  # waiting for a quota burns no retry
            assert (await m.flush(clock=clock)).claimed == 0
            PigeonTransport.mode = "deliver"
            clock.now = hold.until + timedelta(seconds=1)
            assert (await m.flush(clock=clock)).sent == 2
    finally:
        PigeonTransport.mode = "deliver"


async def test_refusals_are_classified_once_by_the_core_with_the_account(tmp_path: Path) -> None:
    seen: list[tuple[str, str | None]] = []

    class Classifier:
        __name__ = "loft-classifier"

        @hookimpl(tryfirst=True)
        def mailplug_classify_reply(self, reply: Any, stage: str, account: Any) -> Any:
            seen.append((stage, account.name if account else None))
            return PIGEON_UNKNOWN if reply.code == 550 else None

    PigeonTransport.mode = "refuse"
    try:
        async with AsyncMailer(
            [PIGEON],
            data_dir=tmp_path,
            plugins=[PigeonPlugin(), Classifier()],
            entry_points=False,
        ) as m:
            with pytest.raises(RecipientsRefusedError) as info:
                await m.send(_message())
            error = info.value
            assert error.key == "pigeon.unknown_loft"
            assert error.recipient == "jan@example.pl"
            assert [r.error_key for r in error.results] == ["pigeon.unknown_loft"]
            assert error.message("en") == "No loft for jan@example.pl."
            entry_id = await m.enqueue(_message(2))
            report = await m.flush()
            assert report.counts == {"failed": 1}
            entry = await m.status(entry_id)
            assert entry.recipients[0].error is not None
            assert entry.recipients[0].error.key == "pigeon.unknown_loft"
    finally:
        PigeonTransport.mode = "deliver"
    assert seen == [("rcpt", "loft"), ("rcpt", "loft")]


# -- one source of events ---------------------------------------------------------------


async def test_status_events_carry_subject_recipients_and_the_error(tmp_path: Path) -> None:
    events: list[StatusEvent] = []
    PigeonTransport.mode = "quota"
    try:
        async with _mailer(tmp_path, on_status=events.append) as m:
            entry_id = await m.enqueue(_message(7))
            await m.flush(clock=Clock())
            await m.cancel(entry_id)
    finally:
        PigeonTransport.mode = "deliver"
    mine = [e for e in events if e.id == entry_id]
    assert [e.status for e in mine] == [
        Status.QUEUED,
        Status.SENDING,
        Status.DEFERRED,
        Status.CANCELLED,
    ]
    assert all(e.subject == "Faktura 7" for e in mine[:3])
    assert all(e.recipients == ("jan@example.pl",) for e in mine[:3])
    deferred = mine[2]
    assert deferred.error is not None and deferred.error.key == "pigeon.quota"
    assert deferred.error_key == "pigeon.quota"
    # A listener renders the sentence from the event alone.
    assert m.reason(deferred.error).message("en").startswith("The pigeon loft")


# -- registration hooks ---------------------------------------------------------------------


def test_registration_hooks_honour_argnames_isolate_failures_and_refuse_wrappers() -> None:
    class NoArguments:
        __name__ = "no-arguments"

        @hookimpl
        def mailplug_register_transports(self) -> None:
            """Takes fewer arguments than the spec: called without any."""

    class Broken:
        __name__ = "broken"

        @hookimpl
        def mailplug_register_transports(self, register: Callable[..., None]) -> None:
            raise RuntimeError("boom")

    class Wrapper:
        __name__ = "wrapper"

        @hookimpl(wrapper=True)
        def mailplug_register_transports(self, register: Callable[..., None]) -> Any:
            return (yield)

    mailer = AsyncMailer(
        outbox=None,
        plugins=[NoArguments(), Broken(), Wrapper(), PigeonPlugin()],
        entry_points=False,
    )
    infos = {i.name: i for i in mailer.plugins.infos}
    assert infos["no-arguments"].status == "loaded"
    assert infos["broken"].status == "refused"
    assert infos["broken"].error is not None and "boom" in str(infos["broken"].error.params)
    assert infos["wrapper"].status == "refused"
    assert infos["wrapper"].error is not None
    assert "wrapper" in infos["wrapper"].error.params["problem"]
    assert "pigeon" in mailer.plugins.transports and "smtp" in mailer.plugins.transports
    assert infos["pigeon"].provides["transport"] == ["pigeon"]


def test_a_plugin_adds_a_cli_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def hello(ctx: Any, args: Any) -> int:
        ctx.print(f"hello {args.who} ({ctx.lang})")
        return 0

    class Greeter:
        __name__ = "greeter"

        @hookimpl
        def mailplug_register_commands(self, register: Callable[[Command], None]) -> None:
            register(
                Command(
                    "hello",
                    group="accounts",
                    help="say hello",
                    handler=hello,
                    arguments=lambda p: p.add_argument("who"),
                )
            )

    from mailplug import plugins

    real = plugins.Plugins

    def with_greeter(**kwargs: Any) -> Any:
        return real(plugins=[Greeter()], **kwargs)

    monkeypatch.setattr(plugins, "Plugins", with_greeter)
    assert main(["accounts", "hello", "Jan", "--lang", "pl"]) == 0
    assert capsys.readouterr().out.strip() == "hello Jan (pl)"


def test_core_keys_a_plugin_raises_come_from_the_plugin_api() -> None:
    assert core_keys.ACCOUNT_INVALID_SETTINGS.key == "account.invalid_settings"
    error = core_keys.MESSAGE_INVALID.error(field="to", problem="?")
    assert type(error).__name__ == "MessageError"  # declared by the spec, not by the key


async def test_an_on_status_listener_that_raises_does_not_stop_the_others(
    tmp_path: Path,
) -> None:
    heard: list[Status] = []

    def bad(event: StatusEvent) -> None:
        raise RuntimeError("listener bug")

    async with _mailer(tmp_path, on_status=bad) as m:
        m.on_status(lambda e: heard.append(e.status))
        await m.enqueue(_message())
        await asyncio.sleep(0)
    assert heard == [Status.QUEUED]
