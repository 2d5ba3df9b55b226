"""The SMTP transport: a small pool of sessions per account, a rate limit, login state.

:class:`SmtpTransport` keeps up to ``max_connections`` sessions
(:class:`~mailplug_smtp.session.SmtpConnection`) per account, reuses them
across a batch, streams a batch over one session with PIPELINING
(:meth:`SmtpTransport.send_many`), and spaces messages out when the account
has a rate limit (:class:`RateLimiter`).  Credentials the server refused are
not tried again until they change, so a batch never locks the account.

It reports facts: a refused recipient is listed with the server's reply, and
the core decides what the reply means.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import ssl
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from mailplug.plugin import Envelope, MailplugError, SendLimits, SendResult, Transport

from .session import SmtpConnection, StaleConnection, default_local_hostname, is_login_refusal
from .settings import SmtpSettings, parse_settings
from .tls import build_tls_context

if TYPE_CHECKING:
    from mailplug.plugin import Account, Authenticator, Credentials, Data, Services

__all__ = ["RateLimiter", "SmtpTransport"]

log = logging.getLogger("mailplug.smtp")


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
    #: Big messages go out in pieces, read from their file as they are written.
    streams_bodies = True

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
            classify=functools.partial(self.services.classify, account=self.account),
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
                if is_login_refusal(error):
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

    def send_limits(self) -> SendLimits | None:
        """``rate_limit_per_minute``, ``rate_limit_burst`` and ``daily_limit``, for the
        outbox to keep across every worker process (see :class:`Transport`)."""
        s = self.settings
        limits = SendLimits(s.rate_limit_per_minute, s.rate_limit_burst, s.daily_limit)
        return limits if limits else None

    async def send(self, envelope: Envelope, data: Data) -> SendResult:
        """Deliver ``data`` to ``envelope`` over a pooled session (see :class:`Transport`)."""
        if self.limiter is not None:
            await self.limiter.wait()
        started = time.monotonic()
        async with self._slot():
            conn = await self._checkout()
            try:
                try:
                    result = await conn.send(envelope, data)
                except StaleConnection:
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
        self, messages: Iterable[tuple[Envelope, Data]]
    ) -> AsyncGenerator[SendResult | MailplugError, None]:
        """Deliver messages one after another over one pooled session (see :class:`Transport`).

        With PIPELINING, each message's MAIL, RCPT and DATA go out with the
        previous message's data, so a message costs one round trip instead
        of two.  A rate-limited account sends them one by one.
        """
        if self.limiter is not None:
            # (The base class hands each message to send(), Body and all.)
            async for each in super().send_many(cast("Iterable[tuple[Envelope, bytes]]", messages)):
                yield each
            return
        source = iter(messages)
        taken: list[tuple[Envelope, Data]] = []

        def following() -> tuple[Envelope, Data] | None:
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
                        except StaleConnection:
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

    async def close_idle(self) -> None:
        """QUIT every idle session; the transport opens new ones when it needs them."""
        idle, self._idle = self._idle, []
        await asyncio.gather(*(conn.quit() for conn in idle), return_exceptions=True)

    async def aclose(self) -> None:
        """QUIT every idle session; sessions in use close when their send ends."""
        self._closed = True
        idle, self._idle = self._idle, []
        await asyncio.gather(*(conn.quit() for conn in idle), return_exceptions=True)


def _copy(error: MailplugError) -> MailplugError:
    return type(error)(
        error.spec, reply=error.reply, recipient=error.recipient, host=error.host, **error.params
    )
