"""A private Dovecot IMAP server for the tests: 127.0.0.1, ephemeral ports, temp config.

Debian's ``dovecot-imapd`` (``make test`` installs it).  Each server gets its
own folder (config, passwd-file passdb, Maildir store, trustme certificates),
a plain/STARTTLS port and an implicit-TLS port, and is stopped by its process id.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.ports import free_ports

from mailplug.testing.smtp import shared_ca

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def available() -> bool:
    return Path(DOVECOT).exists() and _user("dovecot") is not None


def _user(name: str) -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


PASSWD_FILE = """\
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}
"""

#: XOAUTH2 / OAUTHBEARER logins checked by Dovecot's own ``oauth2`` passdb, which asks a
#: token-introspection endpoint (RFC 7662) whether the bearer token is active and whose it
#: is (``email`` must equal the login name); password logins keep the passwd-file.  Its
#: ``auth_mechanisms`` line comes after the template's own, so it is the one in force.
OAUTH2 = """\
auth_mechanisms = plain login xoauth2 oauthbearer
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {root}/passwd
}
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/oauth2.conf.ext
}
"""
OAUTH2_EXT = """\
introspection_mode = post
introspection_url = {url}
username_attribute = email
active_attribute = active
active_value = true
"""

#: The Sent folder marked ``\\Sent`` (SPECIAL-USE, RFC 6154), as most servers set it up.
SPECIAL_USE = """\
namespace inbox {
  inbox = yes
  mailbox Sent {
    special_use = \\Sent
    auto = create
  }
}
"""

QUOTA = """\
plugin {
  quota = count:User quota
  quota_rule = *:storage={kb}K
  quota_vsizes = yes
}
"""

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = mailplug-test-{port}
log_path = {root}/dovecot.log
ssl = yes
ssl_cert = <{root}/server.pem
ssl_key = <{root}/server.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
mail_location = maildir:{root}/mail/%u
mail_plugins = {mail_plugins}
first_valid_uid = 1
auth_mechanisms = plain login
{passdb}
{namespace}{quota}userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/mail/%u
}}
service auth {{
  inet_listener auth-smtp {{
    address = 127.0.0.1
    port = {auth_port}
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
"""


@dataclass
class Dovecot:
    """One running server; :meth:`stop` ends it by its process id."""

    root: Path
    port: int
    tls_port: int
    ca_file: Path
    users: dict[str, str]
    #: Dovecot's authentication service for an SMTP server's SASL (``inet:127.0.0.1:port``).
    auth_port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log: list[str] = field(default_factory=list)

    @classmethod
    def start(
        cls,
        users: dict[str, str],
        *,
        timeout: float = 15.0,
        special_use: bool = True,
        oauth2_introspection: str | None = None,
        quota_kb: int | None = None,
    ) -> Dovecot:
        """Start a server for ``users``.

        :param special_use: mark the folder ``Sent`` as ``\\Sent`` (else no folder is marked).
        :param oauth2_introspection: also take XOAUTH2 logins, checked by Dovecot against
            this token-introspection URL (``tests/oauth_servers.py`` serves one).
        :param quota_kb: each mailbox holds at most this many kilobytes (Dovecot's quota
            plugin: an APPEND beyond it gets ``NO [OVERQUOTA]``).
        """
        root = Path(tempfile.mkdtemp(prefix="mailplug-dovecot-"))
        root.chmod(0o755)  # the mail processes run as the dovecot user
        # The SMTP test kit's CA: one ca_file trusts both servers, as an in-house CA would.
        ca = shared_ca()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        cert.private_key_pem.write_to_path(str(root / "server.key"))
        cert.cert_chain_pems[0].write_to_path(str(root / "server.pem"))
        for extra in cert.cert_chain_pems[1:]:
            with (root / "server.pem").open("ab") as f:
                f.write(extra.bytes())
        ca.cert_pem.write_to_path(str(root / "ca.pem"))
        (root / "ca.pem").chmod(0o644)
        (root / "passwd").write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in users.items()))
        mail = root / "mail"
        mail.mkdir()
        owner = _user("dovecot")
        assert owner is not None
        os.chown(mail, owner.pw_uid, owner.pw_gid)
        port, tls_port, auth_port = free_ports(3)
        server = cls(root, port, tls_port, root / "ca.pem", dict(users), auth_port)
        passdb = PASSWD_FILE
        if oauth2_introspection is not None:
            passdb = OAUTH2
            ext = root / "oauth2.conf.ext"
            ext.write_text(OAUTH2_EXT.format(url=oauth2_introspection))
            ext.chmod(0o644)
        (root / "dovecot.conf").write_text(
            CONFIG.format(
                root=root,
                port=server.port,
                tls_port=server.tls_port,
                auth_port=server.auth_port,
                passdb=passdb.replace("{root}", str(root)),
                namespace=SPECIAL_USE if special_use else "",
                mail_plugins="quota" if quota_kb is not None else "",
                quota=QUOTA.replace("{kb}", str(quota_kb)) if quota_kb is not None else "",
            )
        )
        server._run(timeout)
        return server

    def _run(self, timeout: float) -> None:
        server = self
        root = self.root
        server.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", server.tls_port), timeout=1):
                    pass
                with socket.create_connection(("127.0.0.1", server.port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.1)
        log = server.log_text()
        server.stop()
        raise RuntimeError(f"dovecot did not start: {log}")

    def halt(self) -> None:
        """Stop the server but keep its mail and settings (:meth:`resume` starts it again
        on the same ports): "the IMAP server is down"."""
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
            self.process = None

    def resume(self, timeout: float = 15.0) -> None:
        self._run(timeout)

    def messages(self, user: str, folder: str) -> list[tuple[str, str, bytes]]:
        """``(flags, internaldate, raw)`` of every message in ``folder``, oldest first."""
        import imaplib

        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        try:
            client.login(user, self.users[user])
            _, count = client.select(folder, readonly=True)
            if count[0] in (b"0", None):
                return []
            _, data = client.fetch("1:*", "(FLAGS INTERNALDATE BODY.PEEK[])")
            found = []
            for item in data:
                if isinstance(item, tuple):
                    head = item[0].decode()
                    flags = head.split("FLAGS (", 1)[1].split(")", 1)[0]
                    date = head.split('INTERNALDATE "', 1)[1].split('"', 1)[0]
                    found.append((flags, date, item[1]))
            return found
        finally:
            client.logout()

    def create(self, user: str, folder: str) -> None:
        import imaplib

        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        try:
            client.login(user, self.users[user])
            client.create(folder)
        finally:
            client.logout()

    def log_text(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def imap(self, security: str = "tls", username: str | None = None) -> dict[str, Any]:
        port = self.tls_port if security == "tls" else self.port
        return {"host": "127.0.0.1", "port": port, "security": security, "username": username}

    def append(self, user: str, data: bytes, folder: str = "INBOX") -> None:
        """APPEND a message as the user (a plain connection: this is the test's side)."""
        import imaplib

        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        try:
            client.login(user, self.users[user])
            client.append(folder, None, None, data)
        finally:
            client.logout()

    def flags(self, user: str, folder: str = "INBOX") -> list[str]:
        import imaplib

        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        try:
            client.login(user, self.users[user])
            client.select(folder, readonly=True)
            _, data = client.fetch("1:*", "(FLAGS)")
            return [d.decode() for d in data if isinstance(d, bytes)]
        finally:
            client.logout()

    def stop(self) -> None:
        self.halt()
        shutil.rmtree(self.root, ignore_errors=True)
