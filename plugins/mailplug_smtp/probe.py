"""The account check for SMTP: one session taken step by step, and a diagnosis when a step fails.

:func:`probe` (registered as the ``smtp`` probe through
:func:`~mailplug.hookspecs.mailplug_register_probes`) drives a
:class:`~mailplug_smtp.session.SmtpConnection` through
connect → greeting → EHLO → TLS → AUTH → login → (``MAIL FROM`` → ``RCPT TO``
→ ``RSET`` with a test recipient), recording each step in a
:class:`~mailplug.plugin.CheckReport`.  When a step fails it finds out what
would work, quickly and without sending anything:

* a TLS handshake that reads a plaintext greeting ("wrong version number") is
  retried as STARTTLS on the same port, then as TLS on 465;
* a port that gives no greeting is tried with TLS from the first byte;
* a refused or silent port, a server without STARTTLS or AUTH, or one that
  refuses this computer is compared with the other submission ports;
* a certificate for another host is read without checking the name, to
  suggest the name it was issued for; an expired one, to show the date;
* a server below the account's minimum TLS version is asked which it speaks;
* a refused login or sender is compared with the provider's preset.

The result names the setting to change and, when a probe found it, the value
(:class:`~mailplug.plugin.Fix`).
"""

from __future__ import annotations

import asyncio
import functools
import re
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from mailplug.plugin import Category, CheckReport, Fix, MailplugError, Note, tls_facts
from mailplug.plugin import check_keys as ck

from . import keys, sasl
from .session import SmtpConnection, default_local_hostname
from .tls import build_tls_context
from .transport import SmtpTransport

if TYPE_CHECKING:
    from collections.abc import Callable

    from mailplug.plugin import (
        Account,
        Authenticator,
        CheckOptions,
        Credentials,
        Preset,
        Services,
        Transport,
    )

    from .settings import SmtpSettings

__all__ = ["probe"]

T = TypeVar("T")

#: Refusals of one address: they tell nothing about the account's other recipients.
_ADDRESS_CATEGORIES = (Category.RECIPIENT, Category.MAILBOX_FULL)

STEPS_IMPLICIT = ["connect", "tls", "greeting", "ehlo", "auth", "login", "mail_from", "rcpt_to"]
STEPS_PLAIN = ["connect", "greeting", "ehlo", "tls", "auth", "login", "mail_from", "rcpt_to"]

_NO_CHECK_TIME = 0x200000  # OpenSSL X509_V_FLAG_NO_CHECK_TIME: read an expired certificate
_EXPIRY_WARNING_DAYS = 21


def _moment(value: Any) -> datetime | str:
    """An ISO 8601 time from the TLS facts as a datetime: notes show it in the user's form."""
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return "?"


_CLIENT_REFUSED = re.compile(
    r"client host|your (?:ip|host|address)|not allowed to connect|connection refused|"
    r"blocked|black ?list|block ?list|dynamic|dial-?up|residential|reverse|\bptr\b|rdns|"
    r"spamhaus|spamcop|sorbs|access denied",
    re.I,
)
_HELO_TEXT = re.compile(r"\b(?:helo|ehlo)\b", re.I)
_SENDER_TEXT = re.compile(r"sender|not owned|mail from|from address|envelope", re.I)


@dataclass(frozen=True, slots=True)
class _Answer:
    """A port and mode on which the server answered (a greeting, and STARTTLS when asked)."""

    port: int
    security: str
    auth: tuple[str, ...]
    greeting: str


