"""The SMTP transport: aiosmtplib underneath, mailplug errors on top.

:class:`SmtpConnection` is one SMTP session driven step by step (connect,
EHLO, STARTTLS, AUTH, transactions); every aiosmtplib, ``ssl`` or socket
error is mapped here to a mailplug error with a stable key.  The account
check reuses these steps one by one.  :class:`SmtpTransport` keeps a small
pool of sessions per account (``max_connections``), reuses them across a
batch, and spaces messages out when the account has a rate limit.

Things aiosmtplib hides and this module recovers:

* a ``421`` that arrives while no command is waiting (a server closing an
  idle or overloaded session) is dropped by aiosmtplib, and the next command
  just sees a disconnect: the last bytes received are kept, so the error
  carries the server's own 421 reply;
* a failed STARTTLS handshake is a raw ``ssl`` error, an implicit-TLS one is
  hidden in ``SMTPConnectError.__cause__`` (see :mod:`mailplug_smtp.tls`);
* DATA is driven here so that a connection lost *after* the final dot is
  told apart from one lost before: the first is ``smtp.uncertain`` (the
  server may have taken the message), the second a plain disconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import socket
import ssl
import time
import warnings
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiosmtplib
from aiosmtplib.errors import (
    SMTPConnectError,
    SMTPConnectTimeoutError,
    SMTPException,
    SMTPReadTimeoutError,
    SMTPResponseException,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)

from mailplug import keys as core_keys
from mailplug.errors import Category, ErrorSpec, MailplugError, ServerReply
from mailplug.transport import Envelope, RecipientResult, SendResult, Transport

from . import keys, sasl
from .settings import SmtpSettings, parse_settings
from .tls import build_tls_context, find_ssl_error, map_ssl_error, probe_implicit_tls

if TYPE_CHECKING:
    from mailplug.auth import Authenticator, Credentials
    from mailplug.check import CheckOptions, CheckReport
    from mailplug.models import Account
    from mailplug.services import Services

__all__ = [
    "RateLimiter",
    "SmtpConnection",
    "SmtpTransport",
    "default_local_hostname",
    "open_connection",
    "parse_reply",
    "server_tls_version",
]

log = logging.getLogger("mailplug.smtp")

_ENHANCED_RE = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)")
_REPLY_LINE_RE = re.compile(rb"^(\d{3})([ -])(.*)$")
_BARE_EOL_RE = re.compile(rb"\r(?!\n)|(?<!\r)\n")
#: What aiosmtplib refuses in a command argument (CR and LF would inject commands).
_CONTROL_RE = re.compile(rb"[\x00-\x1f\x7f]")
#: The longest reply line taken (aiosmtplib's limit).
_MAX_LINE = 8192
#: Unread reply bytes a session may hold (a reply per recipient of a pipelined batch).
_MAX_UNREAD = 1 << 20

#: How a stage is named in messages: SMTP's own words, the same in every language.
STAGE_LABELS = {
    "connect": "connect",
    "ehlo": "EHLO",
    "starttls": "STARTTLS",
    "auth": "AUTH",
    "mail": "MAIL FROM",
    "rcpt": "RCPT TO",
    "data": "DATA",
    "quit": "QUIT",
    "rset": "RSET",
}

_CLOSING = 421


# --------------------------------------------------------------------------
# Replies
# --------------------------------------------------------------------------


def parse_reply(code: int | None, message: str) -> ServerReply:
    """A reply as aiosmtplib gives it (code, lines joined by newlines) as a :class:`ServerReply`.

    The enhanced status code (RFC 3463) is taken from the first line and
    removed from every line that repeats it; lines are joined by spaces.
    """
    if message.isprintable():  # one line (a line break is not printable): the usual case
        line = message.strip()
        found = _ENHANCED_RE.match(line)
        if found is None:
            return ServerReply(code, None, line)
        status = found.group(0)
        return ServerReply(code, status, line[len(status) :].strip())
    lines = [line.strip() for line in message.splitlines()]
    enhanced = None
    if lines:
        match = _ENHANCED_RE.match(lines[0])
        if match:
            enhanced = match.group(0)
            lines = [
                line[len(enhanced) :].strip() if line.startswith(enhanced) else line
                for line in lines
            ]
    return ServerReply(code=code, enhanced=enhanced, text=" ".join(p for p in lines if p))


def _reply_from_bytes(data: bytes) -> ServerReply | None:
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


class _Wire:
    """The bytes a session receives, shared with aiosmtplib.

    aiosmtplib reads one reply per command it writes: bytes that arrive while
    no command waits are dropped, and replies beyond the first in one segment
    are never read.  A pipelined transaction (RFC 2920) writes MAIL, every RCPT
    and DATA at once and must then read each reply in order, so while a
    transaction runs (:meth:`begin` … :meth:`end`) this class takes the bytes
    off aiosmtplib's protocol object and parses the replies itself.  It is the
    only code that touches that object (``write`` and two wrapped callbacks):
    aiosmtplib offers no public way to read several replies.

    Outside transactions aiosmtplib reads as usual.  The last bytes received
    are kept either way, to recover a reply aiosmtplib dropped (a ``421`` sent
    just before the server closed).
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

    def install(self, protocol: Any) -> None:
        """Take over ``protocol``'s incoming bytes (a new connection: state starts afresh)."""
        self.last, self.seq, self.consumed = b"", 0, 0
        self.active, self.lost, self.waiter = False, False, None
        self.buffer.clear()
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.protocol = protocol
        original_received = protocol.data_received
        original_lost = protocol.connection_lost

        def data_received(data: bytes) -> None:
            self.last = data
            self.seq += 1
            if not self.active:
                original_received(data)
                return
            self.buffer += data
            if len(self.buffer) > _MAX_UNREAD:  # a server that will not stop talking
                self.buffer[:] = b"x" * (_MAX_LINE + 1)  # next() reports "Response too long"
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
        self.consumed = self.seq

    def recovered(self) -> ServerReply | None:
        """A failure reply the server sent before it closed, if one arrived unread."""
        reply = _reply_from_bytes(self.last[-4096:]) if self.last else None
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
        if 0 <= end < _MAX_LINE and buffer[3:4] != b"-":  # a one-line reply: the usual case
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
                if len(buffer) - offset > _MAX_LINE:
                    raise SMTPResponseException(-1, "Response too long")
                return None
            line = bytes(buffer[offset : end + 1])
            if len(line) > _MAX_LINE:
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


