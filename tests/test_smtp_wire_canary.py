"""Canary for ``plugins/mailplug_smtp/wire.py``: what it relies on in aiosmtplib still holds.

wire.py is the only code that reaches into aiosmtplib's internals (its
protocol object); aiosmtplib may change them in any release.  These tests
fail with a message naming wire.py and the installed aiosmtplib version when
it did, against a real aiosmtpd server on 127.0.0.1:

* ``SMTP.protocol`` is the protocol instance, with ``data_received``,
  ``connection_lost`` and ``write``;
* the transports (plain, implicit TLS, after STARTTLS) call the two callbacks
  through the instance, so the ones wire.py sets there are the ones called;
* a pipelined exchange delivers every reply to the wire, in order, and
  aiosmtplib reads normally again afterwards;
* a ``421`` sent just before the server closed is kept (aiosmtplib drops it).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import Any

import aiosmtplib
import pytest
from tests.smtp_server import Script, SMTPServer

from mailplug_smtp.wire import Wire

pytestmark = pytest.mark.timeout(30)

Server = Callable[..., SMTPServer]

TESTED = "3.0.0, 3.0.2, 4.0.2, 5.0.0 and 5.1.3"


def canary(holds: bool, what: str) -> None:
    if not holds:
        pytest.fail(
            f"aiosmtplib {aiosmtplib.__version__} changed what plugins/mailplug_smtp/wire.py "
            f"relies on: {what}. wire.py was tested with aiosmtplib {TESTED}; adapt wire.py "
            "to this version or pin aiosmtplib to the tested versions in pyproject.toml.",
            pytrace=False,
        )


async def connect(srv: SMTPServer) -> aiosmtplib.SMTP:
    context = ssl.create_default_context(cafile=str(srv.ca_file))
    smtp = aiosmtplib.SMTP(
        hostname=srv.host,
        port=srv.port,
        local_hostname="client.example.com",
        timeout=5,
        use_tls=srv.tls == "tls",
        start_tls=False,
        tls_context=context,
    )
    await smtp.connect()
    return smtp


async def settle(condition: Callable[[], bool]) -> bool:
    for _ in range(200):
        if condition():
            return True
        await asyncio.sleep(0.01)
    return condition()


async def test_the_protocol_object_is_where_wire_expects_it(smtp_server: Server) -> None:
    srv = smtp_server()
    smtp = await connect(srv)
    try:
        protocol: Any = getattr(smtp, "protocol", None)
        canary(protocol is not None, "SMTP.protocol is gone (or None after connect)")
        for name in ("data_received", "connection_lost", "write"):
            canary(callable(getattr(protocol, name, None)), f"the protocol has no {name}()")
        wire = Wire()
        try:
            wire.install(smtp)
        except (AttributeError, TypeError) as exc:
            canary(False, f"the protocol's callbacks cannot be replaced on the instance ({exc})")
        canary(
            {"data_received", "connection_lost"} <= set(vars(protocol)),
            "the callbacks set on the protocol instance did not stick",
        )
    finally:
        smtp.close()


@pytest.mark.parametrize("tls", ["none", "starttls", "tls"])
async def test_the_transport_calls_the_callbacks_through_the_instance(
    smtp_server: Server, tls: str
) -> None:
    srv = smtp_server(tls=tls)
    smtp = await connect(srv)
    wire = Wire()
    wire.install(smtp)  # (a session installs it right after connecting, before STARTTLS)
    if tls == "starttls":
        await smtp.ehlo()
        await smtp.starttls()
    seen = wire.seq
    response = await smtp.noop()
    canary(
        wire.seq > seen,
        f"bytes received over a {tls!r} connection did not go through the data_received "
        "set on the protocol instance",
    )
    canary(response.code == 250, "aiosmtplib no longer gets the bytes wire.py hands on")
    await smtp.quit()
    canary(
        await settle(lambda: wire.lost),
        f"closing a {tls!r} connection did not call the connection_lost set on the instance",
    )


async def test_a_pipelined_exchange_delivers_each_reply_to_the_wire_in_order(
    smtp_server: Server,
) -> None:
    script = Script(rcpt={"nikt@example.pl": "550 5.1.1 No such user"})
    srv = smtp_server(pipelining=True, record_input=True, script=script)
    smtp = await connect(srv)
    wire = Wire()
    wire.install(smtp)
    await smtp.ehlo()
    assert smtp.supports_extension("pipelining")
    wire.begin()
    wire.write(
        b"MAIL FROM:<sender@example.com>\r\n"
        b"RCPT TO:<jan@example.pl>\r\nRCPT TO:<nikt@example.pl>\r\nRCPT TO:<ola@example.pl>\r\n"
        b"DATA\r\n"
    )
    codes = [(await wire.read(5))[0] for _ in range(5)]
    canary(
        codes == [250, 250, 550, 250, 354],
        f"the replies to one pipelined write reached the wire as {codes}, "
        "not [250, 250, 550, 250, 354]",
    )
    wire.write(b"Subject: canary\r\n\r\nPipelined.\r\n.\r\n")
    code, _ = await wire.read(5)
    canary(code == 250, f"the reply to the end of data reached the wire as {code}")
    wire.end()
    response = await smtp.noop()
    canary(response.code == 250, "aiosmtplib does not read replies again after wire.end()")
    await smtp.quit()
    (received,) = srv.messages
    assert received.envelope.rcpt_tos == ["jan@example.pl", "ola@example.pl"]


async def test_a_421_sent_before_closing_is_kept(smtp_server: Server) -> None:
    srv = smtp_server(script=Script(unsolicited={"mail": "421 4.3.2 Shutting down, bye"}))
    smtp = await connect(srv)
    wire = Wire()
    wire.install(smtp)
    await smtp.ehlo()
    response = await smtp.mail("sender@example.com")
    wire.mark()  # the command ended: what arrives from here on is unread
    assert response.code == 250
    canary(await settle(lambda: wire.lost), "the server closed and connection_lost was not called")
    reply = wire.recovered()
    canary(
        reply is not None and reply.code == 421 and reply.enhanced == "4.3.2",
        f"the 421 the server sent before closing was not kept (got {reply})",
    )
    smtp.close()