class _Probe:
    def __init__(
        self,
        account: Account,
        base: SmtpSettings,
        *,
        auth: Authenticator | None,
        services: Services,
        rcpt: str | None,
        options: CheckOptions,
    ) -> None:
        self.account = account
        self.auth = auth
        self.rcpt = rcpt
        self.options = options
        self.classify = functools.partial(services.classify, account=account)
        self.settings: SmtpSettings = base.model_copy(
            update={
                "connect_timeout": min(base.connect_timeout, options.timeout),
                "timeout": min(base.timeout, options.timeout),
            }
        )
        s = self.settings
        self.host, self.port, self.security = s.host, s.effective_port, s.security
        self.plan = STEPS_IMPLICIT if s.security == "tls" else STEPS_PLAIN
        self.report = CheckReport(
            account=self.account.name, transport="smtp", where=f"{s.host}:{self.port}, {s.security}"
        )
        self.conn: SmtpConnection | None = None
        self.local_hostname: str | None = s.local_hostname
        self.preset: Preset | None = None
        presets = options.presets
        if presets is not None:
            self.preset = presets.for_host(s.host) or presets.for_address(self.account.email.email)

    # -- helpers ---------------------------------------------------------------

    @property
    def common(self) -> dict[str, Any]:
        return {"host": self.host, "port": self.port}

    def _connection(self, settings: SmtpSettings, context: ssl.SSLContext | None) -> SmtpConnection:
        return SmtpConnection(
            settings,
            tls_context=context,
            classify=self.classify,
            local_hostname=self.local_hostname,
        )

    async def _answer(self, port: int, security: str) -> _Answer | None:
        """Whether the server answers on ``port`` with ``security`` (certificates unchecked)."""
        wait = self.options.probe_timeout
        settings = self.settings.model_copy(
            update={
                "port": port,
                "security": security,
                "verify": False,
                "min_tls": "1.2",
                "connect_timeout": wait,
                "timeout": wait,
            }
        )
        conn = self._connection(settings, None)
        try:
            async with asyncio.timeout(wait * 3):
                await conn.connect()
                await conn.ehlo()
                if security == "starttls":
                    if "starttls" not in conn.extensions:
                        return None
                    await conn.starttls()
                    await conn.ehlo()
            return _Answer(port, security, tuple(conn.auth_mechanisms), str(conn.greeting or ""))
        except (MailplugError, TimeoutError, OSError):
            return None
        finally:
            await conn.quit()

    async def _alternatives(
        self, candidates: list[tuple[int, str]], *, need_auth: bool = False
    ) -> _Answer | None:
        """The first of ``candidates`` (in order) on which the server answers; tried at once."""
        seen: list[tuple[int, str]] = []
        for candidate in candidates:
            if candidate != (self.port, self.security) and candidate not in seen:
                seen.append(candidate)
        if not seen:
            return None
        answers = await asyncio.gather(*(self._answer(p, s) for p, s in seen))
        for answer in answers:
            if answer is not None and (answer.auth or not need_auth):
                return answer
        return None

    def _other_ports(self, *, prefer: tuple[int, ...] = ()) -> list[tuple[int, str]]:
        """The ports of ``options.try_ports`` (the host chooses them), ``prefer`` first."""
        rank = {port: i for i, port in enumerate(prefer)}
        items = list(self.options.try_ports.items())
        return sorted(items, key=lambda item: rank.get(item[0], len(rank)))

    def _move(self, answer: _Answer) -> tuple[Fix, list[Note]]:
        changes: list[tuple[str, Any]] = []
        if answer.port != self.port:
            changes.append(("settings.port", answer.port))
        if answer.security != self.security:
            changes.append(("settings.security", answer.security))
        first, *rest = changes or [("settings.port", answer.port)]
        note = Note(ck.NOTE_ANSWERS_ON, {"port": answer.port, "security": answer.security})
        return Fix(first[0], first[1], tuple(rest)), [note]

    def _preset_host(self) -> str | None:
        preset = self.preset
        if preset is None or preset.per_customer:
            return None
        host = preset.smtp_server().host
        return host if host.lower() != self.host.lower() else None

    def _preset_notes(self, *ids: str) -> list[Note]:
        from mailplug.plugin import PRESET_NOTES as NOTES

        preset = self.preset
        if preset is None:
            return []
        wanted = ids or preset.notes
        return [
            Note(NOTES[n], preset.note_params()) for n in preset.notes if n in wanted and n in NOTES
        ]

    def _tls_seen(self, conn: SmtpConnection, *, verified: bool) -> tuple[dict[str, Any], Any]:
        facts = tls_facts(conn.extra_info("ssl_object"), verified=verified)
        if facts.get("subject"):
            summary = Note(
                ck.SUMMARY_TLS,
                {
                    "version": facts.get("version"),
                    "cipher": facts.get("cipher"),
                    "subject": facts.get("subject"),
                    "issuer": facts.get("issuer"),
                    "not_after": _moment(facts.get("not_after")),
                },
            )
        else:
            summary = Note(
                ck.SUMMARY_TLS_UNVERIFIED,
                {"version": facts.get("version"), "cipher": facts.get("cipher")},
            )
        return facts, summary

    def _tls_passed(self, conn: SmtpConnection, extra: dict[str, Any] | None = None) -> None:
        facts, summary = self._tls_seen(conn, verified=self.settings.verify)
        notes: list[Note] = []
        days = facts.get("days_left")
        if isinstance(days, int) and days < _EXPIRY_WARNING_DAYS:
            notes.append(
                Note(
                    ck.NOTE_CERT_EXPIRES_SOON,
                    {"not_after": _moment(facts.get("not_after"))},
                    n=max(days, 0),
                )
            )
        self.report.passed("tls", seen={**facts, **(extra or {})}, summary=summary, notes=notes)

    async def _peek_certificate(self) -> dict[str, Any]:
        """The server certificate read without checking its name or dates (for advice only)."""

        def lenient() -> ssl.SSLContext:
            context = build_tls_context(self.settings)
            context.check_hostname = False
            context.verify_flags |= _NO_CHECK_TIME
            return context

        try:
            context = await asyncio.to_thread(lenient)
        except MailplugError:
            return {}
        facts = await self._tls_probe(
            self.settings,
            context,
            lambda conn: tls_facts(
                conn.extra_info("ssl_object"), verified=True, hostname_checked=False
            ),
        )
        return facts or {}

    async def _tls_probe(
        self,
        settings: SmtpSettings,
        context: ssl.SSLContext | None,
        read: Callable[[SmtpConnection], T],
    ) -> T | None:
        """Connect (and STARTTLS) as the account does, then ``read(conn)``; ``None`` on failure."""
        conn = self._connection(settings, context)
        try:
            async with asyncio.timeout(self.options.probe_timeout * 3):
                await conn.connect()
                if self.security == "starttls":
                    await conn.ehlo()
                    await conn.starttls()
            return read(conn)
        except (MailplugError, TimeoutError, OSError):
            return None
        finally:
            await conn.quit()

    # -- diagnosis ---------------------------------------------------------------

    async def _tls_failed(self, error: MailplugError) -> None:
        key = error.key
        fix: Fix | None = Fix("settings.security")
        notes: list[Note] = []
        seen: dict[str, Any] = {"problem": error.params.get("problem")}
        if key == keys.TLS_WRONG_MODE.key and self.security == "tls":
            same_port = await self._alternatives([(self.port, "starttls")])
            if same_port is not None:
                error = ck.EXPECTS_STARTTLS.error(**self.common, cause=error)
                fix = Fix("settings.security", "starttls")
            else:
                other = await self._alternatives(self._other_ports())
                if other is not None:
                    fix, notes = self._move(other)
        elif key == keys.TLS_CERT_HOSTNAME.key:
            cert = await self._peek_certificate()
            names = [n for n in cert.get("names", []) if "*" not in n]
            seen["certificate"] = cert
            fix = Fix("settings.host", names[0] if names else None)
            if cert.get("names"):
                notes.append(Note(ck.NOTE_CERT_NAMES, {"names": ", ".join(cert["names"])}))
        elif key == keys.TLS_CERT_EXPIRED.key:
            cert = await self._peek_certificate()
            seen["certificate"] = cert
            fix = Fix("settings.host", self._preset_host())
            if cert.get("not_after"):
                notes.append(
                    Note(ck.NOTE_CERT_EXPIRED_ON, {"not_after": _moment(cert["not_after"])})
                )
        elif key == keys.TLS_CERT_UNTRUSTED.key:
            fix = Fix("settings.ca_file")
        elif key == keys.TLS_VERSION.key:
            fix = Fix("settings.min_tls")
            version = await self._server_tls_version() if self.settings.min_tls != "1.2" else None
            if version:
                fix = Fix("settings.min_tls", "1.2")
                seen["server_tls"] = version
                notes.append(Note(ck.NOTE_SERVER_TLS, {"version": version}))
        elif key == keys.STARTTLS_UNAVAILABLE.key:
            other = await self._alternatives(self._other_ports(prefer=(465, 587)))
            if other is not None:
                fix, notes = self._move(other)
        elif key == "account.invalid_settings":
            field = error.params.get("field")
            fix = Fix(str(field)) if field else None
        self.report.failed("tls", error, fix=fix, seen=seen, notes=notes)

    async def _server_tls_version(self) -> str | None:
        settings = self.settings.model_copy(update={"min_tls": "1.2", "verify": False})
        return await self._tls_probe(settings, None, lambda conn: conn.tls_version)

    async def _refused_client(self, error: MailplugError) -> tuple[Fix | None, list[Note]]:
        """A server that refuses this computer (554 greeting, client host rejected)."""
        other = await self._alternatives(self._other_ports(prefer=(587, 465)))
        if other is not None:
            return self._move(other)
        return None, []

    def _is_client_refusal(self, error: MailplugError) -> bool:
        text = error.reply.text if error.reply else ""
        return bool(_CLIENT_REFUSED.search(text)) and not _HELO_TEXT.search(text)

    def _sender_setting(self) -> str:
        return "envelope_sender" if self.account.envelope_sender else "email"

    async def _transaction_fix(
        self, error: MailplugError, *, stage: str
    ) -> tuple[Fix | None, list[Note]]:
        key = error.key
        text = error.reply.text if error.reply else ""
        conn = self.conn
        if key in ("smtp.tls.required", "smtp.auth.encryption_required") and not (
            conn and conn.encrypted
        ):
            starttls = conn is not None and "starttls" in conn.extensions
            return Fix("settings.security", "starttls" if starttls else "tls"), []
        if key == "smtp.auth.required" or (key == "smtp.rejected.relay" and self.auth is None):
            return Fix("auth", "password"), []
        # Postfix's "554 5.7.1 <unknown[…]>: Client host rejected: Access denied" on a
        # submission port is its answer to a client that did not log in: when this
        # account does not log in and the server offers a login, that is the cause,
        # not a blocklist.
        offered = list(conn.auth_mechanisms) if conn else []
        if (
            self.auth is None
            and offered
            and error.category in (Category.REJECTED, Category.AUTHENTICATION)
        ):
            note = Note(ck.NOTE_NO_LOGIN_BUT_OFFERED, {"mechanisms": ", ".join(offered)})
            return Fix("auth", "password"), [note]
        if (
            key.startswith("smtp.sender.")
            or (
                key.startswith(("smtp.rejected.", "server.", "smtp.mailbox.name"))
                and _SENDER_TEXT.search(text)
            )
            or (stage == "mail" and key.startswith("smtp.rejected.policy"))
        ):
            login = self.conn.authenticated_as if self.conn else None
            sender = (self.account.envelope_sender or self.account.email.email).lower()
            value = login if login and "@" in login and login.lower() != sender else None
            return Fix(self._sender_setting(), value), []
        if self._is_client_refusal(error):
            return await self._refused_client(error)
        return None, []

    def _login_fix(
        self, error: MailplugError, credentials: Credentials
    ) -> tuple[Fix | None, list[Note]]:
        conn = self.conn
        key = error.key
        offered = conn.auth_mechanisms if conn else []
        encrypted = conn.encrypted if conn else False
        starttls = "starttls" if conn and "starttls" in conn.extensions else "tls"
        preset = self.preset
        if key in (
            keys.AUTH_NEEDS_TLS.key,
            keys.AUTH_PLAINTEXT_REFUSED.key,
            "smtp.auth.encryption_required",
            "smtp.tls.required",
        ):
            return Fix("settings.security", starttls), []
        if key in (keys.AUTH_MECHANISM_UNAVAILABLE.key, "smtp.auth.mechanism_unsupported"):
            usable = [m for m in offered if m in ("PLAIN", "LOGIN", "CRAM-MD5")]
            best = sasl.choose_mechanism(usable, requested=None, encrypted=encrypted)
            return Fix("auth_settings.mechanism", best), []
        if key == "smtp.auth.mechanism_too_weak":
            if preset is not None and preset.account_auth != "password":
                return Fix("auth", preset.account_auth), self._preset_notes("oauth")
            if not encrypted:
                return Fix("settings.security", starttls), []
            if "CRAM-MD5" in offered and (credentials.mechanism or "") != "CRAM-MD5":
                return Fix("auth_settings.mechanism", "CRAM-MD5"), []
            return Fix("auth_settings.mechanism"), []
        if key == "smtp.auth.app_password_required":
            if preset is not None and preset.account_auth != "password":
                return Fix("auth", preset.account_auth), self._preset_notes(
                    "oauth", "gmail_app_password", "app_password"
                )
            return Fix("auth_settings.password"), self._preset_notes("app_password")
        if key == "smtp.auth.basic_auth_disabled":
            return Fix("auth", "microsoft-oauth2"), []
        if key.startswith("smtp.auth.invalid_credentials") or (
            error.category is Category.AUTHENTICATION and error.reply is not None
        ):
            notes = self._preset_notes("enable_access", "app_password", "oauth")
            if preset is not None:
                expected = preset.login_for(self.account.email.email)
                if expected.lower() != credentials.username.lower():
                    return Fix("auth_settings.username", expected), notes
            return Fix("auth_settings.password"), notes
        if key == "account.secret_missing":
            return Fix("auth_settings.password"), []
        field = error.params.get("field")
        if isinstance(field, str) and field:
            return Fix(field), []
        return None, []

    # -- steps -------------------------------------------------------------------

    async def _connect(self) -> bool:
        s = self.settings
        seen: dict[str, Any] = {"host": s.host, "port": self.port, "security": s.security}
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(s.connect_timeout):
                infos = await loop.getaddrinfo(s.ascii_host, self.port, type=socket.SOCK_STREAM)
            seen["addresses"] = sorted({str(i[4][0]) for i in infos})
        except (socket.gaierror, TimeoutError) as exc:
            error = keys.CONNECT_DNS.error(stage="connect", cause=exc, **self.common)
            self.report.failed(
                "connect", error, fix=Fix("settings.host", self._preset_host()), seen=seen
            )
            return False
        if self.local_hostname is None:
            self.local_hostname = await default_local_hostname()
        context: ssl.SSLContext | None = None
        if s.security != "none":
            try:
                context = await asyncio.to_thread(build_tls_context, s)
            except MailplugError as exc:
                self.report.passed("connect", seen=seen)
                self.report.failed("tls", exc, fix=Fix("settings.ca_file"))
                return False
        self.conn = conn = self._connection(s, context)
        try:
            greeting = await conn.connect()
        except MailplugError as error:
            await self._connect_failed(error, seen)
            return False
        peer = conn.extra_info("peername")
        seen["address"] = f"{peer[0]}:{peer[1]}" if peer else None
        self.report.passed(
            "connect",
            seen=seen,
            summary=Note(
                ck.SUMMARY_CONNECT,
                {"host": s.host, "port": self.port, "address": seen["address"] or "?"},
            ),
        )
        if s.security == "tls":
            self._tls_passed(conn)
        self.report.passed("greeting", seen={"reply": str(greeting)}, summary=str(greeting))
        return True

    async def _connect_failed(self, error: MailplugError, seen: dict[str, Any]) -> None:
        key = error.key
        report = self.report
        if key == keys.CONNECT_DNS.key:
            report.failed(
                "connect", error, fix=Fix("settings.host", self._preset_host()), seen=seen
            )
            return
        no_greeting = key == keys.CONNECT_TIMEOUT.key and "ready message" in str(error.__cause__)
        if key in (keys.CONNECT_REFUSED.key, keys.CONNECT_TIMEOUT.key, "smtp.connect.failed") and (
            not no_greeting
        ):
            other = await self._alternatives(self._other_ports())
            fix, notes = self._move(other) if other else (Fix("settings.port"), [])
            report.failed("connect", error, fix=fix, seen=seen, notes=notes)
            return
        addresses = ", ".join(seen.get("addresses", [])) or "?"
        report.passed(
            "connect",
            seen=seen,
            summary=Note(
                ck.SUMMARY_CONNECT, {"host": self.host, "port": self.port, "address": addresses}
            ),
        )
        if error.category is Category.ENCRYPTION and self.security == "tls":
            await self._tls_failed(error)
            return
        if self.security == "tls":
            report.passed("tls", seen={"note": "the greeting came over TLS"})
        if key == keys.TLS_WRONG_MODE.key or no_greeting:
            same_port = await self._alternatives([(self.port, "tls")])
            if same_port is not None:
                error = ck.EXPECTS_TLS.error(security=self.security, **self.common, cause=error)
                report.failed("greeting", error, fix=Fix("settings.security", "tls"))
                return
            other = await self._alternatives(self._other_ports())
            fix, notes = self._move(other) if other else (Fix("settings.port"), [])
            report.failed("greeting", error, fix=fix, notes=notes)
            return
        if error.reply is not None:
            refused_fix, notes = await self._refused_client(error)
            report.failed(
                "greeting", error, fix=refused_fix, notes=notes, seen={"reply": str(error.reply)}
            )
            return
        other = await self._alternatives(self._other_ports())
        fix, notes = self._move(other) if other else (Fix("settings.port"), [])
        report.failed("greeting", error, fix=fix, notes=notes)

    async def _ehlo(self) -> bool:
        conn = self.conn
        assert conn is not None
        try:
            reply = await conn.ehlo()
        except MailplugError as error:
            text = error.reply.text if error.reply else ""
            fix: Fix | None
            notes: list[Note] = []
            if error.key == "smtp.rejected.helo" or _HELO_TEXT.search(text):
                fix = Fix("settings.local_hostname")
            elif self._is_client_refusal(error):
                fix, notes = await self._refused_client(error)
            else:
                fix = Fix("settings.local_hostname") if error.reply else None
            self.report.failed(
                "ehlo",
                error,
                fix=fix,
                notes=notes,
                seen={"local_hostname": self.local_hostname},
            )
            return False
        extensions = sorted(conn.extensions)
        self.report.passed(
            "ehlo",
            seen={
                "reply": str(reply),
                "local_hostname": self.local_hostname,
                "extensions": extensions,
                "auth": list(conn.auth_mechanisms),
                "starttls": "starttls" in conn.extensions,
                "size": conn.max_size,
                "smtputf8": conn.supports_smtputf8,
            },
            summary=Note(
                ck.SUMMARY_EHLO, {"extensions": ", ".join(e.upper() for e in extensions) or "—"}
            ),
        )
        return True

    async def _starttls(self) -> bool:
        conn = self.conn
        assert conn is not None
        if self.security == "none":
            step = self.report.skipped("tls", Note(ck.SKIP_NO_TLS))
            if "starttls" in conn.extensions:
                step.notes.append(Note(ck.NOTE_STARTTLS_OFFERED))
            return True
        if self.security == "tls":
            return True
        try:
            await conn.starttls()
            await conn.ehlo()
        except MailplugError as error:
            await self._tls_failed(error)
            return False
        self._tls_passed(
            conn,
            {"extensions": sorted(conn.extensions), "auth": list(conn.auth_mechanisms)},
        )
        return True

    async def _auth_offered(self) -> bool:
        conn = self.conn
        assert conn is not None
        offered = list(conn.auth_mechanisms)
        seen = {"mechanisms": offered, "encrypted": conn.encrypted}
        summary = Note(ck.SUMMARY_AUTH, {"mechanisms": ", ".join(offered) or "—"})
        if self.auth is None:
            self.report.skipped("auth", Note(ck.SKIP_NO_LOGIN), seen=seen)
            self.report.skipped("login", Note(ck.SKIP_NO_LOGIN))
            return True
        if not offered:
            notes: list[Note] = []
            if not conn.encrypted and "starttls" in conn.extensions:
                error = keys.AUTH_NEEDS_TLS.error(**self.common)
                fix: Fix | None = Fix("settings.security", "starttls")
            else:
                error = keys.AUTH_UNAVAILABLE.error(**self.common)
                other = await self._alternatives(
                    self._other_ports(prefer=(587, 465)), need_auth=True
                )
                fix, notes = self._move(other) if other else (Fix("auth"), [])
            self.report.failed("auth", error, fix=fix, seen=seen, summary=summary, notes=notes)
            return False
        if not any(m in sasl.MECHANISMS for m in offered):
            error = keys.AUTH_MECHANISM_UNAVAILABLE.error(
                mechanism="/".join(sasl.MECHANISMS), offered=", ".join(offered), **self.common
            )
            self.report.failed("auth", error, fix=Fix("auth"), seen=seen, summary=summary)
            return False
        self.report.passed("auth", seen=seen, summary=summary)
        return True

    async def _login(self) -> bool:
        conn, auth = self.conn, self.auth
        assert conn is not None
        if auth is None:
            return True
        refreshed = False
        try:
            credentials = await auth.credentials()
            if credentials.refreshable:
                # Renew now: a revoked refresh token must show here, not at the next send.
                credentials = await auth.credentials(refresh=True)
                refreshed = True
        except MailplugError as error:
            field = error.params.get("field")
            fix = Fix(str(field)) if field else None
            if error.key == "account.secret_missing":
                fix = Fix("auth_settings.password")
            self.report.failed("login", error, fix=fix, seen={"auth": auth.name})
            return False
        seen: dict[str, Any] = {"username": credentials.username, "token_refreshed": refreshed}
        try:
            used = await conn.login(auth, credentials=credentials)
        except MailplugError as error:
            seen["mechanism"] = error.params.get("mechanism") or credentials.mechanism
            fix, notes = self._login_fix(error, credentials)
            self.report.failed("login", error, fix=fix, seen=seen, notes=notes)
            return False
        seen["username"] = used.username
        seen["mechanism"] = conn.mechanism
        notes = [Note(ck.NOTE_TOKEN_REFRESHED)] if refreshed else []
        self.report.passed(
            "login",
            seen=seen,
            summary=Note(
                ck.SUMMARY_LOGIN, {"username": used.username, "mechanism": conn.mechanism}
            ),
            notes=notes,
        )
        return True

    async def _dry_run(self) -> None:
        conn = self.conn
        assert conn is not None
        # MAIL FROM runs even without a test recipient: servers that refuse a client
        # (STARTTLS first, login first, sender not allowed) say so there, and a passing
        # check must mean that mail can go.  RSET cancels it; nothing is sent.
        sender = self.account.envelope_sender or self.account.email.ascii_email
        rcpt = self.rcpt or ""
        encoding = "ascii" if sender.isascii() and rcpt.isascii() else "utf-8"
        nothing_sent = Note(ck.NOTE_NOTHING_SENT)
        try:
            try:
                reply = await conn.command(
                    "mail", b"MAIL", b"FROM:<" + sender.encode(encoding) + b">"
                )
            except MailplugError as failure:
                self.report.failed("mail_from", failure, seen={"address": sender})
                return
            if reply.code != 250:
                error = conn.reply_error(reply, "mail")
                fix, notes = await self._transaction_fix(error, stage="mail")
                self.report.failed(
                    "mail_from",
                    error,
                    fix=fix,
                    seen={"address": sender, "reply": str(reply)},
                    notes=[*notes, nothing_sent],
                )
                return
            self.report.passed(
                "mail_from",
                seen={"address": sender, "reply": str(reply)},
                summary=Note(ck.SUMMARY_ACCEPTED, {"address": sender, "reply": str(reply)}),
                notes=[nothing_sent] if self.rcpt is None else [],
            )
            if self.rcpt is None:
                await self._own_address_rcpt(sender, encoding)
                return
            try:
                reply = await conn.command(
                    "rcpt", b"RCPT", b"TO:<" + self.rcpt.encode(encoding) + b">"
                )
            except MailplugError as failure:
                self.report.failed("rcpt_to", failure, seen={"address": self.rcpt})
                return
            if reply.code not in (250, 251):
                error = conn.reply_error(reply, "rcpt", recipient=self.rcpt)
                fix, notes = await self._transaction_fix(error, stage="rcpt")
                self.report.failed(
                    "rcpt_to",
                    error,
                    fix=fix,
                    seen={"address": self.rcpt, "reply": str(reply)},
                    notes=[*notes, nothing_sent],
                )
                return
            self.report.passed(
                "rcpt_to",
                seen={"address": self.rcpt, "reply": str(reply)},
                summary=Note(ck.SUMMARY_ACCEPTED, {"address": self.rcpt, "reply": str(reply)}),
                notes=[nothing_sent],
            )
        finally:
            if conn.connected:
                try:
                    await conn.reset()
                except MailplugError:
                    conn.close()

    async def _own_address_rcpt(self, sender: str, encoding: str) -> None:
        """Without a test recipient, RCPT TO the account's own address (then RSET).

        Servers that delay their client restrictions to RCPT TO (Postfix's default
        ``smtpd_delay_reject = yes``: "Client host rejected", "Must issue a STARTTLS
        command first", "Relay access denied") accept MAIL FROM from anyone: only the
        RCPT shows that no mail can go.  A refusal that concerns this one address
        (unknown, full) or that may pass later says nothing about other recipients:
        the step stays skipped, as without the probe.
        """
        conn = self.conn
        assert conn is not None
        try:
            reply = await conn.command("rcpt", b"RCPT", b"TO:<" + sender.encode(encoding) + b">")
        except MailplugError as failure:
            self.report.failed("rcpt_to", failure, seen={"address": sender})
            return
        if reply.code not in (250, 251):
            error = conn.reply_error(reply, "rcpt", recipient=sender)
            if not error.transient and error.category not in _ADDRESS_CATEGORIES:
                fix, notes = await self._transaction_fix(error, stage="rcpt")
                self.report.failed(
                    "rcpt_to",
                    error,
                    fix=fix,
                    seen={"address": sender, "reply": str(reply)},
                    notes=[*notes, Note(ck.NOTE_NOTHING_SENT)],
                )
                return
        self.report.skipped("rcpt_to", Note(ck.SKIP_NO_RCPT))

    # -- the whole session -------------------------------------------------------

    async def run(self) -> CheckReport:
        try:
            ok = await self._connect()
            if ok and self.security == "tls":
                ok = await self._ehlo()
            elif ok:
                ok = await self._ehlo() and await self._starttls()
            ok = ok and await self._auth_offered() and await self._login()
            if ok:
                await self._dry_run()
        finally:
            if self.conn is not None:
                await self.conn.quit()
        self.report.skip_rest(self.plan)
        order = {name: i for i, name in enumerate(self.plan)}
        self.report.steps.sort(key=lambda step: order.get(step.name, len(order)))
        return self.report


async def probe(
    account: Account,
    *,
    transport: Transport | None,
    auth: Authenticator | None,
    services: Services,
    rcpt: str | None,
    options: CheckOptions,
) -> CheckReport | None:
    """Check an ``smtp`` account step by step (see the module docstring): the ``smtp`` probe.

    :param rcpt: a test recipient for ``MAIL FROM``/``RCPT TO`` (then ``RSET``).
    :returns: ``None`` when the account's transport is not an :class:`SmtpTransport`.
    """
    if not isinstance(transport, SmtpTransport):
        return None
    checker = _Probe(
        account, transport.settings, auth=auth, services=services, rcpt=rcpt, options=options
    )
    return await checker.run()