def _data_payload(data: bytes) -> bytes:
    """``data`` as it goes after DATA: CRLF line ends, dot-stuffed, ended by ``.``.

    Composed messages already end lines with CRLF (three C-speed counts tell);
    bytes from elsewhere (imported, handed to the transport) may not.
    """
    crlf = data.count(b"\r\n")
    if data.count(b"\n") != crlf or data.count(b"\r") != crlf:  # (a regex scan is 20x slower)
        data = _BARE_EOL_RE.sub(b"\r\n", data)
    if data.startswith(b"."):
        data = b"." + data
    data = data.replace(b"\r\n.", b"\r\n..")  # the same object when there is no dot to stuff
    if data.endswith(b"\r\n"):
        return data + b".\r\n"
    return data + b"\r\n.\r\n"


@functools.cache
def _fqdn() -> str:
    name = socket.getfqdn()
    if not name.isascii() or not name or any(c.isspace() for c in name) or "." not in name:
        return "localhost.localdomain"
    return name


async def default_local_hostname() -> str:
    """This machine's name for EHLO (looked up once per process, off the event loop)."""
    if _fqdn.cache_info().currsize:
        return _fqdn()
    return await asyncio.to_thread(_fqdn)


# --------------------------------------------------------------------------
# One SMTP session
# --------------------------------------------------------------------------


@dataclass(slots=True)
class _Prepared:
    """One transaction ready for the wire: its commands and the data as sent after DATA."""

    envelope: Envelope
    data: bytes
    mail: bytes
    rcpts: list[bytes]
    payload: bytes
    #: Refused before anything was sent (SMTPUTF8, SIZE …).
    error: MailplugError | None = None
    #: Its commands already went out, after the previous message's data.
    written: bool = False


class _StaleConnection(Exception):
    """A reused session turned out to be closed before the transaction began."""

    def __init__(self, error: MailplugError) -> None:
        super().__init__(error.key)
        self.error = error


