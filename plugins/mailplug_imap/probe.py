"""The IMAP steps of the account check: connect (TLS as set) and log in, then LOGOUT.

Just enough IMAP4rev1 (RFC 3501) over :mod:`asyncio` streams: the greeting,
``CAPABILITY``, ``STARTTLS``, ``LOGIN`` (``AUTHENTICATE XOAUTH2`` for OAuth
accounts) and ``LOGOUT``.  The password goes only onto the wire; no mailbox
is opened.  TLS trusts the account's ``ca_file`` and ``min_tls`` (SMTP
settings), since an in-house CA signs both servers.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import socket
import ssl
from typing import TYPE_CHECKING, Any

from mailplug.plugin import (
    CheckReport,
    ErrorSpec,
    Fix,
    MailplugError,
    Note,
    ServerReply,
    check_keys,
    tls_facts,
)
from mailplug.plugin import keys as core_keys

from . import keys

if TYPE_CHECKING:
    from mailplug.plugin import Account, Authenticator, CheckOptions, Credentials, ImapSettings

__all__ = ["IMAP_STEPS", "probe_imap"]

#: The steps this probe adds to the report, in order.
IMAP_STEPS = ["imap_connect", "imap_login"]

_CAPS_RE = re.compile(r"\[CAPABILITY ([^\]]*)\]", re.I)
_TLS_VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}
_NO_CHECK_TIME = 0x200000  # OpenSSL X509_V_FLAG_NO_CHECK_TIME


class _Failed(Exception):
    def __init__(self, error: MailplugError, fix: Fix | None = None) -> None:
        super().__init__(error.key)
        self.error = error
        self.fix = fix


def tls_context(account: Account, *, lenient: bool = False) -> ssl.SSLContext:
    """The client context for the account's IMAP server (blocking: reads the CA file)."""
    settings = account.settings
    cafile = settings.get("ca_file")
    try:
        context = ssl.create_default_context(cafile=str(cafile) if cafile else None)
    except (OSError, ssl.SSLError) as exc:
        raise core_keys.ACCOUNT_INVALID_SETTINGS.error(
            field="settings.ca_file", problem=str(exc), cause=exc
        ) from exc
    context.minimum_version = _TLS_VERSIONS.get(
        str(settings.get("min_tls", "1.2")), ssl.TLSVersion.TLSv1_2
    )
    if settings.get("verify") is False or lenient:
        context.check_hostname = False
    if settings.get("verify") is False:
        context.verify_mode = ssl.CERT_NONE
    elif lenient:
        context.verify_flags |= _NO_CHECK_TIME
    return context


def _quote(value: str) -> bytes | None:
    """An IMAP quoted string, or ``None`` when a literal is needed."""
    if not value.isascii() or any(c in value for c in "\r\n\0"):
        return None
    return b'"' + value.replace("\\", "\\\\").replace('"', '\\"').encode("ascii") + b'"'


