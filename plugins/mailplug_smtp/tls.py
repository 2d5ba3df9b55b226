"""TLS for SMTP: the client context an account asks for, and what a failed handshake means.

aiosmtplib surfaces a failed implicit-TLS handshake as ``SMTPConnectError``
with the ``ssl`` error as its cause, and a failed STARTTLS handshake as the raw
``ssl`` error; :func:`map_ssl_error` reads either and names the problem the
user can act on: untrusted, expired or wrong-host certificate, a server that
only speaks an older TLS than the account requires, or the wrong security
mode for the port.

Some servers (asyncio-based ones among them) drop a handshake they do not
like without an alert: :func:`reset_error` then asks the server which TLS
version it does speak (:func:`server_tls_version`), and
:func:`probe_implicit_tls` tells a port that waits for a ClientHello from one
that is just silent.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import warnings
from typing import TYPE_CHECKING, Any

import aiosmtplib
from aiosmtplib.errors import SMTPException

from mailplug.plugin import keys as core_keys

from . import keys

if TYPE_CHECKING:
    from mailplug.plugin import ErrorSpec, MailplugError

    from .settings import SmtpSettings

__all__ = [
    "build_tls_context",
    "find_ssl_error",
    "map_ssl_error",
    "probe_implicit_tls",
    "reset_error",
    "reset_in_handshake",
    "server_tls_version",
]

# OpenSSL X509_V_ERR_* codes (stable across OpenSSL versions).
_CERT_NOT_YET_VALID = 9
_CERT_HAS_EXPIRED = 10
_HOSTNAME_MISMATCH = 62
_IP_ADDRESS_MISMATCH = 64

_VERSION_REASONS = (
    "UNSUPPORTED_PROTOCOL",
    "NO_PROTOCOLS_AVAILABLE",
    "TLSV1_ALERT_PROTOCOL_VERSION",
    "VERSION_TOO_LOW",
    "TLSV1_ALERT_INSUFFICIENT_SECURITY",
)
_VERSION_TEXTS = ("unsupported protocol", "no protocols available", "alert protocol version")
# A TLS client reading a plaintext SMTP greeting ("220 …") as a TLS record.
_PLAINTEXT_REASONS = ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG")
_PLAINTEXT_TEXTS = ("wrong version number", "record layer failure", "packet length too long")
_TLS_RANK = {"TLSv1": 10, "TLSv1.1": 11, "TLSv1.2": 12, "TLSv1.3": 13}


def build_tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    """The client context for ``settings``: verification, CA file and minimum version.

    Blocking (reads CA files): call it once per account, off the event loop.

    :raises mailplug.errors.ConfigurationError: ``account.invalid_settings``
        (``settings.ca_file``) when the CA file cannot be read.
    """
    cafile = str(settings.ca_file) if settings.ca_file is not None else None
    try:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        raise core_keys.ACCOUNT_INVALID_SETTINGS.error(
            field="settings.ca_file",
            problem=f"cannot read CA certificates from {cafile}: "
            f"{getattr(exc, 'strerror', None) or exc}",
            cause=exc,
        ) from exc
    context.minimum_version = settings.tls_version
    if not settings.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def find_ssl_error(exc: BaseException | None) -> ssl.SSLError | None:
    """The ``ssl`` error in ``exc`` or its cause/context chain, if any."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, ssl.SSLError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _reason(exc: ssl.SSLError) -> tuple[str, str]:
    reason = (getattr(exc, "reason", None) or "").upper()
    text = (str(getattr(exc, "verify_message", "") or "") + " " + str(exc)).lower()
    return reason, text


def ssl_error_spec(exc: ssl.SSLError, *, security: str) -> tuple[ErrorSpec, str]:
    """The key for an ``ssl`` error and a short English description of the problem."""
    reason, text = _reason(exc)
    if isinstance(exc, ssl.SSLCertVerificationError):
        code = exc.verify_code
        problem = str(exc.verify_message or exc.reason or exc)
        if code in (_CERT_HAS_EXPIRED, _CERT_NOT_YET_VALID) or "has expired" in text:
            return keys.TLS_CERT_EXPIRED, problem
        if code in (_HOSTNAME_MISMATCH, _IP_ADDRESS_MISMATCH) or "mismatch" in text:
            return keys.TLS_CERT_HOSTNAME, problem
        return keys.TLS_CERT_UNTRUSTED, problem
    problem = (getattr(exc, "reason", None) or str(exc)).lower().replace("_", " ")
    if reason in _VERSION_REASONS or any(t in text for t in _VERSION_TEXTS):
        return keys.TLS_VERSION, problem
    if security == "tls" and (
        reason in _PLAINTEXT_REASONS or any(t in text for t in _PLAINTEXT_TEXTS)
    ):
        return keys.TLS_WRONG_MODE, problem
    return keys.TLS_HANDSHAKE, problem


