"""The IMAP steps of the account check against a small real IMAP responder on 127.0.0.1.

No IMAP server package is available, so :class:`ImapServer` speaks just
enough IMAP4rev1 over asyncio: the greeting, CAPABILITY, STARTTLS, LOGIN
(quoted strings and literals), LOGOUT — with trustme certificates from the
same test CA as the SMTP harness.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Callable
from typing import Any, Literal

import pytest
from tests.ports import free_ports
from tests.smtp_server import SMTPServer, shared_ca

from mailplug import AsyncMailer
from mailplug.plugin import CheckReport, StepStatus

USER, PASSWORD = "jan@example.pl", "s3cret-Pa55w0rd"
FAST: dict[str, Any] = {"timeout": 2.0, "probe_timeout": 0.8, "try_ports": {}}

pytestmark = pytest.mark.timeout(60)

Start = Callable[..., SMTPServer]


class ImapServer:
    """An IMAP responder: ``security`` ``tls`` (implicit), ``starttls`` or ``none``.

    With ``starttls`` it announces LOGINDISABLED until the client upgrades.
    Records :attr:`logins` as ``(user, accepted, encrypted)``, never the password.
    """

    def __init__(
        self,
        *,
        security: Literal["tls", "starttls", "none"] = "tls",
        users: dict[str, str] | None = None,
    ) -> None:
        self.security = security
        self.users = dict(users or {})
        self.logins: list[tuple[str, bool, bool]] = []
        self.commands: list[str] = []
        self.port = 0
        self._server: asyncio.Server | None = None
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        shared_ca().issue_cert("127.0.0.1", "localhost").configure_cert(self._context)

    async def __aenter__(self) -> ImapServer:
        ssl_context = self._context if self.security == "tls" else None
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=ssl_context)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    def _capabilities(self, encrypted: bool) -> str:
        caps = ["IMAP4rev1", "AUTH=PLAIN"]
        if self.security == "starttls" and not encrypted:
            caps += ["STARTTLS", "LOGINDISABLED"]
        return " ".join(caps)

    @staticmethod
    async def _arguments(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, rest: bytes
    ) -> list[str]:
        """Parse atoms, quoted strings and {n} literals (asking for each with "+")."""
        args: list[str] = []
        while True:
            rest = rest.lstrip(b" ")
            if rest in (b"", b"\r\n", b"\n"):
                return args
            if rest.startswith(b'"'):
                value, i = bytearray(), 1
                while rest[i : i + 1] != b'"':
                    if rest[i : i + 1] == b"\\":
                        i += 1
                    value += rest[i : i + 1]
                    i += 1
                args.append(value.decode("utf-8"))
                rest = rest[i + 1 :]
            elif rest.startswith(b"{"):
                size = int(rest[1 : rest.index(b"}")])
                writer.write(b"+ Ready for literal data\r\n")
                await writer.drain()
                args.append((await reader.readexactly(size)).decode("utf-8"))
                rest = await reader.readline()
            else:
                atom, _, rest = rest.partition(b" ")
                args.append(atom.strip().decode("utf-8"))
                if not rest:
                    return args
                rest = b" " + rest

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        encrypted = self.security == "tls"
        writer.write(b"* OK [CAPABILITY " + self._capabilities(encrypted).encode() + b"] ready\r\n")
        try:
            while line := await reader.readline():
                tag, _, rest = line.partition(b" ")
                verb, _, rest = rest.partition(b" ")
                command = verb.strip().upper().decode()
                self.commands.append(command)
                reply_tag = tag.decode()
                if command == "CAPABILITY":
                    writer.write(f"* CAPABILITY {self._capabilities(encrypted)}\r\n".encode())
                    writer.write(f"{reply_tag} OK CAPABILITY completed\r\n".encode())
                elif command == "STARTTLS" and self.security == "starttls" and not encrypted:
                    writer.write(f"{reply_tag} OK Begin TLS negotiation now\r\n".encode())
                    await writer.drain()
                    await writer.start_tls(self._context)
                    encrypted = True
                elif command == "LOGIN":
                    args = await self._arguments(reader, writer, rest)
                    user, password = [*args, "", ""][:2]
                    if "LOGINDISABLED" in self._capabilities(encrypted):
                        writer.write(f"{reply_tag} NO [PRIVACYREQUIRED] Use TLS\r\n".encode())
                        continue
                    ok = self.users.get(user) == password
                    self.logins.append((user, ok, encrypted))
                    answer = "OK LOGIN completed" if ok else "NO [AUTHENTICATIONFAILED] Bad login"
                    writer.write(f"{reply_tag} {answer}\r\n".encode())
                elif command == "LOGOUT":
                    writer.write(
                        f"* BYE logging out\r\n{reply_tag} OK LOGOUT completed\r\n".encode()
                    )
                    await writer.drain()
                    break
                else:
                    writer.write(f"{reply_tag} BAD unknown command\r\n".encode())
                await writer.drain()
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, ssl.SSLError):
                await writer.wait_closed()


@contextlib.asynccontextmanager
async def imap_server(**options: Any) -> AsyncIterator[ImapServer]:
    async with ImapServer(**options) as server:
        yield server


def account(
    smtp: SMTPServer,
    imap: ImapServer,
    *,
    security: str | None = None,
    email: str = "sender@example.com",
    password: str = PASSWORD,
    **imap_settings: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = smtp.account(
        email=email, auth="password", auth_settings={"username": USER, "password": password}
    )
    data["imap"] = {
        "host": "127.0.0.1",
        "port": imap.port,
        "security": security or imap.security,
        **imap_settings,
    }
    return data


async def run_check(data: dict[str, Any], **options: Any) -> CheckReport:
    async with AsyncMailer([data], outbox=None, entry_points=False) as mailer:
        return await mailer.check_account("test", **{**FAST, **options})


async def test_imap_over_tls_connects_and_logs_in(smtp_server: Start) -> None:
    smtp = smtp_server(tls="starttls", users={USER: PASSWORD})
    async with imap_server(security="tls", users={USER: PASSWORD}) as imap:
        report = await run_check(account(smtp, imap))

    assert report.ok, report.render("en")
    connect, login = report.step("imap_connect"), report.step("imap_login")
    assert connect is not None and login is not None
    assert connect.status is StepStatus.PASSED and login.status is StepStatus.PASSED
    assert connect.seen["greeting"].startswith("* OK")
    assert "IMAP4REV1" in connect.seen["capabilities"]
    assert connect.seen["tls"]["version"] in ("TLSv1.2", "TLSv1.3")
    assert connect.seen["tls"]["hostname_matches"] is True
    assert login.seen == {"username": USER, "mechanism": "LOGIN"}
    assert imap.logins == [(USER, True, True)]
    assert imap.commands[-1] == "LOGOUT"


async def test_no_imap_settings_skips_the_imap_steps(smtp_server: Start) -> None:
    smtp = smtp_server(tls="starttls", users={USER: PASSWORD})
    data = smtp.account(auth="password", auth_settings={"username": USER, "password": PASSWORD})
    report = await run_check(data)

    assert report.ok, report.render("en")
    for lang, note in (
        ("en", "the account has no IMAP settings"),
        ("pl", "konto nie ma ustawień IMAP"),
    ):
        steps = {s["name"]: s for s in report.to_dict(lang)["steps"]}
        for name in ("imap_connect", "imap_login"):
            assert steps[name]["status"] == "skipped"
            assert steps[name]["summary"] == note


async def test_imap_starttls_upgrades_before_the_login(smtp_server: Start) -> None:
    smtp = smtp_server(tls="starttls", users={USER: PASSWORD})
    async with imap_server(security="starttls", users={USER: PASSWORD}) as imap:
        report = await run_check(account(smtp, imap))

    assert report.ok, report.render("en")
    assert "STARTTLS" in imap.commands
    assert imap.logins == [(USER, True, True)]


async def test_imap_wrong_password(smtp_server: Start) -> None:
    smtp = smtp_server(tls="starttls", users={USER: PASSWORD})
    async with imap_server(security="tls", users={USER: "another-password"}) as imap:
        report = await run_check(account(smtp, imap))

    step = report.failure
    assert step is not None and step.name == "imap_login" and step.error is not None
    assert step.error.key == "check.imap.login_failed"
    assert step.fix is not None and step.fix.setting == "auth_settings.password"
    assert step.error.message("pl").startswith("Niewłaściwe dane logowania.")
    assert report.step("login").status is StepStatus.PASSED  # type: ignore[union-attr]
    assert PASSWORD not in repr(report.to_dict("en"))


async def test_imap_plain_login_refused_by_a_server_that_wants_tls(smtp_server: Start) -> None:
    smtp = smtp_server(tls="starttls", users={USER: PASSWORD})
    async with imap_server(security="starttls", users={USER: PASSWORD}) as imap:
        report = await run_check(account(smtp, imap, security="none"))

    step = report.failure
    assert step is not None and step.name == "imap_login" and step.error is not None
    assert step.error.key == "check.imap.login_disabled"
    assert step.fix is not None
    assert (step.fix.setting, step.fix.value) == ("imap.security", "starttls")
    assert imap.logins == []  # the password never went over the plain connection


async def test_imap_plain_client_on_an_implicit_tls_port(smtp_server: Start) -> None:
    smtp = smtp_server(tls="starttls", users={USER: PASSWORD})
    async with imap_server(security="tls", users={USER: PASSWORD}) as imap:
        report = await run_check(account(smtp, imap, security="none"), timeout=1.0)

    step = report.failure
    assert step is not None and step.name == "imap_connect"
    assert step.fix is not None
    assert (step.fix.setting, step.fix.value) == ("imap.security", "tls")
    assert report.step("imap_login").status is StepStatus.SKIPPED  # type: ignore[union-attr]


async def test_imap_user_name_hint_from_the_provider_preset(smtp_server: Start) -> None:
    # iCloud wants only the part before @ as the IMAP user name.
    smtp = smtp_server(tls="starttls", users={USER: PASSWORD})
    async with imap_server(security="tls", users={"jan": PASSWORD}) as imap:
        report = await run_check(account(smtp, imap, email="jan@icloud.com"))

    step = report.failure
    assert step is not None and step.name == "imap_login"
    assert step.fix is not None
    assert (step.fix.setting, step.fix.value) == ("imap.username", "jan")


async def test_imap_password_with_non_ascii_characters_goes_as_a_literal(
    smtp_server: Start,
) -> None:
    password = "zażółć gęślą jaźń"
    smtp = smtp_server(tls="starttls", users={USER: password})
    async with imap_server(security="tls", users={USER: password}) as imap:
        report = await run_check(account(smtp, imap, password=password))

    assert report.ok, report.render("en")
    assert imap.logins == [(USER, True, True)]


async def test_imap_server_that_does_not_answer(smtp_server: Start) -> None:
    smtp = smtp_server(tls="starttls", users={USER: PASSWORD})
    (port,) = free_ports(1)
    data = smtp.account(auth="password", auth_settings={"username": USER, "password": PASSWORD})
    data["imap"] = {"host": "127.0.0.1", "port": port, "security": "tls"}
    report = await run_check(data)

    step = report.failure
    assert step is not None and step.name == "imap_connect" and step.error is not None
    assert step.error.key == "check.imap.connect_failed"
    assert step.fix is not None and step.fix.setting == "imap.port"
    assert step.error.message("pl").startswith("Połączenie nieudane")
