"""aiosmtplib, ``ssl`` and socket exceptions → mailplug errors, at the plugin's boundary.

:func:`map_exception` reads :data:`SMTP_EXC_MAP` top to bottom (httpx's
``HTTPCORE_EXC_MAP`` is the model): the first exception type that matches
gives the error key, or a small handler that picks one from the details.
Order matters where aiosmtplib's classes inherit from each other and from
the standard ones::

    SMTPConnectTimeoutError ─┬─ SMTPConnectError ── ConnectionError ── OSError
                             └─ SMTPTimeoutError ── TimeoutError ───── OSError
    SMTPServerDisconnected ──── ConnectionError

Two rules come before the table, because the same exception means
something else at a given point of the session:

* once the message data went out, a lost connection or a timeout leaves the
  outcome unknown (``smtp.uncertain``): the server may have taken it;
* while connecting or in STARTTLS, an ``ssl`` error anywhere in the cause
  chain is a TLS problem (:func:`~mailplug_smtp.tls.map_ssl_error`); later
  it is just how a TLS connection broke.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiosmtplib.errors import (
    SMTPConnectError,
    SMTPConnectTimeoutError,
    SMTPResponseException,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)

from mailplug.plugin import ErrorSpec, MailplugError
from mailplug.plugin import keys as core_keys

from . import keys
from .reply import parse_reply
from .tls import find_ssl_error, map_ssl_error

if TYPE_CHECKING:
    from mailplug.plugin import ServerReply

    from .settings import SmtpSettings

__all__ = ["SMTP_EXC_MAP", "STAGE_LABELS", "Failure", "map_exception"]

#: How a stage is named in messages: SMTP's own words, the same in every language (the
#: greeting, which has no command, is a translated text: keys.STAGE_GREETING).
STAGE_LABELS = {
    "connect": "the greeting",  # translated (msgctxt "stage"): waiting for the server's hello
    "ehlo": "EHLO",
    "starttls": "STARTTLS",
    "auth": "AUTH",
    "mail": "MAIL FROM",
    "rcpt": "RCPT TO",
    "data": "DATA",
    "quit": "QUIT",
    "rset": "RSET",
}


@dataclass(frozen=True, slots=True)
class Failure:
    """An exception raised at one step of a session, and what mapping it needs to know."""

    exc: BaseException
    #: ``connect``, ``ehlo``, ``starttls``, ``auth``, ``mail``, ``rcpt``, ``data`` …
    stage: str
    settings: SmtpSettings
    #: The error a server reply stands for at a stage (the session classifies it).
    reply_error: Callable[[ServerReply, str], MailplugError]
    #: The reply the server sent just before it closed, if one arrived unread.
    recovered: Callable[[], ServerReply | None]
    #: The message data went out (the server may have it).
    data_sent: bool = False

    @property
    def common(self) -> dict[str, Any]:
        """The parameters every error of this failure carries."""
        return {
            "host": self.settings.host,
            "port": self.settings.effective_port,
            "stage": STAGE_LABELS.get(self.stage, self.stage),
            "cause": self.exc,
        }


Handler = Callable[[Any, Failure], MailplugError]


def _reply(exc: SMTPResponseException, failure: Failure) -> MailplugError:
    if exc.code > 0:
        return failure.reply_error(parse_reply(exc.code, exc.message), failure.stage)
    # aiosmtplib's code -1: bytes that are not an SMTP reply.
    if failure.stage == "connect" and failure.settings.security != "tls":
        # A TLS server's handshake read as a greeting: TLS is spoken on this port.
        return keys.TLS_WRONG_MODE.error(security=failure.settings.security, **failure.common)
    return keys.PROTOCOL_ERROR.error(problem=exc.message, **failure.common)


_CONNECT_CAUSES: tuple[tuple[type[BaseException], ErrorSpec], ...] = (
    (socket.gaierror, keys.CONNECT_DNS),
    (ConnectionRefusedError, keys.CONNECT_REFUSED),
    (SMTPServerDisconnected, keys.DISCONNECTED),
)


def _connect_failed(exc: SMTPConnectError, failure: Failure) -> MailplugError:
    cause = exc.__cause__
    for kind, spec in _CONNECT_CAUSES:
        if isinstance(cause, kind):
            return spec.error(**failure.common)
    problem = getattr(cause, "strerror", None) or str(cause or exc)
    return keys.CONNECT_FAILED.error(problem=problem, **failure.common)


def _timed_out(exc: SMTPTimeoutError, failure: Failure) -> MailplugError:
    if failure.stage == "starttls":
        return keys.TLS_HANDSHAKE.error(
            problem="the TLS handshake timed out", security="starttls", **failure.common
        )
    return keys.READ_TIMEOUT.error(**failure.common)


def _disconnected(exc: BaseException, failure: Failure) -> MailplugError:
    reply = failure.recovered()  # (a 421 aiosmtplib dropped says why)
    if reply is not None:
        return failure.reply_error(reply, failure.stage)
    return keys.DISCONNECTED.error(**failure.common)


def _injection(exc: ValueError, failure: Failure) -> MailplugError:
    return core_keys.MESSAGE_HEADER_INJECTION.error(field="envelope", cause=exc)


SMTP_EXC_MAP: tuple[tuple[type[BaseException], ErrorSpec | Handler], ...] = (
    (SMTPResponseException, _reply),  # a refusal, or a malformed reply
    (SMTPConnectTimeoutError, keys.CONNECT_TIMEOUT),
    (SMTPConnectError, _connect_failed),  # DNS, refused … by its cause
    (SMTPTimeoutError, _timed_out),
    (SMTPServerDisconnected, _disconnected),
    (ConnectionError, _disconnected),
    (EOFError, _disconnected),
    (TimeoutError, keys.READ_TIMEOUT),
    (OSError, keys.DISCONNECTED),
    (ValueError, _injection),  # aiosmtplib refuses control characters in commands
)
"""Exception type → error key or handler, tried in order."""


def map_exception(failure: Failure) -> MailplugError:
    """The mailplug error for an aiosmtplib, ``ssl`` or socket exception (see the module doc)."""
    exc = failure.exc
    if isinstance(exc, MailplugError):
        return exc
    if failure.data_sent and isinstance(exc, OSError | EOFError):
        return keys.UNCERTAIN.error(**failure.common)
    if (
        failure.stage in ("connect", "starttls")
        and not isinstance(exc, SMTPResponseException)
        and find_ssl_error(exc) is not None
    ):
        return map_ssl_error(exc, failure.settings, stage=failure.stage)
    for kind, target in SMTP_EXC_MAP:
        if isinstance(exc, kind):
            if isinstance(target, ErrorSpec):
                return target.error(**failure.common)
            return target(exc, failure)
    return keys.PROTOCOL_ERROR.error(problem=str(exc) or type(exc).__name__, **failure.common)
