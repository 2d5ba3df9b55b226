"""A real SMTP server on 127.0.0.1 for tests: aiosmtpd, trustme certificates, scripted replies.

For people testing their own mail code against a server that behaves like
the real ones (and misbehaves on cue), and for authors of third-party
transports who want to run their transport end to end.  It needs the
``testing`` extra::

    pip install "mailplug[testing]"

The server runs its own event loop in a thread, so it keeps answering while
the test's loop (or a synchronous ``Mailer``) is busy::

    from mailplug import AsyncMailer, Message
    from mailplug.testing.smtp import Script, SMTPServer

    async def test_unknown_recipient_is_reported():
        script = Script(rcpt={"nobody@example.pl": "550 5.1.1 No such user"})
        with SMTPServer(tls="starttls", users={"jan@example.pl": "s3cret"},
                        script=script) as srv:
            account = srv.account(
                auth="password",
                auth_settings={"username": "jan@example.pl", "password": "s3cret"},
            )
            async with AsyncMailer([account], outbox=None) as mailer:
                result = await mailer.send(
                    Message(to=["ala@example.pl", "nobody@example.pl"], subject="Hi", text="…")
                )
        assert srv.messages[0].envelope.rcpt_tos == ["ala@example.pl"]
        assert [r.address for r in result.refused] == ["nobody@example.pl"]
        assert srv.auth_attempts[0].success and srv.messages[0].tls

A pytest fixture that stops every server a test started::

    @pytest.fixture
    def smtp_server():
        started = []
        def start(**options):
            started.append(SMTPServer(**options).start())
            return started[-1]
        yield start
        for server in started:
            server.stop()

``async with SMTPServer(...)`` works too (it starts and stops the server off
the event loop), and :func:`running` is a ``with`` shortcut.

Options (all keyword-only):

* ``tls``: ``"none"``, ``"starttls"`` (offered; ``require_starttls=True`` to
  refuse mail before it) or ``"tls"`` (implicit TLS, like port 465);
* ``cert_hostnames``: identities of the server certificate (default
  ``localhost`` and ``127.0.0.1``); ``expired_cert=True``; ``tls_max_version`` /
  ``tls_min_version`` (``ssl.TLSVersion``); the client trusts :attr:`~SMTPServer.ca_file`
  (one throw-away CA per process, :func:`shared_ca`);
* ``users``: ``{username: password}`` enables AUTH with ``auth_mechanisms``
  (``PLAIN``, ``LOGIN``, ``CRAM-MD5``, ``XOAUTH2``); ``xoauth2`` is a checker
  ``(username, token) -> bool`` (a refused token gets Gmail's ``334`` base64
  JSON, then ``535 5.7.8``); ``auth_require_tls`` (default: AUTH only after TLS);
  ``auth_required`` (MAIL refused before AUTH);
* ``smtputf8`` (default on), ``size_limit`` (announced SIZE; ``None`` for none);
* ``pipelining``: announce PIPELINING (RFC 2920; aiosmtpd reads commands line
  by line, so it takes pipelined commands as they come); ``record_input``
  keeps every chunk of bytes the server received (:attr:`~SMTPServer.received_chunks`),
  to see which commands came in one write;
* ``script``: a :class:`Script` of replies, delays and disconnects per stage.

Recorded on the :class:`SMTPServer`: ``messages`` (accepted, as
:class:`Received`: envelope, bytes, Message-ID, connection number, monotonic
time), ``rejected`` (data refused by a scripted reply), ``connections``
(sessions opened), ``max_concurrent``, ``received_chunks``,
``open_connections`` / :meth:`~SMTPServer.wait_closed`, ``auth_attempts``
(:class:`AuthAttempt`: mechanism, user name, success — never the secret),
``commands`` (verb per session, e.g. ``(1, "RSET")``),
``data_after_scripted_354`` (what the client sent after a scripted ``354``);
:meth:`~SMTPServer.by_message_id` groups messages by Message-ID (to count
duplicates).  The lists are appended to from the server's thread: read them
after the client is done.

Client side: :meth:`~SMTPServer.settings` / :meth:`~SMTPServer.account` give
an ``smtp`` account for this server (``127.0.0.1``, its port, security, the
CA file, 5 s timeouts); keyword arguments override settings.  Other
processes (a flush in a subprocess) can use the same ``host``/``port``/``ca_file``.

For transport authors: the server speaks plain SMTP, so a transport of your
own is tested the same way: point it at ``srv.host``/``srv.port`` (and
``srv.ca_file`` for TLS) and assert on what the server recorded.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import binascii
import contextlib
import datetime as dt
import functools
import hmac
import itertools
import json
import logging
import shutil
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any, Literal

try:
    import trustme
    from aiosmtpd.smtp import (
        MISSING,
        SMTP,
        AuthResult,
        Envelope,
        LoginPassword,
        Session,
        syntax,
    )
except ImportError as exc:
    raise ImportError(
        "mailplug.testing.smtp needs aiosmtpd and trustme, which the testing extra installs: "
        'pip install "mailplug[testing]"',
        name=exc.name,
    ) from exc

__all__ = [
    "AuthAttempt",
    "Received",
    "ReceivedEnvelope",
    "SMTPServer",
    "Script",
    "running",
    "shared_ca",
]

Reply = str | Callable[..., str | None] | None


class _QuietDeprecation(logging.Filter):
    """aiosmtpd warns about its own use of Session.login_data on every AUTH."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(_QuietDeprecation())