def map_ssl_error(
    exc: BaseException, settings: SmtpSettings, *, stage: str = "connect"
) -> MailplugError:
    """The mailplug error for a failed TLS handshake (implicit TLS or STARTTLS).

    :param exc: the ``ssl`` error, or an exception whose cause chain holds one.
    :param stage: ``connect`` (implicit TLS) or ``starttls``.
    """
    found = find_ssl_error(exc)
    if found is None:
        spec, problem = keys.TLS_HANDSHAKE, str(exc) or type(exc).__name__
    else:
        spec, problem = ssl_error_spec(found, security=settings.security)
    return spec.error(
        host=settings.host,
        port=settings.effective_port,
        security=settings.security,
        min_tls=settings.min_tls,
        problem=problem,
        stage=stage,
        cause=exc,
    )


async def probe_implicit_tls(host: str, port: int, *, handshake_timeout: float) -> bool:
    """Whether ``host:port`` answers a TLS handshake (an implicit-TLS port, like 465).

    Used when a plaintext or STARTTLS connection gets no greeting: a server
    that waits for a TLS ClientHello never greets in plaintext.
    """
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(handshake_timeout):
            _, writer = await asyncio.open_connection(
                host, port, ssl=context, ssl_handshake_timeout=handshake_timeout
            )
    except ssl.SSLError as exc:
        reason, text = _reason(exc)
        # Anything but "that was not TLS" means a TLS server answered (an alert).
        return not (reason in _PLAINTEXT_REASONS or any(t in text for t in _PLAINTEXT_TEXTS))
    except (OSError, TimeoutError):
        return False
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, ssl.SSLError, TimeoutError):
                async with asyncio.timeout(1):
                    await writer.wait_closed()
    return True


# --------------------------------------------------------------------------
# A handshake the server dropped without a word
# --------------------------------------------------------------------------


def reset_in_handshake(exc: BaseException) -> bool:
    """Whether ``exc`` (or its cause chain) is a connection reset or EOF mid-handshake."""
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


async def server_tls_version(settings: SmtpSettings, *, local_hostname: str) -> str | None:
    """The TLS version the server negotiates when any version and certificate is accepted.

    A diagnosis only (nothing is sent but a handshake, after EHLO for
    STARTTLS); ``None`` when even that fails.
    """
    implicit = settings.security == "tls"
    context = _lenient_context()
    smtp = aiosmtplib.SMTP(
        hostname=settings.ascii_host,
        port=settings.effective_port,
        local_hostname=local_hostname,
        timeout=settings.timeout,
        use_tls=implicit,
        start_tls=False,
        tls_context=context if implicit else None,
        validate_certs=False,
    )
    try:
        async with asyncio.timeout(settings.connect_timeout * 2):
            await smtp.connect(timeout=settings.connect_timeout)
            if settings.security == "starttls":
                await smtp.ehlo()
                await smtp.starttls(
                    server_hostname=settings.ascii_host,
                    tls_context=context,
                    timeout=settings.connect_timeout,
                )
        transport = smtp.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        return ssl_object.version() if ssl_object is not None else None
    except (OSError, TimeoutError, SMTPException):
        return None
    finally:
        smtp.close()


async def reset_error(
    exc: BaseException, settings: SmtpSettings, *, stage: str, local_hostname: str
) -> MailplugError | None:
    """The error for a TLS handshake the server reset without an alert.

    Asks the server which version it speaks: one below the account's
    ``min_tls`` is ``tls.version``, any other a failed handshake.

    :param stage: the stage as messages name it (``connect``, ``STARTTLS``).
    :returns: ``None`` when the server drops every handshake: not a TLS problem.
    """
    version = await server_tls_version(settings, local_hostname=local_hostname)
    if version is None:
        return None
    common: dict[str, Any] = {
        "host": settings.host,
        "port": settings.effective_port,
        "security": settings.security,
        "min_tls": settings.min_tls,
        "stage": stage,
        "cause": exc,
    }
    if _TLS_RANK.get(version, 0) < _TLS_RANK[f"TLSv{settings.min_tls}"]:
        return keys.TLS_VERSION.error(server_tls=version, **common)
    return keys.TLS_HANDSHAKE.error(
        problem="the server closed the connection during the TLS handshake", **common
    )