class SmtpConnection:
    """One SMTP session for an account, driven step by step.

    ::

        conn = SmtpConnection(settings, tls_context=ctx, classify=services.classify)
        await conn.connect()        # TCP (+ implicit TLS) and greeting
        await conn.ehlo()
        await conn.starttls()       # security "starttls": required, never skipped
        await conn.login(authenticator)
        result = await conn.send(envelope, data)
        await conn.quit()

    Every method raises mailplug errors only.
    """

    def __init__(
        self,
        settings: SmtpSettings,
        *,
        tls_context: ssl.SSLContext | None = None,
        classify: Callable[..., ErrorSpec] | None = None,
        local_hostname: str | None = None,
        diagnose: bool = True,
    ) -> None:
        self.settings = settings
        self.tls_context = tls_context
        #: Probe the server (TLS version, implicit TLS) to explain a failed step.
        self.diagnose = diagnose
        self._classify = classify
        self.local_hostname = local_hostname or settings.local_hostname
        self.smtp: aiosmtplib.SMTP | None = None
        self.greeting: ServerReply | None = None
        self.ehlo_reply: ServerReply | None = None
        self.extensions: dict[str, str] = {}
        self.auth_mechanisms: list[str] = []
        self.authenticated_as: str | None = None
        self.mechanism: str | None = None
        self.messages_sent = 0
        self.created = time.monotonic()
        self.last_used = self.created
        #: A transaction was left half done (needs RSET before the next one).
        self.dirty = False
        self._wire = _Wire()
        self._ahead: _Prepared | None = None

    # -- facts ---------------------------------------------------------------

    @property
    def host(self) -> str:
        return self.settings.host

    @property
    def port(self) -> int:
        return self.settings.effective_port

    @property
    def connected(self) -> bool:
        return self.smtp is not None and self.smtp.is_connected

    @property
    def encrypted(self) -> bool:
        return self._transport_info("sslcontext") is not None

    @property
    def tls_version(self) -> str | None:
        obj = self._transport_info("ssl_object")
        return obj.version() if obj is not None else None

    @property
    def cipher(self) -> str | None:
        info = self._transport_info("cipher")
        return str(info[0]) if info else None

    @property
    def max_size(self) -> int | None:
        """The SIZE the server announced (``None``: no limit announced)."""
        raw = self.extensions.get("size", "").strip()
        return int(raw) if raw.isdigit() and int(raw) > 0 else None

    @property
    def supports_smtputf8(self) -> bool:
        return "smtputf8" in self.extensions

    def _transport_info(self, key: str) -> Any:
        if self.smtp is None or self.smtp.transport is None:
            return None
        return self.smtp.transport.get_extra_info(key)

    def __repr__(self) -> str:
        state = "open" if self.connected else "closed"
        return f"<SmtpConnection {self.host}:{self.port} {self.settings.security} {state}>"

    # -- errors --------------------------------------------------------------

    def _spec_for(self, reply: ServerReply, stage: str, recipient: str | None) -> ErrorSpec:
        if self._classify is None:
            return core_keys.SERVER_UNKNOWN
        return self._classify(reply, stage=stage, host=self.host, recipient=recipient)

    def reply_error(
        self, reply: ServerReply, stage: str, *, recipient: str | None = None, **params: Any
    ) -> MailplugError:
        """The error a server reply stands for at ``stage``."""
        spec = self._spec_for(reply, stage, recipient)
        return spec.error(
            reply=reply,
            recipient=recipient,
            host=self.host,
            port=self.port,
            stage=STAGE_LABELS.get(stage, stage),
            **params,
        )

    def map_error(
        self, exc: BaseException, stage: str, *, data_sent: bool = False
    ) -> MailplugError:
        """Map an aiosmtplib/ssl/socket exception raised at ``stage`` to a mailplug error."""
        host, port = self.host, self.port
        label = STAGE_LABELS.get(stage, stage)
        common: dict[str, Any] = {"host": host, "port": port, "stage": label, "cause": exc}
        if isinstance(exc, MailplugError):
            return exc
        if isinstance(exc, SMTPResponseException) and exc.code > 0:
            if exc.code == _CLOSING:
                self.close()
            return self.reply_error(parse_reply(exc.code, exc.message), stage)
        if isinstance(exc, SMTPResponseException):  # malformed reply (code -1)
            if stage == "connect" and self.settings.security != "tls":
                return keys.TLS_WRONG_MODE.error(security=self.settings.security, **common)
            return keys.PROTOCOL_ERROR.error(problem=exc.message, **common)
        if stage in ("connect", "starttls") and find_ssl_error(exc) is not None:
            # Later, an ssl error is just how a TLS connection broke (a disconnect).
            return map_ssl_error(exc, self.settings, stage=stage)
        if isinstance(exc, SMTPConnectTimeoutError):
            return keys.CONNECT_TIMEOUT.error(**common)
        if isinstance(exc, SMTPConnectError):
            cause = exc.__cause__
            if isinstance(cause, socket.gaierror):
                return keys.CONNECT_DNS.error(**common)
            if isinstance(cause, ConnectionRefusedError):
                return keys.CONNECT_REFUSED.error(**common)
            if isinstance(cause, SMTPServerDisconnected):
                return keys.DISCONNECTED.error(**common)
            problem = getattr(cause, "strerror", None) or str(cause or exc)
            return keys.CONNECT_FAILED.error(problem=problem, **common)
        if isinstance(exc, SMTPTimeoutError):
            if data_sent:
                return keys.UNCERTAIN.error(**common)
            if stage == "starttls":
                return keys.TLS_HANDSHAKE.error(
                    problem="the TLS handshake timed out", security="starttls", **common
                )
            return keys.READ_TIMEOUT.error(**common)
        if isinstance(exc, SMTPServerDisconnected | ConnectionError | EOFError):
            reply = self._wire.recovered()
            if reply is not None and not data_sent:
                return self.reply_error(reply, stage)
            if data_sent:
                return keys.UNCERTAIN.error(**common)
            return keys.DISCONNECTED.error(**common)
        if isinstance(exc, TimeoutError):
            return (keys.UNCERTAIN if data_sent else keys.READ_TIMEOUT).error(**common)
        if isinstance(exc, OSError):
            if data_sent:
                return keys.UNCERTAIN.error(**common)
            return keys.DISCONNECTED.error(**common)
        if isinstance(exc, ValueError):  # aiosmtplib refuses control characters in commands
            return core_keys.MESSAGE_HEADER_INJECTION.error(field="envelope", cause=exc)
        return keys.PROTOCOL_ERROR.error(problem=str(exc) or type(exc).__name__, **common)

    @contextlib.asynccontextmanager
    async def _stage(self, stage: str) -> AsyncIterator[None]:
        try:
            yield
        except (SMTPException, OSError, EOFError, TimeoutError, ValueError) as exc:
            error = self.map_error(exc, stage)
            if isinstance(exc, SMTPServerDisconnected | SMTPTimeoutError | OSError):
                self.close()
            raise error from exc
        finally:
            self._wire.mark()

    def _require(self, stage: str) -> aiosmtplib.SMTP:
        """The live session, or the error for a connection the server already closed
        (with its 421 reply when one arrived before it closed)."""
        if self.smtp is None or not self.smtp.is_connected:
            raise self.map_error(SMTPServerDisconnected("Connection lost"), stage)
        return self.smtp

    # -- steps ---------------------------------------------------------------

    async def connect(self) -> ServerReply:
        """Open TCP (with TLS for security ``tls``) and read the greeting."""
        settings = self.settings
        implicit = settings.security == "tls"
        if implicit and self.tls_context is None:
            self.tls_context = await asyncio.to_thread(build_tls_context, settings)
        local = self.local_hostname or await default_local_hostname()
        self.smtp = aiosmtplib.SMTP(
            hostname=settings.ascii_host,
            port=self.port,
            local_hostname=local,
            timeout=settings.timeout,
            use_tls=implicit,
            start_tls=False,
            tls_context=self.tls_context if implicit else None,
            validate_certs=settings.verify,
        )
        log.debug("connecting to %s:%s (%s)", self.host, self.port, settings.security)
        try:
            response = await self.smtp.connect(timeout=settings.connect_timeout)
        except SMTPConnectTimeoutError as exc:
            self.close()
            # No greeting: maybe a TLS port spoken to in plaintext.
            if (
                not implicit
                and self.diagnose
                and "ready message" in str(exc)
                and await probe_implicit_tls(
                    settings.ascii_host, self.port, handshake_timeout=settings.connect_timeout
                )
            ):
                raise keys.TLS_WRONG_MODE.error(
                    host=self.host, port=self.port, security=settings.security, cause=exc
                ) from exc
            raise self.map_error(exc, "connect") from exc
        except (SMTPException, OSError, TimeoutError) as exc:
            self.close()
            if implicit and self.diagnose and _reset_in_handshake(exc):
                raise await self._tls_reset_error(exc, "connect") from exc
            raise self.map_error(exc, "connect") from exc
        assert self.smtp.protocol is not None
        self._wire.install(self.smtp.protocol)
        self.greeting = parse_reply(response.code, response.message)
        return self.greeting

    async def ehlo(self) -> ServerReply:
        """EHLO (HELO for a server that refuses EHLO); records the extensions."""
        smtp = self._require("ehlo")
        async with self._stage("ehlo"):
            try:
                response = await smtp.ehlo()
            except aiosmtplib.SMTPHeloError as exc:
                if not smtp.is_connected or exc.code == _CLOSING or exc.code < 500:
                    raise
                response = await smtp.helo()
        self.extensions = dict(smtp.esmtp_extensions)
        self.auth_mechanisms = [m.upper() for m in smtp.server_auth_methods]
        if "auth" in self.extensions and not self.auth_mechanisms:
            self.auth_mechanisms = self.extensions["auth"].upper().split()
        self.ehlo_reply = parse_reply(response.code, response.message)
        return self.ehlo_reply

    async def starttls(self) -> ServerReply:
        """Upgrade to TLS; raises ``tls.starttls_unavailable`` when the server does not offer it."""
        smtp = self._require("starttls")
        if "starttls" not in self.extensions:
            self.close()
            raise keys.STARTTLS_UNAVAILABLE.error(
                host=self.host, port=self.port, security=self.settings.security
            )
        if self.tls_context is None:
            self.tls_context = await asyncio.to_thread(build_tls_context, self.settings)
        try:
            response = await smtp.starttls(
                server_hostname=self.settings.ascii_host,
                tls_context=self.tls_context,
                timeout=self.settings.connect_timeout,
            )
        except (SMTPException, OSError, TimeoutError) as exc:
            self.close()
            if self.diagnose and _reset_in_handshake(exc):
                raise await self._tls_reset_error(exc, "starttls") from exc
            raise self.map_error(exc, "starttls") from exc
        finally:
            self._wire.mark()
        self.extensions, self.auth_mechanisms = {}, []
        return parse_reply(response.code, response.message)

    async def _tls_reset_error(self, exc: BaseException, stage: str) -> MailplugError:
        """The server dropped the TLS handshake without a word (asyncio-based and some
        other servers send no alert): ask it which TLS version it does speak."""
        version = await server_tls_version(self.settings)
        common: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "security": self.settings.security,
            "min_tls": self.settings.min_tls,
            "stage": STAGE_LABELS.get(stage, stage),
            "cause": exc,
        }
        if version is None:
            return self.map_error(exc, stage)  # the server drops everything: not a TLS problem
        if _TLS_RANK.get(version, 0) < _TLS_RANK[f"TLSv{self.settings.min_tls}"]:
            return keys.TLS_VERSION.error(server_tls=version, **common)
        return keys.TLS_HANDSHAKE.error(
            problem="the server closed the connection during the TLS handshake", **common
        )

    async def setup(self) -> None:
        """Connect, EHLO and STARTTLS as the account's security requires."""
        await self.connect()
        await self.ehlo()
        if self.settings.security == "starttls":
            await self.starttls()
            await self.ehlo()

    async def authenticate(self, credentials: Credentials) -> sasl.SaslOutcome:
        """One AUTH exchange with ``credentials``; raises the classified error on refusal.

        Refuses to send a password over an unencrypted connection unless the
        account (``allow_plaintext_auth``) or the credentials allow it.
        """
        smtp = self._require("auth")
        common: dict[str, Any] = {"host": self.host, "port": self.port}
        if not self.auth_mechanisms:
            if not self.encrypted and "starttls" in self.extensions:
                raise keys.AUTH_NEEDS_TLS.error(**common)
            raise keys.AUTH_UNAVAILABLE.error(**common)
        if not self.encrypted and not (
            self.settings.allow_plaintext_auth or credentials.allow_plaintext
        ):
            raise keys.AUTH_PLAINTEXT_REFUSED.error(**common)
        offered = [m for m in self.auth_mechanisms if m in sasl.MECHANISMS]
        mechanism = sasl.choose_mechanism(
            offered,  # a mechanism this transport does not speak counts as not offered
            requested=credentials.mechanism,
            encrypted=self.encrypted,
        )
        if mechanism is None:
            raise keys.AUTH_MECHANISM_UNAVAILABLE.error(
                mechanism=credentials.mechanism or "PLAIN/LOGIN/CRAM-MD5",
                offered=", ".join(self.auth_mechanisms) or "—",
                **common,
            )
        log.debug("AUTH %s as %s on %s", mechanism, credentials.username, self.host)
        async with self._stage("auth"):
            outcome = await sasl.authenticate(
                smtp, credentials, mechanism, command_timeout=self.settings.timeout
            )
        if not outcome.ok:
            reply = parse_reply(outcome.code, outcome.message)
            if outcome.code == _CLOSING:
                self.close()
            params: dict[str, Any] = {"mechanism": mechanism}
            if outcome.details:
                params["details"] = outcome.details
            raise self.reply_error(reply, "auth", **params)
        self.authenticated_as = credentials.username
        self.mechanism = mechanism
        return outcome

    async def login(
        self, authenticator: Authenticator, *, credentials: Credentials | None = None
    ) -> Credentials:
        """Log in with the authenticator's credentials: one attempt per send.

        Refreshable credentials (OAuth tokens) that the server refuses are
        renewed once (``login_failed`` then ``credentials(refresh=True)``) and
        tried again; passwords never are.

        :returns: the credentials that worked.
        """
        creds = credentials or await authenticator.credentials()
        try:
            await self.authenticate(creds)
        except MailplugError as error:
            if not _is_login_refusal(error):
                raise
            await authenticator.login_failed(error)
            if not creds.refreshable:
                raise
            creds = await authenticator.credentials(refresh=True)
            if not self.connected:
                await self.setup()
            try:
                await self.authenticate(creds)
            except MailplugError as second:
                if _is_login_refusal(second):
                    await authenticator.login_failed(second)
                raise
        return creds

    # -- transactions --------------------------------------------------------

    async def reset(self) -> None:
        """RSET: abandon a half-done transaction."""
        smtp = self._require("rset")
        async with self._stage("rset"):
            response = await smtp.execute_command(b"RSET")
        if response.code != 250:
            self.close()
            raise self.reply_error(parse_reply(response.code, response.message), "rset")
        self.dirty = False

    async def noop(self) -> bool:
        """Whether the session still answers (NOOP)."""
        if not self.connected:
            return False
        assert self.smtp is not None
        try:
            response = await self.smtp.execute_command(b"NOOP")
        except (SMTPException, OSError, TimeoutError):
            self.close()
            return False
        finally:
            self._wire.mark()
        return response.code == 250

    @property
    def pipelining(self) -> bool:
        """The server takes MAIL, RCPT and DATA in one go (RFC 2920)."""
        return "pipelining" in self.extensions and self.settings.pipelining

    def _write(self, data: bytes, stage: str) -> None:
        try:
            self._wire.write(data)
        except (SMTPException, OSError) as exc:
            self.close()
            raise self.map_error(exc, stage) from exc

    async def _reply(self, stage: str, *, data_sent: bool = False) -> tuple[int, str]:
        """The next reply of the transaction; a failure to read one closes the session."""
        wire = self._wire
        try:
            # (Replies to pipelined commands often arrive together: no need to wait.)
            return wire.next() or await wire.read(self.settings.timeout)
        except (SMTPException, OSError, TimeoutError) as exc:
            error = self.map_error(exc, stage, data_sent=data_sent)
            self.close()  # a reply lost or garbled: the next one could be taken for it
            raise error from exc
        finally:
            self._wire.mark()

    async def send(
        self,
        envelope: Envelope,
        data: bytes,
        *,
        following: Callable[[], tuple[Envelope, bytes] | None] | None = None,
    ) -> SendResult:
        """One mail transaction (MAIL, RCPT for each recipient, DATA).

        With a server that offers PIPELINING, MAIL, the RCPTs and DATA go out
        in one write and their replies are read in order; the message follows
        the ``354``.  Otherwise each command waits for its reply.

        :param following: called when the message is about to go out, for the
            next message to send on this session (``None``: there is none).
            With PIPELINING, that message's MAIL, RCPT and DATA follow this
            one's final dot in the same write (RFC 2920 lets the message
            content open a group), and the next :meth:`send` must be for it
            (until then the session is :attr:`busy`).
        :returns: per-recipient results; some refused recipients make a partial result.
        :raises mailplug.errors.MailplugError: nothing was delivered.
        """
        started = time.monotonic()
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead.envelope is envelope and ahead.data is data:
            if ahead.error is not None:
                raise ahead.error
            prepared = ahead
            reused = True  # the session already carried the last message
        else:
            if ahead is not None and ahead.written:
                # Another message's commands are on the wire: the session cannot go on.
                self.close()
            prepared = self._prepare(envelope, data)
            reused = self.messages_sent > 0
            if self.dirty:
                try:
                    await self.reset()
                except MailplugError as error:
                    raise _StaleConnection(error) from error
        self.dirty = True
        self._wire.begin()
        try:
            results, reply = await self._transaction(prepared, reused, following)
        finally:
            if not self.busy:
                self._wire.end()
        self.messages_sent += 1
        self.last_used = time.monotonic()
        return SendResult(
            message_id=envelope.message_id,
            recipients=results,
            host=self.host,
            reply=reply,
            duration=time.monotonic() - started,
            details={"reused_connection": reused, "tls": self.tls_version},
        )

    @property
    def busy(self) -> bool:
        """The next message's commands are on the wire (see ``following`` in :meth:`send`)."""
        return self._ahead is not None and self._ahead.written

    def _prepare(self, envelope: Envelope, data: bytes) -> _Prepared:
        """The transaction's commands and data as they go on the wire, after the
        checks that need no round trip (SMTPUTF8, SIZE, control characters)."""
        if envelope.smtputf8 and not self.supports_smtputf8:
            needs = [a for a in (envelope.sender, *envelope.recipients) if not a.isascii()]
            first = needs[0] if needs else None
            raise keys.SMTPUTF8_UNSUPPORTED.error(host=self.host, recipient=first, address=first)
        limit = self.max_size
        if limit is not None and len(data) > limit:
            raise keys.SIZE_EXCEEDED.error(host=self.host, size=len(data), limit=limit)
        encoding = "utf-8" if envelope.smtputf8 else "ascii"
        sender = envelope.sender.encode(encoding)
        recipients = [a.encode(encoding) for a in envelope.recipients]
        if _CONTROL_RE.search(b"".join((sender, *recipients))):
            raise core_keys.MESSAGE_HEADER_INJECTION.error(field="envelope")
        options = b""
        if "size" in self.extensions:
            options += b" SIZE=%d" % len(data)
        if envelope.smtputf8:
            options += b" SMTPUTF8"
        if "8bitmime" in self.extensions and not data.isascii():
            options += b" BODY=8BITMIME"
        return _Prepared(
            envelope,
            data,
            b"MAIL FROM:<" + sender + b">" + options + b"\r\n",
            [b"RCPT TO:<" + r + b">\r\n" for r in recipients],
            _data_payload(data),
        )

    def _look_ahead(self, following: Callable[[], tuple[Envelope, bytes] | None] | None) -> bytes:
        """The next message's commands, to go out right after this one's data (or ``b""``)."""
        if following is None or not self.pipelining:
            return b""
        item = following()
        if item is None:
            return b""
        envelope, data = item
        try:
            prepared = self._prepare(envelope, data)
        except MailplugError as error:
            # Refused before a byte is sent: the next send() raises it.
            self._ahead = _Prepared(envelope, data, b"", [], b"", error)
            return b""
        prepared.written = True
        self._ahead = prepared
        return prepared.mail + b"".join(prepared.rcpts) + b"DATA\r\n"

    async def _transaction(
        self,
        prepared: _Prepared,
        reused: bool,
        following: Callable[[], tuple[Envelope, bytes] | None] | None,
    ) -> tuple[list[RecipientResult], ServerReply]:
        pipelined = self.pipelining
        mail, rcpts = prepared.mail, prepared.rcpts
        try:
            self._require("mail")
            if not prepared.written:
                self._write(mail + b"".join(rcpts) + b"DATA\r\n" if pipelined else mail, "mail")
            code, text = await self._reply("mail")
        except MailplugError as error:
            if reused and (error.code == _CLOSING or not self.connected):
                raise _StaleConnection(error) from error
            raise
        refused: MailplugError | None = None  # the transaction failed, its replies still due
        if code != 250:
            refused = self.reply_error(parse_reply(code, text), "mail")
            if code == _CLOSING:
                self.close()
                raise _StaleConnection(refused) if reused else refused
            if not pipelined:
                raise refused

        results: list[RecipientResult] = []
        for address, command in zip(prepared.envelope.recipients, rcpts, strict=True):
            if not pipelined:
                self._write(command, "rcpt")
            code, text = await self._settle(refused, "rcpt")
            if refused is not None:
                if code == _CLOSING:
                    self.close()
                    raise refused
                continue  # "503 need MAIL first": the MAIL refusal says it all
            reply = parse_reply(code, text)
            if code in (250, 251):
                results.append(RecipientResult(address, True, code, reply.enhanced, reply.text))
                continue
            if code == _CLOSING:
                self.close()
                raise self.reply_error(reply, "rcpt", recipient=address)
            spec = self._spec_for(reply, "rcpt", address)
            results.append(
                RecipientResult(
                    address, False, code, reply.enhanced, reply.text, spec.key, spec.transient
                )
            )
        if refused is None and not any(r.accepted for r in results):
            refused = self._all_refused(results)

        if pipelined:
            code, text = await self._settle(refused, "data")
            if refused is not None:
                if code == 354:
                    # RFC 2920 3.1: a DATA the server took anyway is ended empty.
                    try:
                        self._write(b".\r\n", "data")
                    except MailplugError as error:
                        raise refused from error
                    await self._settle(refused, "data")
                elif code == _CLOSING:
                    self.close()
                raise refused
        else:
            if refused is not None:
                raise refused
            self._write(b"DATA\r\n", "data")
            code, text = await self._reply("data")
        if code != 354:
            if code == _CLOSING:
                self.close()
            raise self.reply_error(parse_reply(code, text), "data")

        self._write(prepared.payload + self._look_ahead(following), "data")
        # From here on the server may have the whole message: losing the
        # connection before its reply leaves the outcome uncertain.
        code, text = await self._reply("data", data_sent=True)
        self.dirty = False  # a final reply, good or bad, ends the transaction
        reply = parse_reply(code, text)
        if code != 250:
            if code == _CLOSING:
                self.close()
            raise self.reply_error(reply, "data")
        return results, reply

    async def _settle(self, refused: MailplugError | None, stage: str) -> tuple[int, str]:
        """The next reply; once the transaction has failed, a lost reply is no news:
        the failure is what the caller hears."""
        if refused is None:
            return await self._reply(stage)
        try:
            return await self._reply(stage)
        except MailplugError as error:
            raise refused from error

    def _all_refused(self, results: list[RecipientResult]) -> MailplugError:
        permanent = [r for r in results if not r.transient]
        chosen = (permanent or results)[0]
        reply = ServerReply(chosen.code, chosen.enhanced, chosen.text)
        return self.reply_error(reply, "rcpt", recipient=chosen.address, recipients=results)

    # -- closing -------------------------------------------------------------

    async def quit(self) -> None:
        """QUIT politely (bounded by the command timeout), then close."""
        if self.connected and not self.busy:
            assert self.smtp is not None
            with contextlib.suppress(SMTPException, OSError, TimeoutError):
                async with asyncio.timeout(self.settings.timeout):
                    await self.smtp.quit()
        self.close()

    def close(self) -> None:
        """Drop the connection without QUIT."""
        if self.smtp is not None:
            self.smtp.close()


