"""ESMTP PIPELINING (RFC 2920) against a real aiosmtpd server that announces it.

The transport writes MAIL, every RCPT and DATA at once and reads the
replies in order; in a stream (``send_many``, used by the outbox flush) the
next message's commands go out with the previous message's end of data.
Every outcome must be what the one-command-at-a-time path gives.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import Counter
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtplib.protocol import SMTPProtocol
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.outbox_support import mailer as outbox_mailer
from tests.outbox_support import message as numbered
from tests.smtp_server import Script, SMTPServer

from mailplug import AsyncMailer, Message, hookimpl
from mailplug.dispatch import FlushProgress
from mailplug.errors import ConnectionFailedError, MailplugError
from mailplug.models import Account
from mailplug.storage import Status
from mailplug.transport import (
    Envelope,
    RecipientResult,
    RecipientsRefusedError,
    SendResult,
    Transport,
)
from mailplug_smtp.reply import parse_reply
from mailplug_smtp.wire import Wire

Server = Callable[..., SMTPServer]

SENDER = "sender@example.com"


def mailer(*accounts: Account | dict[str, Any]) -> AsyncMailer:
    return AsyncMailer(list(accounts), outbox=None, secret_store=None, entry_points=False)


def message(**fields: Any) -> Message:
    fields.setdefault("to", ["jan@example.pl"])
    fields.setdefault("subject", "Faktura za październik")
    fields.setdefault("text", "Dzień dobry,\nw załączeniu faktura.\n")
    return Message(**fields)


def raw(i: int, *, to: tuple[str, ...] = ("jan@example.pl",)) -> tuple[Envelope, bytes]:
    message_id = f"<pipe-{i}@example.com>"
    data = (
        f"From: {SENDER}\r\nTo: {', '.join(to)}\r\nSubject: nr {i}\r\n"
        f"Message-ID: {message_id}\r\n\r\nTreść {i}.\r\n.kropka na początku\r\n"
    ).encode()
    return Envelope(SENDER, to, message_id), data


async def failure(srv: SMTPServer, msg: Message, **settings: Any) -> MailplugError:
    with pytest.raises(MailplugError) as info:
        async with mailer(srv.account(**settings)) as m:
            await m.send(msg)
    return info.value


def chunk_with(srv: SMTPServer, *parts: bytes) -> bool:
    """Some single chunk the server received holds every one of ``parts``, in order."""
    for _, chunk in srv.received_chunks:
        at = 0
        for part in parts:
            at = chunk.find(part, at)
            if at < 0:
                break
        else:
            return True
    return False


async def stream(
    transport: Transport, items: list[tuple[Envelope, bytes]]
) -> list[SendResult | MailplugError]:
    return [outcome async for outcome in transport.send_many(items)]


# -- one transaction ----------------------------------------------------------------


async def test_mail_rcpt_and_data_go_out_in_one_write(smtp_server: Server) -> None:
    script = Script(rcpt={"nikt@example.pl": "550 5.1.1 No such user here"})
    srv = smtp_server(pipelining=True, record_input=True, script=script)
    to = ["jan@example.pl", "nikt@example.pl", "ola@example.pl"]
    async with mailer(srv.account()) as m:
        result = await m.send(message(to=to))
    assert result.partial
    assert [(r.address, r.accepted, r.code) for r in result.recipients] == [
        ("jan@example.pl", True, 250),
        ("nikt@example.pl", False, 550),
        ("ola@example.pl", True, 250),
    ]
    (refused,) = result.refused
    assert (refused.enhanced, refused.text) == ("5.1.1", "No such user here")
    assert refused.error_key == "smtp.recipient.unknown" and not refused.transient
    assert result.accepted[0].enhanced == "2.1.5"
    assert result.reply is not None and result.reply.code == 250
    (received,) = srv.messages
    assert received.envelope.rcpt_tos == ["jan@example.pl", "ola@example.pl"]
    assert chunk_with(
        srv,
        b"MAIL FROM:<sender@example.com>",
        b"RCPT TO:<jan@example.pl>\r\nRCPT TO:<nikt@example.pl>\r\nRCPT TO:<ola@example.pl>\r\n"
        b"DATA\r\n",
    )
    assert [verb for _, verb in srv.commands][1:6] == ["MAIL", "RCPT", "RCPT", "RCPT", "DATA-END"]


async def test_without_the_offer_each_command_waits_for_its_reply(smtp_server: Server) -> None:
    srv = smtp_server(record_input=True)  # aiosmtpd does not announce PIPELINING
    async with mailer(srv.account()) as m:
        assert (await m.send(message(to=["jan@example.pl", "ola@example.pl"]))).ok
    assert not chunk_with(srv, b"MAIL FROM:", b"RCPT TO:")
    assert not chunk_with(srv, b"RCPT TO:", b"DATA\r\n")


async def test_the_setting_turns_pipelining_off(smtp_server: Server) -> None:
    srv = smtp_server(pipelining=True, record_input=True)
    async with mailer(srv.account(pipelining=False)) as m:
        assert (await m.send(message())).ok
    assert not chunk_with(srv, b"MAIL FROM:", b"RCPT TO:")


async def test_every_recipient_refused_then_the_session_goes_on(smtp_server: Server) -> None:
    script = Script(
        rcpt={"pelna@example.pl": "452 4.2.2 Mailbox full", "nikt@example.pl": "550 5.1.1 No"}
    )
    srv = smtp_server(pipelining=True, script=script)
    async with mailer(srv.account()) as m:
        with pytest.raises(MailplugError) as info:
            await m.send(message(to=["pelna@example.pl", "nikt@example.pl"]))
        # The DATA that went with them got "503 need RCPT": read, not taken for the
        # reply to the next command.
        assert (await m.send(message(subject="następna"))).ok
    err = info.value
    assert err.key == "smtp.recipient.unknown" and err.recipient == "nikt@example.pl"
    assert err.params["stage"] == "RCPT TO"
    assert isinstance(err, RecipientsRefusedError)
    assert [r.code for r in err.results] == [452, 550]
    assert [r.transient for r in err.results] == [True, False]
    assert [r.message["Subject"] for r in srv.messages] == ["następna"]
    assert srv.connections == 1
    verbs = [verb for _, verb in srv.commands]
    assert verbs.index("RSET") > verbs.index("RCPT")


async def test_mail_from_refused_its_rcpt_and_data_replies_are_read(smtp_server: Server) -> None:
    refusals = iter(["553 5.7.1 Sender address rejected: not owned by user"])

    def mail(address: str) -> str | None:
        return next(refusals, None)

    srv = smtp_server(pipelining=True, script=Script(mail=mail))
    async with mailer(srv.account()) as m:
        with pytest.raises(MailplugError) as info:
            await m.send(message(to=["jan@example.pl", "ola@example.pl"]))
        assert (await m.send(message(subject="druga"))).ok
    err = info.value
    assert err.params["stage"] == "MAIL FROM"
    assert err.reply is not None and err.reply.code == 553 and err.reply.enhanced == "5.7.1"
    assert err.recipient is None
    assert [r.message["Subject"] for r in srv.messages] == ["druga"]
    assert srv.connections == 1


async def test_data_command_refused(smtp_server: Server) -> None:
    answers = iter(["451 4.3.0 Temporary server error, try again later"])
    script = Script(data_command=lambda rcpt_tos: next(answers, None))
    srv = smtp_server(pipelining=True, script=script)
    async with mailer(srv.account()) as m:
        with pytest.raises(MailplugError) as info:
            await m.send(message())
        assert (await m.send(message(subject="po błędzie"))).ok
    err = info.value
    assert err.params["stage"] == "DATA"
    assert err.reply is not None and err.reply.code == 451
    assert err.transient
    assert [r.message["Subject"] for r in srv.messages] == ["po błędzie"]
    assert srv.connections == 1


async def test_data_taken_without_recipients_is_ended_with_a_lone_dot(
    smtp_server: Server,
) -> None:
    # RFC 2920 3.1: a server may answer 354 to a pipelined DATA although every RCPT
    # failed; the client must then send a lone dot, not the message.
    script = Script(
        rcpt={"nikt@example.pl": "550 5.1.1 No such user"},
        data_command=lambda rcpt_tos: None if rcpt_tos else "354 Go ahead",
    )
    srv = smtp_server(pipelining=True, script=script)
    async with mailer(srv.account()) as m:
        with pytest.raises(MailplugError) as info:
            await m.send(message(to="nikt@example.pl"))
        assert (await m.send(message(subject="dalej"))).ok
    assert info.value.key == "smtp.recipient.unknown"
    assert srv.data_after_scripted_354 == [b".\r\n"]
    assert [r.message["Subject"] for r in srv.messages] == ["dalej"]
    assert srv.connections == 1


@pytest.mark.parametrize("tls", ["none", "tls"])
async def test_disconnect_in_the_middle_of_the_replies(smtp_server: Server, tls: str) -> None:
    srv = smtp_server(tls=tls, pipelining=True, script=Script(disconnect_after_rcpt=True))
    err = await failure(srv, message())
    assert isinstance(err, ConnectionFailedError)
    assert err.key == "smtp.disconnected"
    assert err.params["stage"] == "RCPT TO"
    assert not srv.messages


async def test_421_to_a_recipient_ends_the_session(smtp_server: Server) -> None:
    script = Script(rcpt={"ola@example.pl": "421 4.7.0 Too many errors, bye"})
    srv = smtp_server(pipelining=True, script=script)
    err = await failure(srv, message(to=["jan@example.pl", "ola@example.pl"]))
    assert err.reply is not None and err.reply.code == 421
    assert err.key == "smtp.service.unavailable" and err.transient
    assert err.params["stage"] == "RCPT TO"
    assert not srv.messages


@pytest.mark.parametrize("tls", ["none", "starttls"])
async def test_disconnect_after_end_of_data_is_uncertain(smtp_server: Server, tls: str) -> None:
    srv = smtp_server(tls=tls, pipelining=True, script=Script(disconnect_after_data=True))
    msg = message(message_id="<uncertain-pipe@example.com>")
    err = await failure(srv, msg)
    assert err.key == "smtp.uncertain" and err.transient
    assert [r.message_id for r in srv.messages] == [msg.message_id]


@pytest.mark.parametrize(
    ("stage", "key", "label"),
    [("rcpt", "smtp.timeout", "RCPT TO"), ("data", "smtp.uncertain", "DATA")],
)
async def test_timeout_waiting_for_a_pipelined_reply(
    smtp_server: Server, stage: str, key: str, label: str
) -> None:
    srv = smtp_server(pipelining=True, script=Script(delays={stage: 3}))
    started = time.monotonic()
    err = await failure(srv, message(), timeout=0.3)
    assert err.key == key  # after the end of data the server may have the message
    assert err.params["stage"] == label
    assert time.monotonic() - started < 3


async def test_smtputf8_size_and_dot_stuffing(smtp_server: Server) -> None:
    srv = smtp_server(pipelining=True, record_input=True)
    text = "Zażółć gęślą jaźń\n.kropka\n..dwie\n.\nkoniec\n"
    async with mailer(srv.account()) as m:
        result = await m.send(message(to="Żaneta <żaneta@przykład.pl>", text=text))
    assert result.ok
    (received,) = srv.messages
    assert "SMTPUTF8" in received.envelope.mail_options
    assert any(o.startswith("SIZE=") for o in received.envelope.mail_options)
    assert "BODY=8BITMIME" in received.envelope.mail_options
    assert received.message.get_content().splitlines() == text.splitlines()
    assert chunk_with(srv, b"MAIL FROM:", b"SMTPUTF8", "RCPT TO:<żaneta@".encode(), b"DATA\r\n")


# -- a stream of messages: the next one's commands ride with the end of data ----------


async def test_stream_sends_the_next_envelope_with_the_end_of_data(smtp_server: Server) -> None:
    srv = smtp_server(pipelining=True, record_input=True)
    account = Account.model_validate(srv.account(max_connections=1))
    items = [raw(i) for i in range(5)]
    async with mailer(account) as m:
        transport = await m.transport_for(account)
        outcomes = await stream(transport, items)
    assert all(isinstance(o, SendResult) and o.ok for o in outcomes)
    assert [r.message_id for r in srv.messages] == [e.message_id for e, _ in items]
    assert srv.connections == 1
    # Dot-stuffed data, its end, then the next message's commands, in one write.
    for i in range(4):
        assert chunk_with(
            srv, f"Subject: nr {i}\r\n".encode(), b"\r\n..kropka", b"\r\n.\r\nMAIL FROM:"
        )
    for received, (_, data) in zip(srv.messages, items, strict=True):
        assert received.data == data
    assert all(r.data for r in srv.messages)


async def test_stream_outcomes_stay_in_order_and_per_message(smtp_server: Server) -> None:
    script = Script(
        rcpt={"nikt@example.pl": "550 5.1.1 No such user", "szary@example.pl": "450 4.2.0 Later"},
        data=lambda received: (
            "554 5.6.0 Message rejected as spam" if b"nr 3" in received.data else None
        ),
    )
    srv = smtp_server(pipelining=True, smtputf8=False, script=script)
    account = Account.model_validate(srv.account(max_connections=1))
    items = [
        raw(0),
        raw(1, to=("jan@example.pl", "nikt@example.pl")),  # partial
        raw(2, to=("nikt@example.pl", "szary@example.pl")),  # every recipient refused
        raw(3),  # refused after the end of data
        (Envelope(SENDER, ("żaneta@example.pl",), "<pipe-utf8@example.com>", True), b"x\r\n"),
        raw(5),
    ]
    async with mailer(account) as m:
        transport = await m.transport_for(account)
        outcomes = await stream(transport, items)
    assert len(outcomes) == len(items)
    ok, partial, refused, spam, utf8, last = outcomes
    assert isinstance(ok, SendResult) and ok.ok
    assert isinstance(partial, SendResult) and partial.partial
    assert [r.code for r in partial.recipients] == [250, 550]
    # The transport reports the replies; the core (not called here) decides what they mean.
    assert isinstance(refused, RecipientsRefusedError)
    assert refused.key == "delivery.recipients_refused"
    assert [(r.code, r.error) for r in refused.results] == [(550, None), (450, None)]
    assert refused.recipient == "nikt@example.pl" and refused.params["stage"] == "RCPT TO"
    assert isinstance(spam, MailplugError) and spam.params["stage"] == "DATA"
    assert spam.reply is not None and spam.reply.code == 554
    assert isinstance(utf8, MailplugError) and utf8.key == "smtp.smtputf8_unsupported"
    assert isinstance(last, SendResult) and last.ok
    assert [r.message_id for r in srv.messages] == [
        "<pipe-0@example.com>",
        "<pipe-1@example.com>",
        "<pipe-5@example.com>",
    ]
    assert srv.connections == 1


async def test_stream_reconnects_when_the_server_closes_after_a_message(
    smtp_server: Server,
) -> None:
    # The server says 250 and hangs up; the next message's commands, already sent,
    # are lost with the session: it goes again, whole, on a new one.
    srv = smtp_server(pipelining=True, script=Script(close_after_messages=2))
    account = Account.model_validate(srv.account(max_connections=1))
    items = [raw(i) for i in range(5)]
    async with mailer(account) as m:
        transport = await m.transport_for(account)
        outcomes = await stream(transport, items)
    assert all(isinstance(o, SendResult) and o.ok for o in outcomes)
    assert [r.message_id for r in srv.messages] == [e.message_id for e, _ in items]
    assert srv.connections == 3


async def test_stream_lost_after_end_of_data(smtp_server: Server) -> None:
    # Uncertain for the message whose data went out; the next one (only its
    # commands sent) is sent again on a new session.
    drops = iter([True])
    script = Script()
    srv = smtp_server(pipelining=True, script=script)
    account = Account.model_validate(srv.account(max_connections=1))

    def data(received: Any) -> str | None:
        if b"nr 1" in received.data and next(drops, False):
            script.disconnect_after_data = True
        else:
            script.disconnect_after_data = False
        return None

    script.data = data
    items = [raw(i) for i in range(4)]
    async with mailer(account) as m:
        transport = await m.transport_for(account)
        outcomes = await stream(transport, items)
    first, lost, after, last = outcomes
    assert isinstance(first, SendResult)
    assert isinstance(lost, MailplugError) and lost.key == "smtp.uncertain"
    assert isinstance(after, SendResult) and isinstance(last, SendResult)
    assert Counter(r.message_id for r in srv.messages) == Counter(e.message_id for e, _ in items)
    assert srv.connections == 2


async def test_stream_through_a_server_without_pipelining(smtp_server: Server) -> None:
    srv = smtp_server(script=Script(rcpt={"nikt@example.pl": "550 5.1.1 No such user"}))
    account = Account.model_validate(srv.account(max_connections=1))
    items = [raw(0), raw(1, to=("nikt@example.pl",)), raw(2)]
    async with mailer(account) as m:
        transport = await m.transport_for(account)
        outcomes = await stream(transport, items)
    assert isinstance(outcomes[0], SendResult) and outcomes[0].ok
    assert isinstance(outcomes[1], MailplugError)
    assert isinstance(outcomes[2], SendResult) and outcomes[2].ok
    assert [r.message_id for r in srv.messages] == ["<pipe-0@example.com>", "<pipe-2@example.com>"]


async def test_stopping_a_stream_mid_way_never_sends_an_empty_message(
    smtp_server: Server,
) -> None:
    srv = smtp_server(pipelining=True, script=Script(delays={"data": 0.2}))
    account = Account.model_validate(srv.account(max_connections=1))
    taken: list[str] = []

    def feed() -> Iterator[tuple[Envelope, bytes]]:
        for i in range(10):
            item = raw(i)
            taken.append(item[0].message_id)
            yield item

    async with mailer(account) as m:
        transport = await m.transport_for(account)
        outcomes = transport.send_many(feed())
        first = await anext(outcomes)
        await outcomes.aclose()  # the next message's commands are on the wire
        assert isinstance(first, SendResult) and first.ok
        assert len(taken) == 2
        # The session was dropped rather than handed out half way.
        again = await transport.send(*raw(20))
        assert again.ok
    assert [r.message_id for r in srv.messages] == ["<pipe-0@example.com>", "<pipe-20@example.com>"]
    assert all(r.data for r in srv.messages)
    assert srv.connections == 2


# -- the outbox flush ----------------------------------------------------------------------


def delivered(srv: SMTPServer) -> Counter[str | None]:
    return Counter(r.message_id for r in srv.messages)


async def test_flush_through_a_pipelining_server(tmp_path: Path, smtp_server: Any) -> None:
    script = Script(rcpt={"nikt@example.com": "550 5.1.1 No such user"})
    srv = smtp_server(pipelining=True, record_input=True, script=script)
    account = srv.account(name="biuro", email="biuro@firma.pl", max_connections=2)
    async with outbox_mailer(tmp_path, [account]) as m:
        ids = await m.enqueue_many([numbered(i) for i in range(30)])
        odd = await m.enqueue(numbered(99, to=["jan@example.com", "nikt@example.com"]))
        report = await m.flush(batch=8)
        assert report.counts == {"sent": 30, "partial": 1}
        entries = [await m.status(i) for i in ids]
        mixed = await m.status(odd)
    assert all(e.status is Status.SENT and e.attempts == 1 for e in entries)
    assert {r.address: r.status for r in mixed.recipients} == {
        "jan@example.com": "sent",
        "nikt@example.com": "failed",
    }
    counts = delivered(srv)
    assert len(counts) == 31 and set(counts.values()) == {1}
    assert srv.connections <= 2
    # Messages went back to back: an end of data and the next MAIL in one write.
    assert chunk_with(srv, b"\r\n.\r\nMAIL FROM:<biuro@firma.pl>")


async def test_flush_stop_lets_messages_on_the_wire_finish(
    tmp_path: Path, smtp_server: Any
) -> None:
    srv = smtp_server(pipelining=True, script=Script(delays={"data": 0.1}))
    account = srv.account(name="biuro", email="biuro@firma.pl", max_connections=2)
    stop = asyncio.Event()

    def on_progress(p: FlushProgress) -> None:
        if p.done >= 3:
            stop.set()

    async with outbox_mailer(tmp_path, [account]) as m:
        ids = await m.enqueue_many([numbered(i) for i in range(20)])
        report = await asyncio.wait_for(m.flush(stop=stop, progress=on_progress, batch=4), 30)
        assert report.stopped
        entries = [await m.status(i) for i in ids]
        sent = [e for e in entries if e.status is Status.SENT]
        assert {e.status for e in entries} <= {Status.SENT, Status.QUEUED}
        assert 3 <= len(sent) < 20
        assert report.released == report.claimed - len(sent)
        assert (await m.flush()).sent == 20 - len(sent)
    counts = delivered(srv)
    assert len(counts) == 20 and set(counts.values()) == {1}
    assert all(r.data for r in srv.messages)


async def test_flush_cancelled_returns_the_rest(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server(pipelining=True, script=Script(delays={"data": 0.2}))
    account = srv.account(name="biuro", email="biuro@firma.pl", max_connections=2)
    async with outbox_mailer(tmp_path, [account]) as m:
        ids = await m.enqueue_many([numbered(i) for i in range(12)])
        task = asyncio.create_task(m.flush())
        deadline = time.monotonic() + 30
        while not srv.messages:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 30)
        statuses = Counter([(await m.status(i)).status for i in ids])
        assert set(statuses) <= {Status.SENT, Status.QUEUED}
        assert statuses[Status.SENT] >= 1
        assert (await m.flush()).sent == statuses[Status.QUEUED]
    counts = delivered(srv)
    assert len(counts) == 12 and set(counts.values()) == {1}
    assert all(r.data for r in srv.messages)


# -- replies read as aiosmtplib reads them --------------------------------------------

reply_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=40
)


@st.composite
def replies(draw: st.DrawFn) -> bytes:
    out = b""
    for _ in range(draw(st.integers(1, 4))):
        code = draw(st.integers(200, 599))
        lines = draw(st.lists(reply_text, min_size=1, max_size=3))
        for n, line in enumerate(lines):
            sep = " " if n == len(lines) - 1 else "-"
            out += f"{code}{sep}{line}\r\n".encode()
    return out


@settings(max_examples=200, deadline=None)
@given(replies(), st.integers(1, 7))
def test_pipelined_replies_parse_as_aiosmtplib_parses_them(data: bytes, step: int) -> None:
    loop = asyncio.new_event_loop()
    try:
        reference = SMTPProtocol(loop=loop)
        reference._buffer = bytearray(data)
        expected = []
        while (response := reference._read_response_from_buffer()) is not None:
            expected.append((response.code, response.message))
    finally:
        loop.close()
    wire = Wire()
    got = []
    for start in range(0, len(data), step):  # the bytes arrive in pieces
        wire.buffer += data[start : start + step]
        while (reply := wire.next()) is not None:
            got.append(reply)
    assert got == expected


def _reference_parse(code: int, message: str) -> tuple[int, str | None, str]:
    """parse_reply as it was before its one-line shortcut."""
    lines = [line.strip() for line in message.splitlines()]
    enhanced = None
    if lines:
        match = re.match(r"^([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)", lines[0])
        if match:
            enhanced = match.group(0)
            lines = [
                line[len(enhanced) :].strip() if line.startswith(enhanced) else line
                for line in lines
            ]
    return code, enhanced, " ".join(p for p in lines if p)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(200, 599),
    st.one_of(
        reply_text,
        st.builds(
            lambda e, t: f"{e} {t}",
            st.from_regex(r"[245]\.\d{1,3}\.\d{1,3}", fullmatch=True),
            reply_text,
        ),
        st.text(max_size=60),
    ),
)
def test_reply_shortcut_gives_what_the_full_parse_gives(code: int, message: str) -> None:
    reply = parse_reply(code, message)
    assert (reply.code, reply.enhanced, reply.text) == _reference_parse(code, message)


# -- a transport plugin whose streaming misbehaves --------------------------------------


class Quirky(Transport):
    """Sends to a list; ``mode`` picks how its ``send_many`` goes wrong."""

    name = "quirky"

    def __init__(self, mode: str, sent: list[str]) -> None:
        self.mode = mode
        self.sent = sent

    async def send(self, envelope: Envelope, data: bytes) -> SendResult:
        if b"boom" in data:
            raise RuntimeError("boom")
        self.sent.append(envelope.message_id)
        return SendResult(envelope.message_id, [RecipientResult(envelope.recipients[0], True)])

    async def send_many(
        self, messages: Iterable[tuple[Envelope, bytes]]
    ) -> AsyncGenerator[SendResult | MailplugError, None]:
        if self.mode == "refuses":
            raise RuntimeError("no streaming here")
        if self.mode == "drops":  # takes one message and never answers for it
            next(iter(messages))
            return
        async for outcome in super().send_many(messages):
            yield outcome


class QuirkyPlugin:
    def __init__(self) -> None:
        self.sent: list[str] = []

    @hookimpl
    def mailplug_register_transports(self, register: Callable[..., None]) -> None:
        register(
            "quirky", lambda account, *, auth, services: Quirky(account.settings["mode"], self.sent)
        )


@pytest.mark.parametrize("mode", ["plain", "refuses", "drops"])
async def test_flush_survives_a_transport_that_breaks(tmp_path: Path, mode: str) -> None:
    plugin = QuirkyPlugin()
    account = {
        "name": "biuro",
        "email": "biuro@firma.pl",
        "transport": "quirky",
        "auth": None,
        "settings": {"mode": mode},
    }
    async with AsyncMailer(
        [account], data_dir=tmp_path / "data", entry_points=False, plugins=[plugin]
    ) as m:
        ids = await m.enqueue_many(
            [numbered(i, text="boom\n" if i == 2 else "ok\n") for i in range(6)]
        )
        report = await asyncio.wait_for(m.flush(batch=3), 30)
        entries = [await m.status(i) for i in ids]
    assert report.done == 6  # every message got an outcome: no loop, nothing stuck
    failed = {e.id for e in entries if e.status is Status.DEFERRED}
    for entry in entries:
        if entry.status is Status.DEFERRED:
            assert entry.error is not None and entry.error.key == "outbox.transport_failed"
    if mode == "drops":
        # Each taken and never answered: not sent again at once, retried later.
        assert failed == set(ids) and plugin.sent == []
    else:
        assert failed == {ids[2]}
        assert sorted(plugin.sent) == sorted(e.message_id for e in entries if e.id != ids[2])