GMAIL_XOAUTH2_ERROR = {"status": "400", "schemes": "Bearer", "scope": "https://mail.google.com/"}
GMAIL_BAD_CREDENTIALS = (
    "535-5.7.8 Username and Password not accepted. For more information, go to\r\n"
    "535 5.7.8  https://support.google.com/mail/?p=BadCredentials x1-20020a.1 - gsmtp"
)


# --------------------------------------------------------------------------
# Certificates
# --------------------------------------------------------------------------


@functools.cache
def shared_ca() -> trustme.CA:
    """One test CA per process (key generation is the slow part)."""
    return trustme.CA()


@functools.cache
def _tmpdir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="mailplug-smtp-test-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


@functools.cache
def _ca_file() -> Path:
    path = _tmpdir() / "ca.pem"
    shared_ca().cert_pem.write_to_path(str(path))
    return path


@functools.cache
def _leaf(hostnames: tuple[str, ...], expired: bool) -> trustme.LeafCert:
    if expired:
        now = dt.datetime.now(dt.UTC)
        return shared_ca().issue_cert(
            *hostnames,
            not_before=now - dt.timedelta(days=30),
            not_after=now - dt.timedelta(days=1),
        )
    return shared_ca().issue_cert(*hostnames)


# --------------------------------------------------------------------------
# What the server records
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedEnvelope:
    mail_from: str
    rcpt_tos: list[str]
    mail_options: list[str]
    rcpt_options: list[str]


@dataclass(frozen=True)
class Received:
    """One message the server accepted the data of (before its reply)."""

    envelope: ReceivedEnvelope
    data: bytes
    connection: int
    at: float
    tls: bool
    authenticated_as: str | None

    @functools.cached_property
    def message_id(self) -> str | None:
        headers = BytesHeaderParser().parsebytes(self.data)
        value = headers.get("Message-ID")
        return str(value).strip() if value else None

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass(frozen=True)
class AuthAttempt:
    mechanism: str
    username: str | None
    success: bool
    tls: bool
    connection: int


# --------------------------------------------------------------------------
# Script
# --------------------------------------------------------------------------