_TLS_RANK = {"TLSv1": 10, "TLSv1.1": 11, "TLSv1.2": 12, "TLSv1.3": 13}


def _reset_in_handshake(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionResetError | ConnectionAbortedError | ssl.SSLEOFError):
            return True
        current = current.__cause__ or current.__context__
    return False


def _lenient_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with contextlib.suppress(ValueError, ssl.SSLError), warnings.catch_warnings():
        # Deliberately old: this context only asks which version a server speaks.
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


async def server_tls_version(settings: SmtpSettings) -> str | None:
    """The TLS version the server negotiates when any version and certificate is accepted.

    A diagnosis only (nothing is sent but a handshake); ``None`` when even
    that fails.
    """
    lenient = settings.model_copy(update={"min_tls": "1.2", "verify": False, "ca_file": None})
    conn = SmtpConnection(lenient, tls_context=_lenient_context(), diagnose=False)
    try:
        async with asyncio.timeout(settings.connect_timeout * 2):
            await conn.connect()
            if settings.security == "starttls":
                await conn.ehlo()
                await conn.starttls()
        return conn.tls_version
    except (MailplugError, OSError, TimeoutError, SMTPException):
        return None
    finally:
        conn.close()


def _is_login_refusal(error: MailplugError) -> bool:
    code = error.code
    enhanced = error.reply.enhanced if error.reply else None
    return (
        (error.category == Category.AUTHENTICATION and error.reply is not None)
        or code == 535
        or (enhanced or "").startswith("5.7.8")
    )