class _Imap:
    """A minimal IMAP client session."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.capabilities: set[str] = set()
        self._tag = 0

    async def open(self, context: ssl.SSLContext | None) -> None:
        async with asyncio.timeout(self.timeout):
            self.reader, self.writer = await asyncio.open_connection(
                self.host,
                self.port,
                ssl=context,
                server_hostname=self.host if context is not None else None,
                ssl_handshake_timeout=self.timeout if context is not None else None,
            )

    @property
    def encrypted(self) -> bool:
        return self.writer is not None and self.writer.get_extra_info("ssl_object") is not None

    def peer(self) -> str | None:
        peer = self.writer.get_extra_info("peername") if self.writer else None
        return f"{peer[0]}:{peer[1]}" if peer else None

    async def line(self) -> str:
        assert self.reader is not None
        async with asyncio.timeout(self.timeout):
            raw = await self.reader.readline()
        if not raw:
            raise ConnectionResetError("the server closed the connection")
        return raw.decode("utf-8", "replace").rstrip("\r\n")

    async def send(self, data: bytes) -> None:
        assert self.writer is not None
        self.writer.write(data + b"\r\n")
        async with asyncio.timeout(self.timeout):
            await self.writer.drain()

    def _note_caps(self, text: str) -> None:
        match = _CAPS_RE.search(text)
        if match:
            self.capabilities = {c.upper() for c in match.group(1).split()}

    async def command(
        self, *parts: bytes, literals: tuple[bytes, ...] = ()
    ) -> tuple[str, str, list[str]]:
        """Send a command; returns (status, text, untagged lines).  Literals follow ``{n}``."""
        self._tag += 1
        tag = f"m{self._tag}"
        line = tag.encode() + b" " + b" ".join(parts)
        pending = list(literals)
        untagged: list[str] = []
        await self.send(line)
        while True:
            reply = await self.line()
            if reply.startswith("+"):
                if pending:
                    await self.send(pending.pop(0))
                    continue
                untagged.append(reply)
                await self.send(b"")  # answer a SASL challenge with an empty response
                continue
            if reply.startswith("* "):
                untagged.append(reply)
                if reply.upper().startswith("* CAPABILITY "):
                    self.capabilities = {c.upper() for c in reply[13:].split()}
                continue
            head, _, rest = reply.partition(" ")
            if head == tag:
                status, _, text = rest.partition(" ")
                self._note_caps(text)
                return status.upper(), text, untagged
            untagged.append(reply)

    async def close(self) -> None:
        if self.writer is None:
            return
        writer, self.writer = self.writer, None
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError, TimeoutError):
            async with asyncio.timeout(1):
                await writer.wait_closed()


def _tls_spec(exc: ssl.SSLError, errors: dict[str, ErrorSpec]) -> tuple[ErrorSpec, str]:
    """The key for a failed IMAP handshake: the SMTP plugin's TLS keys when installed."""
    text = (str(getattr(exc, "verify_message", "") or "") + " " + str(exc)).lower()
    wanted = "tls.handshake_failed"
    if isinstance(exc, ssl.SSLCertVerificationError):
        code = exc.verify_code
        if code in (9, 10) or "expired" in text:
            wanted = "tls.certificate_expired"
        elif code in (62, 64) or "mismatch" in text:
            wanted = "tls.certificate_wrong_host"
        else:
            wanted = "tls.certificate_untrusted"
    elif "protocol version" in text or "unsupported protocol" in text:
        wanted = "tls.version_too_old"
    problem = str(getattr(exc, "verify_message", None) or getattr(exc, "reason", None) or exc)
    return errors.get(wanted, keys.IMAP_TLS_FAILED), problem.lower().replace("_", " ")


def _tls_fix(spec: ErrorSpec, imap: ImapSettings) -> Fix:
    return {
        "tls.certificate_wrong_host": Fix("imap.host"),
        "tls.certificate_expired": Fix("imap.host"),
        "tls.certificate_untrusted": Fix("settings.ca_file"),
        "tls.version_too_old": Fix("settings.min_tls"),
    }.get(spec.key, Fix("imap.security"))