@dataclass
class Script:
    """Replies and misbehaviour per stage.

    A reply is a full SMTP reply line (``"550 5.1.1 No such user"``; several
    lines joined with CRLF for a multi-line reply), or a callable returning
    one (``None``: behave normally).  Any ``421`` reply closes the session
    after it is sent, as real servers do.

    :ivar greeting: replaces ``220 …`` (e.g. ``"554 5.7.1 No SMTP service here"``).
    :ivar greeting_delay: seconds before the greeting (connect timeouts).
    :ivar ehlo: reply to EHLO instead of the extension list.
    :ivar mail: reply to MAIL FROM; callable ``(address) -> reply``.
    :ivar rcpt: ``{address: reply}`` per recipient (case-insensitive), or a
        callable ``(address) -> reply``.
    :ivar data_command: reply to the DATA command instead of aiosmtpd's own
        (``354``, or ``503`` without recipients); callable ``(rcpt_tos) -> reply``.
        A scripted ``354`` takes the data and refuses it (``554``).
    :ivar data: reply after the end of data (the message is still recorded);
        callable ``(Received) -> reply``.
    :ivar auth: reply to every AUTH command (e.g. ``"534 5.7.9 …"``).
    :ivar disconnect_after_rcpt: close the session on the first RCPT, without a reply.
    :ivar disconnect_after_data: record the message, then close before replying.
    :ivar unsolicited: ``{stage: reply}``: after answering that stage normally,
        send this extra line (typically a 421) and close.
    :ivar delays: ``{stage: seconds}`` before answering ``ehlo``, ``mail``,
        ``rcpt``, ``data`` (after the end of data), ``auth``, ``rset``, ``noop``.
    :ivar close_after_messages: close the session (silently) after this many
        messages on it, as servers limiting messages per connection do.
    :ivar max_recipients: accept at most this many RCPTs per transaction; the
        next ones get ``452 4.5.3 Too many recipients`` (RFC 5321 4.5.3.1.10).
    """

    greeting: str | None = None
    greeting_delay: float = 0.0
    ehlo: Reply = None
    mail: Reply = None
    rcpt: dict[str, str] | Callable[[str], str | None] | None = None
    data_command: Reply = None
    data: Reply = None
    auth: Reply = None
    disconnect_after_rcpt: bool = False
    disconnect_after_data: bool = False
    unsolicited: dict[str, str] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    close_after_messages: int | None = None
    max_recipients: int | None = None

    def rcpt_reply(self, address: str) -> str | None:
        if self.rcpt is None:
            return None
        if callable(self.rcpt):
            return self.rcpt(address)
        for key, value in self.rcpt.items():
            if key.lower() == address.lower():
                return value
        return None


def _call(reply: Reply, *args: Any) -> str | None:
    if reply is None:
        return None
    if callable(reply):
        return reply(*args)
    return reply


# --------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------


