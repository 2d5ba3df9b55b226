"""The one place that reaches into aiosmtplib's internals: the bytes a session receives.

aiosmtplib reads one reply per command it writes: bytes that arrive while no
command waits are dropped, and replies beyond the first in one segment are
never read.  Two things mailplug needs go beyond that, and aiosmtplib offers
no public way to do them:

* a pipelined transaction (RFC 2920) writes MAIL, every RCPT and DATA at once
  and must then read each reply in order;
* a ``421`` that arrives while no command waits (a server closing an idle or
  overloaded session) must not be lost: the next command's error should carry
  the server's own reply, not a bare disconnect.

So :class:`Wire` wraps two callbacks of aiosmtplib's protocol object
(``data_received`` and ``connection_lost``, set on the instance) and writes
through its ``write``.  Nothing else in the plugin touches that object.

Tested with aiosmtplib 3.0.0, 3.0.2, 4.0.2, 5.0.0 and 5.1.3 (pinned to
``>=3.0.1,<5.2`` in ``pyproject.toml``).  ``tests/test_smtp_wire_canary.py``
fails, naming this module and the aiosmtplib version, when what it relies on
changes: ``SMTP.protocol`` is the protocol instance; the transports (plain,
implicit TLS and after STARTTLS) call its ``data_received`` and
``connection_lost`` through the instance; ``write(bytes)`` sends.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

from aiosmtplib.errors import SMTPReadTimeoutError, SMTPResponseException, SMTPServerDisconnected

from .reply import parse_reply

if TYPE_CHECKING:
    import aiosmtplib

    from mailplug.plugin import ServerReply

__all__ = ["Wire", "last_reply"]

_REPLY_LINE_RE = re.compile(rb"^(\d{3})([ -])(.*)$")
#: The longest reply line taken (aiosmtplib's limit).
MAX_LINE = 8192
#: Unread reply bytes a session may hold (a reply per recipient of a pipelined batch).
MAX_UNREAD = 1 << 20
_CLOSING = 421


def last_reply(data: bytes) -> ServerReply | None:
    """The last complete reply in raw bytes received from a server."""
    lines = data.replace(b"\r\n", b"\n").split(b"\n")
    found: list[bytes] = []
    code = None
    for raw in reversed(lines):
        match = _REPLY_LINE_RE.match(raw)
        if match is None:
            if found:
                break
            continue
        if not found:
            if match.group(2) != b" ":
                return None  # incomplete multi-line reply
            code = match.group(1)
        elif match.group(1) != code or match.group(2) != b"-":
            break
        found.append(match.group(3))
    if code is None:
        return None
    text = "\n".join(p.decode("utf-8", "replace") for p in reversed(found))
    return parse_reply(int(code), text)


class Wire:
    """The bytes a session receives, shared with aiosmtplib.

    While a transaction runs (:meth:`begin` … :meth:`end`) this class takes
    the bytes off aiosmtplib's protocol object and parses the replies itself
    (:meth:`read`, :meth:`next`); outside transactions aiosmtplib reads as
    usual.  The last bytes received are kept either way, to recover a reply
    aiosmtplib dropped (:meth:`recovered`).
    """

    __slots__ = (
        "active",
        "buffer",
        "consumed",
        "deadline",
        "last",
        "lost",
        "protocol",
        "seq",
        "timer",
        "waiter",
    )

    def __init__(self) -> None:
        self.last = b""
        self.seq = 0
        self.consumed = 0
        self.protocol: Any = None
        self.active = False
        self.lost = False
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, str]] | None = None
        self.deadline = 0.0
        self.timer: asyncio.TimerHandle | None = None

    def install(self, smtp: aiosmtplib.SMTP) -> None:
        """Take over the incoming bytes of ``smtp``'s connection (new: state starts afresh)."""
        protocol: Any = smtp.protocol
        self.last, self.seq, self.consumed = b"", 0, 0
        self.active, self.lost, self.waiter = False, protocol is None, None
        self.buffer.clear()
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.protocol = protocol
        if protocol is None:  # closed already (right after the greeting)
            return
        original_received = protocol.data_received
        original_lost = protocol.connection_lost

        def data_received(data: bytes) -> None:
            self.last = data
            self.seq += 1
            if not self.active:
                original_received(data)
                return
            self.buffer += data
            if len(self.buffer) > MAX_UNREAD:  # a server that will not stop talking
                self.buffer[:] = b"x" * (MAX_LINE + 1)  # next() reports "Response too long"
            waiter = self.waiter
            if waiter is not None and not waiter.done():
                try:
                    reply = self.next()
                except SMTPResponseException as exc:
                    waiter.set_exception(exc)
                else:
                    if reply is not None:
                        waiter.set_result(reply)

        def connection_lost(exc: BaseException | None) -> None:
            self.lost = True
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
            waiter = self.waiter
            if waiter is not None and not waiter.done():
                error = SMTPServerDisconnected("Connection lost")
                error.__cause__ = exc
                waiter.set_exception(error)
            original_lost(exc)

        # The selector transport, the ssl layer (implicit TLS and STARTTLS alike) call
        # these through the instance.
        protocol.data_received = data_received
        protocol.connection_lost = connection_lost

    # -- the 421 aiosmtplib dropped ---------------------------------------------

    def mark(self) -> None:
        """Everything received so far was read (by a command that just ended)."""
        self.consumed = self.seq

    def recovered(self) -> ServerReply | None:
        """A failure reply the server sent before it closed, if one arrived unread."""
        reply = last_reply(self.last[-4096:]) if self.last else None
        if reply is None or reply.code is None or reply.code < 400:
            return None
        if reply.code == _CLOSING or self.seq > self.consumed:
            return reply
        return None

    # -- transactions -------------------------------------------------------------

    def begin(self) -> None:
        """Read replies here from now on (until :meth:`end`)."""
        if not self.active:  # (else replies to commands already sent may be waiting)
            self.buffer.clear()
            self.active = True

    def end(self) -> None:
        """Hand reading back to aiosmtplib; anything unread is dropped, as it would drop it."""
        self.active = False
        self.waiter = None
        self.buffer.clear()

    def write(self, data: bytes) -> None:
        if self.protocol is None:
            raise SMTPServerDisconnected("Connection lost")
        self.protocol.write(data)

    async def drain(self) -> None:
        """Wait while the socket's send buffer is over its high-water mark (a big
        message goes in pieces without piling up in memory).

        :raises SMTPServerDisconnected: the connection is gone.
        """
        protocol = self.protocol
        transport = protocol.transport if protocol is not None else None
        if protocol is None or transport is None or transport.is_closing():
            raise SMTPServerDisconnected("Connection lost")
        # aiosmtplib's protocol has asyncio's flow control (FlowControlMixin), like a
        # StreamWriter: pause_writing() makes this wait until resume_writing().
        helper = getattr(protocol, "_drain_helper", None)
        if helper is not None:
            await helper()

    async def read(self, seconds: float | None) -> tuple[int, str]:
        """The next reply, as aiosmtplib gives it: code and lines joined by newlines.

        :raises SMTPServerDisconnected: the connection closed first.
        :raises SMTPReadTimeoutError: no complete reply within ``seconds``.
        :raises SMTPResponseException: a malformed reply (code ``-1``).
        """
        reply = self.next()
        if reply is not None:
            return reply
        if self.lost:
            raise SMTPServerDisconnected("Connection lost")
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[tuple[int, str]] = loop.create_future()
        self.waiter = waiter
        if seconds:
            self._arm(loop, loop.time() + seconds)
        try:
            return await waiter
        finally:
            self.waiter = None

    def _arm(self, loop: asyncio.AbstractEventLoop, deadline: float) -> None:
        # One timer per session, moved forward lazily: a timer per reply (or
        # asyncio.wait_for) would cost more than reading the reply itself.
        self.deadline = deadline
        timer = self.timer
        if timer is None or timer.when() > deadline:
            if timer is not None:
                timer.cancel()
            self.timer = loop.call_at(deadline, self._check_deadline, loop)

    def _check_deadline(self, loop: asyncio.AbstractEventLoop) -> None:
        self.timer = None
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        if loop.time() >= self.deadline:
            waiter.set_exception(SMTPReadTimeoutError("Timed out waiting for server response"))
        else:
            self.timer = loop.call_at(self.deadline, self._check_deadline, loop)

    def next(self) -> tuple[int, str] | None:
        """Take one complete reply off the buffer (``None``: not all of it arrived yet)."""
        buffer = self.buffer
        end = buffer.find(b"\n")
        if 0 <= end < MAX_LINE and buffer[3:4] != b"-":  # a one-line reply: the usual case
            try:
                code = int(buffer[:3])
            except ValueError:
                pass  # reported below
            else:
                text = bytes(buffer[4 : end + 1]).strip(b" \t\r\n")
                del buffer[: end + 1]
                return code, text.decode("utf-8", "surrogateescape")
        offset = 0
        message = bytearray()
        while True:
            end = buffer.find(b"\n", offset)
            if end < 0:
                if len(buffer) - offset > MAX_LINE:
                    raise SMTPResponseException(-1, "Response too long")
                return None
            line = bytes(buffer[offset : end + 1])
            if len(line) > MAX_LINE:
                raise SMTPResponseException(-1, "Response too long")
            try:
                code = int(line[:3])
            except ValueError:
                problem = line.decode("utf-8", "ignore")
                raise SMTPResponseException(
                    -1, f"Malformed SMTP response line: {problem}"
                ) from None
            offset = end + 1
            if message:  # (aiosmtplib's joining: an empty first line leaves no newline)
                message += b"\n"
            message += line[4:].strip(b" \t\r\n")
            if line[3:4] != b"-":
                del buffer[:offset]
                return code, message.decode("utf-8", "surrogateescape")