async def _answers_tls(host: str, port: int, wait: float) -> bool:
    """Whether ``host:port`` completes a TLS handshake (an implicit-TLS IMAP port)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    probe = _Imap(host, port, wait)
    try:
        await probe.open(context)
        return (await probe.line()).startswith("* ")
    except (OSError, ssl.SSLError, TimeoutError):
        return False
    finally:
        await probe.close()


async def _connect(
    account: Account, imap: ImapSettings, options: CheckOptions
) -> tuple[_Imap, dict[str, Any]]:
    timeout = options.timeout
    common: dict[str, Any] = {"host": imap.host, "port": imap.port, "security": imap.security}
    session = _Imap(imap.host, imap.port, timeout)
    context = await asyncio.to_thread(tls_context, account) if imap.security != "none" else None
    verified = account.settings.get("verify") is not False
    try:
        await session.open(context if imap.security == "tls" else None)
    except socket.gaierror as exc:
        raise _Failed(
            keys.IMAP_HOST_NOT_FOUND.error(cause=exc, **common), Fix("imap.host")
        ) from exc
    except ssl.SSLError as exc:
        spec, problem = _tls_spec(exc, dict(options.errors))
        fix = _tls_fix(spec, imap)
        if "wrong version" in problem or "record layer" in problem:
            fix = Fix("imap.security", "starttls")
        raise _Failed(
            spec.error(
                problem=problem, min_tls=account.settings.get("min_tls", "1.2"), cause=exc, **common
            ),
            fix,
        ) from exc
    except TimeoutError as exc:
        raise _Failed(keys.IMAP_TIMEOUT.error(cause=exc, **common), Fix("imap.port")) from exc
    except OSError as exc:
        problem = exc.strerror or str(exc)
        raise _Failed(
            keys.IMAP_CONNECT_FAILED.error(problem=problem, cause=exc, **common), Fix("imap.port")
        ) from exc
    seen: dict[str, Any] = {**common, "address": session.peer()}
    try:
        greeting = await session.line()
    except TimeoutError as exc:
        await session.close()
        if imap.security != "tls" and await _answers_tls(
            imap.host, imap.port, options.probe_timeout
        ):
            spec = keys.IMAP_NOT_IMAP
            raise _Failed(
                spec.error(problem="no greeting: the port expects TLS", cause=exc, **common),
                Fix("imap.security", "tls"),
            ) from exc
        raise _Failed(keys.IMAP_TIMEOUT.error(cause=exc, **common), Fix("imap.port")) from exc
    except (OSError, ssl.SSLError) as exc:
        await session.close()
        raise _Failed(
            keys.IMAP_CONNECT_FAILED.error(problem=str(exc), cause=exc, **common), Fix("imap.port")
        ) from exc
    seen["greeting"] = greeting
    if greeting.upper().startswith("* BYE"):
        await session.close()
        raise _Failed(keys.IMAP_REFUSED.error(reply=ServerReply(text=greeting[2:]), **common), None)
    if not greeting.upper().startswith(("* OK", "* PREAUTH")):
        await session.close()
        raise _Failed(keys.IMAP_NOT_IMAP.error(problem=greeting[:80], **common), Fix("imap.port"))
    session._note_caps(greeting)
    try:
        status, _, _ = await session.command(b"CAPABILITY")
        if imap.security == "starttls":
            if "STARTTLS" not in session.capabilities:
                raise _Failed(
                    keys.IMAP_STARTTLS_UNAVAILABLE.error(**common), Fix("imap.security", "tls")
                )
            status, text, _ = await session.command(b"STARTTLS")
            if status != "OK":
                raise _Failed(
                    keys.IMAP_STARTTLS_UNAVAILABLE.error(reply=ServerReply(text=text), **common),
                    Fix("imap.security", "tls"),
                )
            assert session.writer is not None and context is not None
            try:
                async with asyncio.timeout(timeout):
                    await session.writer.start_tls(context, server_hostname=imap.host)
            except ssl.SSLError as exc:
                spec, problem = _tls_spec(exc, dict(options.errors))
                raise _Failed(
                    spec.error(
                        problem=problem,
                        min_tls=account.settings.get("min_tls", "1.2"),
                        cause=exc,
                        **common,
                    ),
                    _tls_fix(spec, imap),
                ) from exc
            session.capabilities = set()
            await session.command(b"CAPABILITY")
    except _Failed:
        await session.close()
        raise
    except (OSError, TimeoutError, ssl.SSLError) as exc:
        await session.close()
        raise _Failed(
            keys.IMAP_CONNECT_FAILED.error(
                problem=str(exc) or type(exc).__name__, cause=exc, **common
            ),
            Fix("imap.port"),
        ) from exc
    seen["capabilities"] = sorted(session.capabilities)
    if session.encrypted:
        assert session.writer is not None
        seen["tls"] = tls_facts(session.writer.get_extra_info("ssl_object"), verified=verified)
    return session, seen


async def _login(
    session: _Imap,
    imap: ImapSettings,
    credentials: Credentials,
    account: Account,
    options: CheckOptions,
) -> dict[str, Any]:
    common: dict[str, Any] = {"host": imap.host, "port": imap.port}
    username = imap.username or credentials.username
    if "LOGINDISABLED" in session.capabilities and not session.encrypted:
        value = "starttls" if "STARTTLS" in session.capabilities else "tls"
        raise _Failed(keys.IMAP_LOGIN_DISABLED.error(**common), Fix("imap.security", value))
    secret = credentials.secret.get_secret_value()
    if (credentials.mechanism or "").upper() == "XOAUTH2":
        blob = base64.b64encode(f"user={username}\x01auth=Bearer {secret}\x01\x01".encode())
        status, text, _ = await session.command(b"AUTHENTICATE", b"XOAUTH2", blob)
        mechanism = "XOAUTH2"
    else:
        # A literal ({n}) ends a line; its bytes start the next, sent after the server's "+".
        chunks: list[bytes] = []
        current = b"LOGIN"
        for value in (username, secret):
            quoted = _quote(value)
            if quoted is not None:
                current += b" " + quoted
                continue
            raw = value.encode("utf-8")
            chunks.append(current + b" {%d}" % len(raw))
            current = raw
        chunks.append(current)
        status, text, _ = await session.command(chunks[0], literals=tuple(chunks[1:]))
        mechanism = "LOGIN"
    if status != "OK":
        fix: Fix = Fix("auth_settings.password")
        presets = options.presets
        preset = presets.for_host(imap.host) if presets else None
        if preset is None and presets is not None:
            preset = presets.for_address(account.email.email)
        if preset is not None:
            expected = preset.login_for(account.email.email, imap=True)
            if expected != username:
                fix = Fix("imap.username", expected)
        raise _Failed(
            keys.IMAP_LOGIN_FAILED.error(
                reply=ServerReply(text=f"{status} {text}".strip()), username=username, **common
            ),
            fix,
        )
    return {"username": username, "mechanism": mechanism}


async def probe_imap(
    account: Account, auth: Authenticator | None, *, options: CheckOptions
) -> CheckReport:
    """The ``imap_connect`` and ``imap_login`` steps for ``account.imap``.

    Both are skipped ("the account has no IMAP settings") when it has none.
    """
    report = CheckReport(account=account.name)
    imap = account.imap
    if imap is None:
        report.skip_rest(IMAP_STEPS, Note(keys.SKIP_NO_IMAP))
        return report
    try:
        session, seen = await _connect(account, imap, options)
    except _Failed as failed:
        report.failed("imap_connect", failed.error, fix=failed.fix)
        report.skip_rest(["imap_login"])
        return report
    except MailplugError as exc:
        report.failed("imap_connect", exc, fix=Fix(str(exc.params.get("field", "imap.host"))))
        report.skip_rest(["imap_login"])
        return report
    summary = Note(
        keys.SUMMARY_IMAP,
        {"host": imap.host, "port": imap.port, "greeting": seen.get("greeting", "")},
    )
    report.passed("imap_connect", seen=seen, summary=summary)
    try:
        if auth is None:
            report.skipped("imap_login", Note(check_keys.SKIP_NO_LOGIN))
            return report
        try:
            credentials = await auth.credentials()
        except MailplugError as exc:
            fix = (
                Fix(str(exc.params["field"]))
                if "field" in exc.params
                else Fix("auth_settings.password")
            )
            report.failed("imap_login", exc, fix=fix)
            return report
        try:
            seen_login = await _login(session, imap, credentials, account, options)
        except _Failed as failed:
            report.failed("imap_login", failed.error, fix=failed.fix)
            return report
        except (OSError, TimeoutError, ssl.SSLError) as exc:
            error = keys.IMAP_CONNECT_FAILED.error(
                host=imap.host, port=imap.port, problem=str(exc) or type(exc).__name__, cause=exc
            )
            report.failed("imap_login", error, fix=Fix("imap.port"))
            return report
        report.passed(
            "imap_login",
            seen=seen_login,
            summary=Note(keys.SUMMARY_IMAP_LOGIN, {"username": seen_login["username"]}),
        )
        with contextlib.suppress(OSError, TimeoutError, ssl.SSLError, ConnectionError):
            await session.command(b"LOGOUT")
    finally:
        await session.close()
    return report