class _Handler:
    def __init__(self, server: SMTPServer) -> None:
        self.srv = server

    # -- helpers --

    async def _delay(self, stage: str) -> None:
        delay = self.srv.script.delays.get(stage, 0.0)
        if delay:
            await asyncio.sleep(delay)

    async def _reply(self, smtpd: SMTP, reply: str | None) -> Any:
        """Send ``reply`` ourselves when it must be followed by a close; else return it."""
        if reply is None:
            return MISSING
        if reply.startswith("421"):
            await smtpd.push(reply)
            await _hang_up(smtpd)
        return reply

    # -- hooks --

    async def handle_EHLO(
        self, smtpd: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        await self._delay("ehlo")
        self.srv._command(smtpd, "EHLO")
        scripted = _call(self.srv.script.ehlo, hostname)
        if scripted is not None:
            if scripted.startswith("421"):
                await smtpd.push(scripted)
                await _hang_up(smtpd)
            return [scripted]
        session.host_name = hostname
        if not self.srv.auth_enabled:
            responses = [r for r in responses if not r[4:].upper().startswith("AUTH")]
        if self.srv.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_AUTH(
        self, smtpd: SMTP, session: Session, envelope: Envelope, args: list[str]
    ) -> Any:
        await self._delay("auth")
        self.srv._command(smtpd, "AUTH")
        scripted = _call(self.srv.script.auth, args[0].upper() if args else "")
        if scripted is not None:
            self.srv._auth_attempt(smtpd, args[0].upper() if args else "", None, False)
            return await self._reply(smtpd, scripted)
        return MISSING

    async def handle_MAIL(
        self, smtpd: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> Any:
        await self._delay("mail")
        self.srv._command(smtpd, "MAIL")
        result = await self._reply(smtpd, _call(self.srv.script.mail, address))
        if result is MISSING and "mail" in self.srv.script.unsolicited:
            envelope.mail_from = address
            envelope.mail_options.extend(options)
            await self._unsolicited(smtpd, "mail", ok="250 2.1.0 OK")
        return result

    async def handle_RCPT(
        self, smtpd: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> Any:
        await self._delay("rcpt")
        self.srv._command(smtpd, "RCPT")
        if self.srv.script.disconnect_after_rcpt:
            await _hang_up(smtpd)
        reply = self.srv.script.rcpt_reply(address)
        limit = self.srv.script.max_recipients
        if reply is None and limit is not None and len(envelope.rcpt_tos) >= limit:
            reply = "452 4.5.3 Too many recipients"
        if reply is None:
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(options)
            reply = "250 2.1.5 OK"
        return await self._reply(smtpd, reply)

    async def handle_DATA(self, smtpd: SMTP, session: Session, envelope: Envelope) -> Any:
        srv = self.srv
        data = envelope.original_content or b""
        received = Received(
            envelope=ReceivedEnvelope(
                mail_from=str(envelope.mail_from),
                rcpt_tos=list(envelope.rcpt_tos),
                mail_options=list(envelope.mail_options),
                rcpt_options=list(envelope.rcpt_options),
            ),
            data=bytes(data),
            connection=getattr(smtpd, "_mp_number", 0),
            at=time.monotonic(),
            tls=smtpd._tls_protocol is not None or srv.tls == "tls",
            authenticated_as=_login_name(session),
        )
        srv._command(smtpd, "DATA-END")
        reply = _call(srv.script.data, received)
        if reply is None or reply.startswith("2"):
            srv.messages.append(received)
        else:
            srv.rejected.append(received)
        if srv.script.disconnect_after_data:
            await _hang_up(smtpd)
        await self._delay("data")
        smtpd._mp_messages = getattr(smtpd, "_mp_messages", 0) + 1  # type: ignore[attr-defined]
        limit = srv.script.close_after_messages
        if limit is not None and smtpd._mp_messages >= limit:  # type: ignore[attr-defined]
            await smtpd.push(reply or "250 2.0.0 OK queued")
            await _hang_up(smtpd)
        result = await self._reply(smtpd, reply)
        return "250 2.0.0 OK queued" if result is MISSING else result

    async def handle_RSET(self, smtpd: SMTP, session: Session, envelope: Envelope) -> Any:
        await self._delay("rset")
        self.srv._command(smtpd, "RSET")
        return MISSING

    async def handle_NOOP(self, smtpd: SMTP, session: Session, envelope: Envelope, arg: str) -> Any:
        await self._delay("noop")
        self.srv._command(smtpd, "NOOP")
        return MISSING

    async def handle_QUIT(self, smtpd: SMTP, session: Session, envelope: Envelope) -> Any:
        self.srv._command(smtpd, "QUIT")
        return MISSING

    async def _unsolicited(self, smtpd: SMTP, stage: str, *, ok: str) -> None:
        # Answer normally, then the extra line in the same write, then close.
        await smtpd.push(ok + "\r\n" + self.srv.script.unsolicited[stage])
        await _hang_up(smtpd)

    # -- SASL mechanisms beyond aiosmtpd's PLAIN and LOGIN --

    async def auth_CRAM__MD5(self, smtpd: SMTP, args: list[str]) -> AuthResult:
        challenge = f"<{time.time_ns()}@{smtpd.hostname}>".encode()
        answer = await smtpd.challenge_auth(challenge)
        if answer is MISSING:
            return AuthResult(success=False, handled=True)
        assert isinstance(answer, bytes)
        user, _, digest = answer.decode("utf-8", "replace").partition(" ")
        password = self.srv.users.get(user)
        expected = hmac.new(password.encode(), challenge, "md5").hexdigest() if password else None
        ok = expected is not None and hmac.compare_digest(expected, digest)
        self.srv._auth_attempt(smtpd, "CRAM-MD5", user, ok)
        return AuthResult(success=ok, handled=False, auth_data=user)

    async def auth_XOAUTH2(self, smtpd: SMTP, args: list[str]) -> AuthResult:
        if len(args) > 1:
            try:
                blob = base64.b64decode(args[1], validate=True)
            except binascii.Error:
                return AuthResult(success=False, handled=False, message="501 5.5.2 Bad base64")
        else:
            answer = await smtpd.challenge_auth(b"")
            if answer is MISSING:
                return AuthResult(success=False, handled=True)
            assert isinstance(answer, bytes)
            blob = answer
        fields = dict(
            part.split("=", 1)
            for part in blob.decode("utf-8", "replace").split("\x01")
            if "=" in part
        )
        user = fields.get("user", "")
        token = fields.get("auth", "").removeprefix("Bearer ")
        checker = self.srv.xoauth2
        ok = bool(checker is not None and checker(user, token))
        self.srv._auth_attempt(smtpd, "XOAUTH2", user, ok)
        if ok:
            return AuthResult(success=True, auth_data=user)
        # Gmail: a 334 challenge holding the JSON error, then 535 after the client's empty line.
        answer = await smtpd.challenge_auth(json.dumps(GMAIL_XOAUTH2_ERROR).encode())
        if answer is MISSING:
            return AuthResult(success=False, handled=True)
        return AuthResult(success=False, handled=False, message=GMAIL_BAD_CREDENTIALS)


def _login_name(session: Session) -> str | None:
    data = session.auth_data
    if isinstance(data, LoginPassword):
        return data.login.decode("utf-8", "replace")
    if isinstance(data, str):
        return data
    return None


async def _hang_up(smtpd: SMTP) -> None:
    """Close the session now; the handler task is cancelled by connection_lost."""
    if smtpd.transport is not None:
        smtpd.transport.close()
    await asyncio.sleep(3600)


class _ScriptedSMTP(SMTP):
    """aiosmtpd's server with a scriptable greeting and session bookkeeping."""

    def __init__(self, srv: SMTPServer, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._srv = srv
        self._greeted = False
        self._mp_number = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._original_transport is None and not self._greeted:
            self._mp_number = self._srv._opened()
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self._mp_number:
            self._srv._closed(self._mp_number)
            self._mp_number = -self._mp_number  # count each session once
        super().connection_lost(error)

    def data_received(self, data: bytes) -> None:
        if self._srv.record_input:
            self._srv.received_chunks.append((abs(self._mp_number), bytes(data)))
        super().data_received(data)

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        assert self.envelope is not None
        scripted = _call(self._srv.script.data_command, list(self.envelope.rcpt_tos))
        if scripted is None:
            await super().smtp_DATA(arg)
            return
        self._srv._command(self, "DATA")
        await self.push(scripted)
        if scripted.startswith("421"):
            await _hang_up(self)
        if scripted.startswith("354"):
            # A server that takes DATA although no recipient was accepted (RFC 2920
            # 3.1 tells the client to end it with a lone dot).
            data = b""
            while not data.endswith(b"\r\n.\r\n") and data != b".\r\n":
                data += await self._reader.readuntil(b"\r\n")
            self._srv._command(self, "DATA-END")
            self._srv.data_after_scripted_354.append(data)
            await self.push("554 5.5.1 Error: no valid recipients")

    async def push(self, status: Any) -> None:
        if not self._greeted:
            self._greeted = True
            script = self._srv.script
            if script.greeting_delay:
                await asyncio.sleep(script.greeting_delay)
            if script.greeting is not None:
                await super().push(script.greeting)
                if not script.greeting.startswith("2"):
                    # RFC 5321 4.3.1: after a 554 greeting only QUIT matters.
                    await _hang_up(self)
                return
        await super().push(status)


class SMTPServer:
    """A scripted aiosmtpd server on ``127.0.0.1`` with an ephemeral port."""

    host = "127.0.0.1"

    def __init__(
        self,
        *,
        tls: Literal["none", "starttls", "tls"] = "none",
        require_starttls: bool = False,
        cert_hostnames: Sequence[str] = ("localhost", "127.0.0.1"),
        expired_cert: bool = False,
        tls_max_version: ssl.TLSVersion | None = None,
        tls_min_version: ssl.TLSVersion | None = None,
        users: dict[str, str] | None = None,
        auth_mechanisms: Sequence[str] = ("PLAIN", "LOGIN", "CRAM-MD5"),
        xoauth2: Callable[[str, str], bool] | None = None,
        auth_require_tls: bool = True,
        auth_required: bool = False,
        smtputf8: bool = True,
        size_limit: int | None = 33_554_432,
        pipelining: bool = False,
        record_input: bool = False,
        script: Script | None = None,
        hostname: str = "mx.test.invalid",
        timeout: float = 30.0,
    ) -> None:
        if tls not in ("none", "starttls", "tls"):
            raise ValueError(f"tls must be none, starttls or tls, not {tls!r}")
        self.tls = tls
        self.require_starttls = require_starttls
        self.cert_hostnames = tuple(cert_hostnames)
        self.expired_cert = expired_cert
        self.tls_max_version = tls_max_version
        self.tls_min_version = tls_min_version
        self.users = dict(users or {})
        mechanisms = [m.upper() for m in auth_mechanisms]
        if xoauth2 is not None and "XOAUTH2" not in mechanisms:
            mechanisms.append("XOAUTH2")
        self.auth_mechanisms = mechanisms
        self.auth_enabled = bool(users) or xoauth2 is not None
        self.xoauth2 = xoauth2
        self.auth_require_tls = auth_require_tls
        self.auth_required = auth_required
        self.smtputf8 = smtputf8
        self.size_limit = size_limit
        self.pipelining = pipelining
        self.record_input = record_input
        self.script = script or Script()
        self.hostname = hostname
        self.timeout = timeout

        self.port = 0
        self.messages: list[Received] = []
        self.rejected: list[Received] = []
        self.auth_attempts: list[AuthAttempt] = []
        self.commands: list[tuple[int, str]] = []
        self.received_chunks: list[tuple[int, bytes]] = []
        self.data_after_scripted_354: list[bytes] = []
        self.connections = 0
        self.max_concurrent = 0
        self._open: set[int] = set()
        self._numbers = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._lock = threading.Lock()

    # -- certificates --

    @property
    def ca_file(self) -> Path:
        """PEM file of the CA that issued the server certificate (give it to the client)."""
        return _ca_file()

    def _server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        _leaf(self.cert_hostnames, self.expired_cert).configure_cert(context)
        if self.tls_max_version is not None:
            context.maximum_version = self.tls_max_version
        if self.tls_min_version is not None:
            context.minimum_version = self.tls_min_version
        return context

    # -- bookkeeping (server thread) --

    def _opened(self) -> int:
        with self._lock:
            number = next(self._numbers)
            self.connections += 1
            self._open.add(number)
            self.max_concurrent = max(self.max_concurrent, len(self._open))
        return number

    def _closed(self, number: int) -> None:
        with self._lock:
            self._open.discard(number)

    def _command(self, smtpd: SMTP, verb: str) -> None:
        self.commands.append((abs(getattr(smtpd, "_mp_number", 0)), verb))

    def _auth_attempt(self, smtpd: SMTP, mechanism: str, user: str | None, ok: bool) -> None:
        self.auth_attempts.append(
            AuthAttempt(
                mechanism,
                user,
                ok,
                smtpd._tls_protocol is not None or self.tls == "tls",
                abs(getattr(smtpd, "_mp_number", 0)),
            )
        )

    def _authenticator(
        self, smtpd: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = data.login.decode("utf-8", "replace")
        ok = user in self.users and hmac.compare_digest(
            self.users[user].encode(), bytes(data.password)
        )
        self._auth_attempt(smtpd, mechanism, user, ok)
        return AuthResult(success=ok, handled=False, auth_data=data)

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._open)

    def wait_closed(self, *, seconds: float = 5.0) -> int:
        """Wait (up to ``seconds``) until the server has seen every session close;
        returns how many are still open."""
        deadline = time.monotonic() + seconds
        while self.open_connections and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.open_connections

    # -- lifetime --

    def _factory(self) -> SMTP:
        starttls_context = self._server_context() if self.tls == "starttls" else None
        excluded = [
            m for m in ("PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2") if m not in self.auth_mechanisms
        ]
        if not self.auth_enabled:
            excluded = ["PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2"]
        return _ScriptedSMTP(
            self,
            _Handler(self),
            hostname=self.hostname,
            ident="mailplug test server",
            tls_context=starttls_context,
            require_starttls=self.require_starttls,
            enable_SMTPUTF8=self.smtputf8,
            data_size_limit=self.size_limit,
            # Implicit TLS is encrypted from the start; aiosmtpd only knows STARTTLS.
            auth_require_tls=self.auth_require_tls and self.tls != "tls",
            auth_required=self.auth_required,
            auth_exclude_mechanism=excluded,
            authenticator=self._authenticator,
            timeout=self.timeout,
            loop=self._loop,
        )

    def start(self) -> SMTPServer:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                ssl_context = self._server_context() if self.tls == "tls" else None
                self._server = loop.run_until_complete(
                    loop.create_server(self._factory, self.host, 0, ssl=ssl_context)
                )
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            self._server.close()
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.run_until_complete(self._server.wait_closed())
            loop.close()

        self._thread = threading.Thread(target=run, name="test-smtp-server", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise TimeoutError("test SMTP server did not start")
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        loop = self._loop

        def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            for task in asyncio.all_tasks(loop):
                task.cancel()
            loop.stop()

        with contextlib.suppress(RuntimeError):  # loop already closed
            loop.call_soon_threadsafe(shutdown)
        self._thread.join(10)
        self._thread = None

    def __enter__(self) -> SMTPServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> SMTPServer:
        return await asyncio.to_thread(self.start)

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.stop)

    # -- for the client side --

    @property
    def security(self) -> str:
        return {"none": "none", "starttls": "starttls", "tls": "tls"}[self.tls]

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """``settings`` of an smtp account that talks to this server (short timeouts)."""
        settings: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "security": self.security,
            "connect_timeout": 5.0,
            "timeout": 5.0,
            "local_hostname": "client.test.invalid",
        }
        if self.tls != "none":
            settings["ca_file"] = str(self.ca_file)
        settings.update(overrides)
        return settings

    def account(
        self,
        *,
        name: str = "test",
        email: str = "sender@example.com",
        auth: str | None = None,
        auth_settings: dict[str, Any] | None = None,
        **settings: Any,
    ) -> dict[str, Any]:
        """An account dict for ``Account.model_validate`` sending through this server."""
        data: dict[str, Any] = {
            "name": name,
            "email": email,
            "transport": "smtp",
            "settings": self.settings(**settings),
            "auth": auth,
        }
        if auth_settings is not None:
            data["auth_settings"] = auth_settings
        return data

    def by_message_id(self) -> dict[str | None, list[Received]]:
        out: dict[str | None, list[Received]] = {}
        for received in self.messages:
            out.setdefault(received.message_id, []).append(received)
        return out


@contextlib.contextmanager
def running(**options: Any) -> Iterator[SMTPServer]:
    """``with running(tls="starttls") as srv: ...``"""
    with SMTPServer(**options) as server:
        yield server
