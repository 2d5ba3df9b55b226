"""One SMTP session, driven step by step: connect, EHLO, STARTTLS, AUTH, transactions.

:class:`SmtpConnection` is what the transport pools and what the account
check (:mod:`mailplug_smtp.probe`) walks through one step at a time.  Every
method raises mailplug errors only: aiosmtplib, ``ssl`` and socket errors are
mapped by :mod:`mailplug_smtp.errormap`.

Things aiosmtplib hides and a session recovers:

* a ``421`` that arrives while no command is waiting (a server closing an
  idle or overloaded session) is dropped by aiosmtplib, and the next command
  just sees a disconnect: :class:`~mailplug_smtp.wire.Wire` keeps the last
  bytes received, so the error carries the server's own 421 reply;
* a failed STARTTLS handshake is a raw ``ssl`` error, an implicit-TLS one is
  hidden in ``SMTPConnectError.__cause__`` (see :mod:`mailplug_smtp.tls`);
* transactions are driven here (pipelined when the server offers it, RFC
  2920) so that a connection lost *after* the final dot is told apart from
  one lost before: the first is ``smtp.uncertain`` (the server may have
  taken the message), the second a plain disconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import re
import socket
import ssl
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import aiosmtplib
from aiosmtplib.errors import (
    SMTPConnectTimeoutError,
    SMTPException,
    SMTPResponseException,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)

from mailplug.plugin import (
    RECIPIENTS_REFUSED,
    Body,
    Category,
    MailplugError,
    RecipientResult,
    RecipientsRefusedError,
    SendResult,
    ServerReply,
    outbox_keys,
)
from mailplug.plugin import keys as core_keys

from . import keys, replies, rules, sasl
from .errormap import STAGE_LABELS, Failure, map_exception
from .reply import parse_reply
from .tls import build_tls_context, probe_implicit_tls, reset_error, reset_in_handshake
from .wire import Wire

if TYPE_CHECKING:
    from mailplug.plugin import Authenticator, Credentials, Data, Envelope, ErrorSpec

    from .settings import SmtpSettings

__all__ = [
    "SmtpConnection",
    "StaleConnection",
    "default_local_hostname",
    "is_login_refusal",
    "open_connection",
]

log = logging.getLogger("mailplug.smtp")

_BARE_EOL_RE = re.compile(rb"\r(?!\n)|(?<!\r)\n")
#: What aiosmtplib refuses in a command argument (CR and LF would inject commands).
_CONTROL_RE = re.compile(rb"[\x00-\x1f\x7f]")
_CLOSING = 421
#: A refusal that names no cause but the client itself ("Client host rejected: Access
#: denied", "Relay access denied", "Access denied"): Postfix's answer on a submission
#: port to a client that did not log in.
_CLIENT_REFUSAL_RE = re.compile(
    r"client host rejected|relay(?:ing)? (?:access )?(?:denied|not permitted|prohibited)|"
    r"access denied|not permitted to relay|unable to relay",
    re.IGNORECASE,
)
_NO_LOGIN_STAGES = frozenset({"mail", "rcpt", "data"})


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


class _DotStuffer:
    """:func:`_data_payload` for a message read in pieces: the same bytes, piece by piece."""

    __slots__ = ("carry", "line_start")

    def __init__(self) -> None:
        self.line_start = True
        self.carry = b""  # a CR at the end of a piece: its LF may start the next one

    def feed(self, piece: bytes) -> bytes:
        data = self.carry + piece
        if data.endswith(b"\r"):
            self.carry, data = b"\r", data[:-1]
        else:
            self.carry = b""
        if not data:
            return b""
        crlf = data.count(b"\r\n")
        if data.count(b"\n") != crlf or data.count(b"\r") != crlf:
            data = _BARE_EOL_RE.sub(b"\r\n", data)
        if self.line_start and data.startswith(b"."):
            data = b"." + data
        data = data.replace(b"\r\n.", b"\r\n..")
        self.line_start = data.endswith(b"\r\n")
        return data

    def end(self) -> bytes:
        """The last bytes: a held CR made a line end, then the final dot."""
        if self.carry:
            self.carry, self.line_start = b"", True
            return b"\r\n.\r\n"
        return b".\r\n" if self.line_start else b"\r\n.\r\n"


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


def is_login_refusal(error: MailplugError) -> bool:
    """Whether ``error`` is the server refusing the credentials (not a network failure)."""
    code = error.code
    enhanced = error.reply.enhanced if error.reply else None
    return (
        (error.category == Category.AUTHENTICATION and error.reply is not None)
        or code == 535
        or (enhanced or "").startswith("5.7.8")
    )


# --------------------------------------------------------------------------
# One SMTP session
# --------------------------------------------------------------------------


@dataclass(slots=True)
class _Prepared:
    """One transaction ready for the wire: its commands and the data as sent after DATA."""

    envelope: Envelope
    data: Data
    mail: bytes
    rcpts: list[bytes]
    #: The data as sent (empty for a big message: it is streamed from :attr:`data`).
    payload: bytes
    #: Refused before anything was sent (SMTPUTF8, SIZE …).
    error: MailplugError | None = None
    #: Its commands already went out, after the previous message's data.
    written: bool = False


#: Enhanced codes of "too many recipients in this transaction" (RFC 3463 X.5.3).
_TOO_MANY = frozenset({"4.5.3", "5.5.3"})


def _too_many(result: RecipientResult) -> bool:
    """A recipient refused only because the transaction had enough of them (RFC 5321
    4.5.3.1.10: 452, and clients should expect 552 from older servers)."""
    if result.accepted:
        return False
    if result.enhanced in _TOO_MANY:
        return True
    return result.code in (452, 552) and "too many recipients" in result.text.lower()


class StaleConnection(Exception):
    """A reused session turned out to be closed before the transaction began."""

    def __init__(self, error: MailplugError) -> None:
        super().__init__(error.key)
        self.error = error


class SmtpConnection:
    """One SMTP session for an account, driven step by step.

    ::

        conn = SmtpConnection(settings, tls_context=ctx, classify=classify)
        await conn.connect()        # TCP (+ implicit TLS) and greeting
        await conn.ehlo()
        await conn.starttls()       # security "starttls": required, never skipped
        await conn.login(authenticator)
        result = await conn.send(envelope, data)
        await conn.quit()

    Every method raises mailplug errors only.

    :param classify: ``classify(reply, *, stage, host)`` → the spec of a
        reply that ends a step or the session (``services.classify`` with the
        account bound); without it every refusal is ``server.unknown``.
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
        self._wire = Wire()
        self._ahead: _Prepared | None = None
        #: RCPTs per transaction the server takes, learnt from a "452 4.5.3 too many
        #: recipients" on this session (``None``: no limit seen).
        self.rcpt_limit: int | None = None

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
        return self.extra_info("sslcontext") is not None

    @property
    def tls_version(self) -> str | None:
        obj = self.extra_info("ssl_object")
        return obj.version() if obj is not None else None

    @property
    def cipher(self) -> str | None:
        info = self.extra_info("cipher")
        return str(info[0]) if info else None

    @property
    def max_size(self) -> int | None:
        """The SIZE the server announced (``None``: no limit announced)."""
        raw = self.extensions.get("size", "").strip()
        return int(raw) if raw.isdigit() and int(raw) > 0 else None

    @property
    def supports_smtputf8(self) -> bool:
        return "smtputf8" in self.extensions

    def extra_info(self, key: str) -> Any:
        """The connection's ``get_extra_info(key)`` (``peername``, ``ssl_object`` …)."""
        if self.smtp is None or self.smtp.transport is None:
            return None
        return self.smtp.transport.get_extra_info(key)

    def __repr__(self) -> str:
        state = "open" if self.connected else "closed"
        return f"<SmtpConnection {self.host}:{self.port} {self.settings.security} {state}>"

    # -- errors --------------------------------------------------------------

    def reply_error(
        self, reply: ServerReply, stage: str, *, recipient: str | None = None, **params: Any
    ) -> MailplugError:
        """The error a server reply stands for at ``stage``."""
        if self._classify is None:
            spec = core_keys.SERVER_UNKNOWN
        else:
            spec = self._classify(reply, stage=stage, host=self.host)
        if self._refused_for_no_login(spec, reply, stage):
            spec = replies.AUTH_LOGIN_NOT_SET
        return spec.error(
            reply=reply,
            recipient=recipient,
            host=self.host,
            port=self.port,
            stage=STAGE_LABELS.get(stage, stage),
            **params,
        )

    def _no_login_spec(self, reply: ServerReply, stage: str) -> ErrorSpec | None:
        """:data:`~mailplug_smtp.replies.AUTH_LOGIN_NOT_SET` when ``reply`` refuses a
        connection that did not log in although the server offered AUTH, else ``None``
        (the core classifies the reply as usual)."""
        if self._classify is None or self.authenticated_as is not None or not self.auth_mechanisms:
            return None
        spec = self._classify(reply, stage=stage, host=self.host)
        return (
            replies.AUTH_LOGIN_NOT_SET if self._refused_for_no_login(spec, reply, stage) else None
        )

    def _refused_for_no_login(self, spec: ErrorSpec, reply: ServerReply, stage: str) -> bool:
        """Whether a refusal is the server asking for the login this account does not use.

        The session knows what the classifier cannot: this connection did not log in
        although the server offered AUTH in its EHLO answer (not on port 25, where MX
        servers answer blocked clients the same way).  A permanent refusal of
        the sender, a recipient or the message that names only the client ("Client host
        rejected: Access denied", "Relay access denied") then means "log in", not a
        blocklist; a reply that names a blocklist keeps its own meaning.
        """
        if self.authenticated_as is not None or not self.auth_mechanisms:
            return False
        # Port 25 is where MX servers refuse blocked clients with the same words.
        if self.port == 25:
            return False
        if stage not in _NO_LOGIN_STAGES or (reply.code or 0) < 500:
            return False
        # "Authentication required" already says so (smtp.auth.required); a refusal
        # that names a blocklist or SPF/DKIM keeps its own meaning.
        if spec.category is not Category.REJECTED:
            return False
        text = reply.text or ""
        if rules.P_BLOCKLIST.search(text) or rules.P_SENDER_AUTH.search(text):
            return False
        return _CLIENT_REFUSAL_RE.search(text) is not None

    def map_error(
        self, exc: BaseException, stage: str, *, data_sent: bool = False
    ) -> MailplugError:
        """Map an aiosmtplib/ssl/socket exception raised at ``stage`` to a mailplug error
        (see :mod:`mailplug_smtp.errormap`)."""
        if isinstance(exc, SMTPResponseException) and exc.code == _CLOSING:
            self.close()
        failure = Failure(
            exc,
            stage,
            self.settings,
            reply_error=self.reply_error,
            recovered=self._wire.recovered,
            data_sent=data_sent,
        )
        return map_exception(failure)

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
            if implicit and self.diagnose and reset_in_handshake(exc):
                raise await self._reset_error(exc, "connect") from exc
            raise self.map_error(exc, "connect") from exc
        self._wire.install(self.smtp)
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
            if self.diagnose and reset_in_handshake(exc):
                raise await self._reset_error(exc, "starttls") from exc
            raise self.map_error(exc, "starttls") from exc
        finally:
            self._wire.mark()
        self.extensions, self.auth_mechanisms = {}, []
        return parse_reply(response.code, response.message)

    async def _reset_error(self, exc: BaseException, stage: str) -> MailplugError:
        """The server dropped the TLS handshake without a word: ask it which TLS
        version it does speak (see :func:`mailplug_smtp.tls.reset_error`)."""
        error = await reset_error(
            exc,
            self.settings,
            stage=STAGE_LABELS.get(stage, stage),
            local_hostname=self.local_hostname or await default_local_hostname(),
        )
        # None: the server drops everything, not a TLS problem.
        return error if error is not None else self.map_error(exc, stage)

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
            if not is_login_refusal(error):
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
                if is_login_refusal(second):
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

    async def command(self, stage: str, *args: bytes) -> ServerReply:
        """One command outside a transaction, and its reply, whatever it is
        (the account check's ``MAIL FROM`` and ``RCPT TO``, nothing sent)."""
        smtp = self._require(stage)
        try:
            response = await smtp.execute_command(*args)
        except (SMTPException, OSError, TimeoutError, ValueError) as exc:
            raise self.map_error(exc, stage) from exc
        finally:
            self._wire.mark()
        return parse_reply(response.code, response.message)

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
        data: Data,
        *,
        following: Callable[[], tuple[Envelope, Data] | None] | None = None,
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
                    raise StaleConnection(error) from error
        parts = self._split(prepared)
        results: list[RecipientResult] = []
        reply = ServerReply()
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            self.dirty = True
            self._wire.begin()
            try:
                if not results:
                    done, reply = await self._transaction(part, reused, following if last else None)
                else:
                    # Recipients already took the message: a later transaction's failure
                    # concerns its own recipients only.
                    done, reply = await self._further(part, following if last else None)
            finally:
                if not self.busy:
                    self._wire.end()
            results += done
            # "Too many recipients": the rest go in a further transaction on this
            # session, at once (as Postfix does), and later ones are cut to the limit.
            tried = [r for r in done if not _too_many(r)]
            rest = [r.address for r in done if _too_many(r)]
            if rest and tried and any(r.accepted for r in tried):
                self.rcpt_limit = min(self.rcpt_limit or len(tried), len(tried))
                results = [r for r in results if not _too_many(r)]
                parts[i + 1 : i + 1] = self._split(self._subset(part, rest))
                reused = True
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

    def _split(self, prepared: _Prepared) -> list[_Prepared]:
        """``prepared`` cut into transactions of at most :attr:`rcpt_limit` recipients."""
        limit = self.rcpt_limit
        addresses = prepared.envelope.recipients
        if limit is None or prepared.written or len(addresses) <= limit:
            return [prepared]
        return [
            self._subset(prepared, addresses[i : i + limit])
            for i in range(0, len(addresses), limit)
        ]

    @staticmethod
    def _subset(prepared: _Prepared, addresses: Sequence[str]) -> _Prepared:
        """The same message for some of its recipients."""
        commands = dict(zip(prepared.envelope.recipients, prepared.rcpts, strict=True))
        return _Prepared(
            replace(prepared.envelope, recipients=tuple(addresses)),
            prepared.data,
            prepared.mail,
            [commands[a] for a in addresses],
            prepared.payload,
        )

    async def _further(
        self, part: _Prepared, following: Callable[[], tuple[Envelope, Data] | None] | None
    ) -> tuple[list[RecipientResult], ServerReply]:
        """A further transaction of a message some recipients already took: its failure
        becomes the refusal of its own recipients (the earlier ones keep their "yes")."""
        try:
            return await self._transaction(part, True, following)
        except RecipientsRefusedError as refused:
            return list(refused.results), refused.reply or ServerReply()
        except (MailplugError, StaleConnection) as exc:
            failure = exc.error if isinstance(exc, StaleConnection) else exc
            reply = failure.reply or ServerReply()
            text = reply.text or str(failure)
            return [
                RecipientResult(a, False, reply.code, reply.enhanced, text, error=failure.spec)
                for a in part.envelope.recipients
            ], reply

    @property
    def busy(self) -> bool:
        """The next message's commands are on the wire (see ``following`` in :meth:`send`)."""
        return self._ahead is not None and self._ahead.written

    def _prepare(self, envelope: Envelope, data: Data) -> _Prepared:
        """The transaction's commands and data as they go on the wire, after the
        checks that need no round trip (SMTPUTF8, SIZE, control characters).

        A big message (a :class:`~mailplug.plugin.Body`) is only looked at (its
        file is there, whole): it is streamed after the ``354``.
        """
        if envelope.smtputf8 and not self.supports_smtputf8:
            needs = [a for a in (envelope.sender, *envelope.recipients) if not a.isascii()]
            first = needs[0] if needs else None
            raise keys.SMTPUTF8_UNSUPPORTED.error(host=self.host, recipient=first, address=first)
        size = data.size if isinstance(data, Body) else len(data)
        limit = self.max_size
        if limit is not None and size > limit:
            raise keys.SIZE_EXCEEDED.error(host=self.host, size=size, limit=limit)
        if isinstance(data, Body):
            _check_body(data, envelope)
        encoding = "utf-8" if envelope.smtputf8 else "ascii"
        sender = envelope.sender.encode(encoding)
        recipients = [a.encode(encoding) for a in envelope.recipients]
        if _CONTROL_RE.search(b"".join((sender, *recipients))):
            raise core_keys.MESSAGE_HEADER_INJECTION.error(field="envelope")
        options = b""
        if "size" in self.extensions:
            options += b" SIZE=%d" % size
        if envelope.smtputf8:
            options += b" SMTPUTF8"
        # (A big message is not read to find out: 8BITMIME is declared whenever offered.)
        if "8bitmime" in self.extensions and (isinstance(data, Body) or not data.isascii()):
            options += b" BODY=8BITMIME"
        return _Prepared(
            envelope,
            data,
            b"MAIL FROM:<" + sender + b">" + options + b"\r\n",
            [b"RCPT TO:<" + r + b">\r\n" for r in recipients],
            b"" if isinstance(data, Body) else _data_payload(data),
        )

    def _look_ahead(self, following: Callable[[], tuple[Envelope, Data] | None] | None) -> bytes:
        """The next message's commands, to go out right after this one's data (or ``b""``)."""
        if following is None or not self.pipelining:
            return b""
        item = following()
        if item is None:
            return b""
        envelope, data = item
        if self.rcpt_limit is not None and len(envelope.recipients) > self.rcpt_limit:
            return b""  # it goes in several transactions: its send() cuts it up
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
        following: Callable[[], tuple[Envelope, Data] | None] | None,
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
                raise StaleConnection(error) from error
            raise
        refused: MailplugError | None = None  # the transaction failed, its replies still due
        if code != 250:
            refused = self.reply_error(parse_reply(code, text), "mail")
            if code == _CLOSING:
                self.close()
                raise StaleConnection(refused) if reused else refused
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
            if code == _CLOSING:
                self.close()
                raise self.reply_error(reply, "rcpt", recipient=address)
            # The facts only: the core decides what a refusal means.
            accepted = code in (250, 251)
            results.append(
                RecipientResult(
                    address,
                    accepted,
                    code,
                    reply.enhanced,
                    reply.text,
                    # The one meaning only the session can know: no login, AUTH offered.
                    error=None if accepted else self._no_login_spec(reply, "rcpt"),
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

        # No look-ahead when recipients are left for a further transaction of this message.
        ahead = b"" if any(_too_many(r) for r in results) else self._look_ahead(following)
        if isinstance(prepared.data, Body):
            await self._stream(prepared.data, prepared.envelope, ahead)
        else:
            self._write(prepared.payload + ahead, "data")
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

    async def _stream(self, body: Body, envelope: Envelope, tail: bytes) -> None:
        """Write a big message in pieces, dot-stuffed, waiting while the socket's buffer
        is full; then its final dot and ``tail`` (the next message's commands).

        A message cut short (its file unreadable, the connection lost) never gets
        its dot: the session is closed, so the server drops what it got.
        """
        stuffer = _DotStuffer()
        try:
            async for piece in body.achunks():
                self._write(stuffer.feed(piece), "data")
                async with asyncio.timeout(self.settings.timeout):
                    await self._wire.drain()
        except MailplugError:
            raise
        except (SMTPException, TimeoutError, ConnectionError) as exc:
            self.close()
            raise self.map_error(exc, "data") from exc
        except OSError as exc:  # the message's file
            self.close()
            raise _body_error(body, envelope, exc) from exc
        except BaseException:
            self.close()
            raise
        self._write(stuffer.end() + tail, "data")

    async def _settle(self, refused: MailplugError | None, stage: str) -> tuple[int, str]:
        """The next reply; once the transaction has failed, a lost reply is no news:
        the failure is what the caller hears."""
        if refused is None:
            return await self._reply(stage)
        try:
            return await self._reply(stage)
        except MailplugError as error:
            raise refused from error

    def _all_refused(self, results: list[RecipientResult]) -> RecipientsRefusedError:
        """Every recipient refused: the replies go up as they are; the core classifies
        each one and picks the one that decides (its reply shown here is a 5xx if any)."""
        chosen = next((r for r in results if r.code is not None and r.code >= 500), results[0])
        return RecipientsRefusedError(
            RECIPIENTS_REFUSED,
            results=results,
            reply=chosen.reply,
            recipient=chosen.address,
            host=self.host,
            port=self.port,
            stage=STAGE_LABELS["rcpt"],
        )

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


def _check_body(body: Body, envelope: Envelope) -> None:
    """A stored message's file is there and whole (else nothing is sent)."""
    try:
        size = os.stat(body.path).st_size
    except OSError as exc:
        raise _body_error(body, envelope, exc) from exc
    if size < body.offset + body.length:
        raise _body_error(body, envelope, OSError(f"{size} bytes of {body.offset + body.length}"))


def _body_error(body: Body, envelope: Envelope, exc: OSError) -> MailplugError:
    return outbox_keys.STORAGE_BODY_MISSING.error(
        id=envelope.message_id, file=str(body.path), problem=exc.strerror or str(exc), cause=exc
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

    :raises mailplug.plugin.MailplugError: the step that failed, mapped.
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