async def open_connection(
    settings: SmtpSettings,
    *,
    authenticator: Authenticator | None = None,
    tls_context: ssl.SSLContext | None = None,
    classify: Callable[..., ErrorSpec] | None = None,
    local_hostname: str | None = None,
) -> SmtpConnection:
    """A ready session: connected, TLS as the settings require, logged in if asked.

    :raises mailplug.errors.MailplugError: the step that failed, mapped.
    """
    conn = SmtpConnection(
        settings, tls_context=tls_context, classify=classify, local_hostname=local_hostname
    )
    try:
        await conn.setup()
        if authenticator is not None:
            await conn.login(authenticator)
    except BaseException:
        conn.close()
        raise
    return conn


# --------------------------------------------------------------------------
# Rate limit
# --------------------------------------------------------------------------


class RateLimiter:
    """At most ``per_minute`` messages a minute, ``burst`` of them back to back.

    A GCRA token bucket: :meth:`reserve` hands each caller its own slot and
    returns how long to wait for it, so concurrent senders never share one.
    """

    def __init__(
        self,
        per_minute: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = 60.0 / per_minute
        self.tolerance = (burst - 1) * self.interval
        self._clock = clock
        self._tat: float | None = None  # theoretical arrival time of the next message

    def reserve(self, now: float | None = None) -> float:
        """Take the next slot; return the seconds to wait before using it."""
        now = self._clock() if now is None else now
        tat = now if self._tat is None else max(self._tat, now)
        start = max(now, tat - self.tolerance)
        self._tat = tat + self.interval
        return start - now

    async def wait(self) -> None:
        delay = self.reserve()
        if delay > 0:
            await asyncio.sleep(delay)


# --------------------------------------------------------------------------
# The transport
# --------------------------------------------------------------------------


@dataclass
class _LoginState:
    """What the transport knows about the account's credentials."""

    good: Credentials | None = None
    failed: Credentials | None = None
    error: MailplugError | None = None


class SmtpTransport(Transport):
    """Sends an account's mail over SMTP, reusing up to ``max_connections`` sessions.

    ``send()`` may be called from many tasks at once.  A session is reused
    for the next message (after RSET if the last transaction failed half
    way, after NOOP if it sat idle), and replaced when the server closed it.
    Credentials the server refused are not tried again until they change,
    so a batch never locks the account.
    """

    name = "smtp"

    def __init__(
        self,
        account: Account,
        *,
        auth: Authenticator | None,
        services: Services,
        settings: SmtpSettings | None = None,
    ) -> None:
        self.account = account
        self.settings = settings or parse_settings(account)
        self.auth = auth
        self.services = services
        self.limiter = (
            RateLimiter(self.settings.rate_limit_per_minute, burst=self.settings.rate_limit_burst)
            if self.settings.rate_limit_per_minute
            else None
        )
        self._idle: list[SmtpConnection] = []
        self._slots: asyncio.Semaphore | None = None
        self._tls_context: ssl.SSLContext | None = None
        self._login = _LoginState()
        self._login_lock: asyncio.Lock | None = None
        self._closed = False
        #: Sessions opened so far (for statistics and tests).
        self.opened = 0

    def __repr__(self) -> str:
        s = self.settings
        return (
            f"<SmtpTransport account={self.account.name!r} {s.host}:{s.effective_port} "
            f"{s.security} idle={len(self._idle)}>"
        )

    # -- sessions ------------------------------------------------------------

    def _classify(
        self,
        reply: ServerReply,
        *,
        stage: str,
        host: str | None = None,
        recipient: str | None = None,
    ) -> ErrorSpec:
        return self.services.classify(reply, stage=stage, host=host, recipient=recipient)

    async def _context(self) -> ssl.SSLContext | None:
        if self.settings.security == "none":
            return None
        if self._tls_context is None:
            self._tls_context = await asyncio.to_thread(build_tls_context, self.settings)
        return self._tls_context

    async def open(self) -> SmtpConnection:
        """A new logged-in session (not taken from the pool)."""
        conn = SmtpConnection(
            self.settings,
            tls_context=await self._context(),
            classify=self._classify,
            local_hostname=self.settings.local_hostname or await default_local_hostname(),
        )
        try:
            await conn.setup()
            self.opened += 1
            if self.auth is not None:
                await self._authenticate(conn, self.auth)
        except BaseException:
            conn.close()
            raise
        return conn

    async def _authenticate(self, conn: SmtpConnection, auth: Authenticator) -> None:
        creds = await auth.credentials()
        state = self._login
        if state.good is not None and creds == state.good:
            await conn.login(auth, credentials=creds)
            return
        if self._login_lock is None:
            self._login_lock = asyncio.Lock()
        # The first login with new credentials goes alone: parallel sessions
        # must not each try a wrong password.
        async with self._login_lock:
            if state.failed is not None and creds == state.failed and state.error is not None:
                raise _copy(state.error)
            try:
                used = await conn.login(auth, credentials=creds)
            except MailplugError as error:
                if _is_login_refusal(error):
                    state.failed, state.error, state.good = creds, error, None
                raise
            state.good, state.failed, state.error = used, None, None

    async def _checkout(self) -> SmtpConnection:
        while self._idle:
            conn = self._idle.pop()
            if not conn.connected:
                conn.close()
                continue
            idle_for = time.monotonic() - conn.last_used
            stale = self.settings.idle_check and idle_for > self.settings.idle_check
            if stale and not await conn.noop():
                continue
            return conn
        return await self.open()

    def _checkin(self, conn: SmtpConnection) -> None:
        if self._closed or not conn.connected or conn.busy:
            conn.close()
            return
        conn.last_used = time.monotonic()
        self._idle.append(conn)

    @contextlib.asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.settings.max_connections)
        async with self._slots:
            yield

    # -- Transport API -------------------------------------------------------

    async def send(self, envelope: Envelope, data: bytes) -> SendResult:
        """Deliver ``data`` to ``envelope`` over a pooled session (see :class:`Transport`)."""
        if self.limiter is not None:
            await self.limiter.wait()
        started = time.monotonic()
        async with self._slot():
            conn = await self._checkout()
            try:
                try:
                    result = await conn.send(envelope, data)
                except _StaleConnection:
                    log.debug("session to %s was closed by the server; reconnecting", conn.host)
                    conn.close()
                    conn = await self.open()
                    result = await conn.send(envelope, data)
            except asyncio.CancelledError:
                # Stopped mid-transaction: a late reply could be taken for the next
                # command's, so this session is not reused.
                conn.close()
                raise
            finally:
                self._checkin(conn)
        result.duration = time.monotonic() - started
        result.transport = self.name
        return result

    async def send_many(
        self, messages: Iterable[tuple[Envelope, bytes]]
    ) -> AsyncGenerator[SendResult | MailplugError, None]:
        """Deliver messages one after another over one pooled session (see :class:`Transport`).

        With PIPELINING, each message's MAIL, RCPT and DATA go out with the
        previous message's data, so a message costs one round trip instead
        of two.  A rate-limited account sends them one by one.
        """
        if self.limiter is not None:
            async for each in super().send_many(messages):
                yield each
            return
        source = iter(messages)
        taken: list[tuple[Envelope, bytes]] = []

        def following() -> tuple[Envelope, bytes] | None:
            item = next(source, None)
            if item is not None:
                taken.append(item)
            return item

        item = next(source, None)
        if item is None:
            return
        async with self._slot():
            conn: SmtpConnection | None = None
            sending = False
            try:
                while item is not None:
                    envelope, data = item
                    started = time.monotonic()
                    outcome: SendResult | MailplugError
                    sending = True
                    try:
                        if conn is None:
                            conn = await self._checkout()
                        try:
                            outcome = await conn.send(envelope, data, following=following)
                        except _StaleConnection:
                            log.debug(
                                "session to %s was closed by the server; reconnecting", conn.host
                            )
                            conn.close()
                            conn = await self.open()
                            outcome = await conn.send(envelope, data, following=following)
                    except MailplugError as error:
                        outcome = error
                    else:
                        outcome.duration = time.monotonic() - started
                        outcome.transport = self.name
                    sending = False
                    if conn is not None and not conn.connected:
                        conn.close()
                        conn = None  # the next message (even one already on the wire) starts afresh
                    item = taken.pop() if taken else None
                    yield outcome
                    if item is None:
                        item = next(source, None)
            except BaseException:
                if conn is not None and (sending or conn.busy):
                    # Stopped mid-transaction: a late reply could be taken for the next
                    # command's, so this session is not reused.
                    conn.close()
                raise
            finally:
                if conn is not None:
                    self._checkin(conn)

    async def check(
        self, *, rcpt: str | None = None, options: CheckOptions | None = None
    ) -> CheckReport:
        """The account check, step by step, nothing sent (see :mod:`mailplug_smtp.check`)."""
        from .check import probe

        return await probe(self, rcpt=rcpt, options=options)

    async def aclose(self) -> None:
        """QUIT every idle session; sessions in use close when their send ends."""
        self._closed = True
        idle, self._idle = self._idle, []
        await asyncio.gather(*(conn.quit() for conn in idle), return_exceptions=True)


def _copy(error: MailplugError) -> MailplugError:
    return type(error)(
        error.spec, reply=error.reply, recipient=error.recipient, host=error.host, **error.params
    )


def smtp_transport_factory(
    account: Account, *, auth: Authenticator | None, services: Services
) -> SmtpTransport:
    """The factory registered as transport ``smtp``."""
    return SmtpTransport(account, auth=auth, services=services)
