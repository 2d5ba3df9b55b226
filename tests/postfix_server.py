"""A private Postfix for the tests: 127.0.0.1, ephemeral ports, its own folders.

Debian's ``postfix`` package (``make test`` installs it when it can).  One
instance has its own ``config_directory``, ``queue_directory`` and
``data_directory`` in a temp folder, logs to a file there
(``maillog_file = /dev/stdout`` of ``postfix start-fg``), looks nothing up in
DNS, and discards what it accepts (``discard`` transport: accepted is
delivered, for a test).  Every scenario is one ``smtpd`` listener with its own
``-o`` overrides, so one instance serves a whole test module.  :meth:`stop`
runs ``postfix stop`` and then ends the process it started by its id.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.ports import free_ports

from mailplug.testing.smtp import shared_ca

POSTFIX = shutil.which("postfix") or "/usr/sbin/postfix"

#: The mail domain the instance is final destination for, and its users.
DOMAIN = "postfix.test"
USERS = ("alice", "bob", "carol", "dave", "erin")

MAIN_CF = """\
compatibility_level = 3.6
config_directory = {root}/etc
queue_directory = {root}/queue
data_directory = {root}/data
maillog_file = /dev/stdout
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.{domain}
mydomain = {domain}
myorigin = {domain}
mydestination = {domain}
mynetworks =
smtp_host_lookup = native
disable_dns_lookups = yes
smtpd_peername_lookup = no
biff = no
local_transport = discard
default_transport = discard
relay_transport = discard
alias_maps =
alias_database =
local_recipient_maps = inline:{{ {users} }}
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_tls_cert_file = {root}/server.pem
smtpd_tls_key_file = {root}/server.key
smtpd_tls_security_level = may
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 100
header_checks = regexp:{root}/etc/header_checks
body_checks = regexp:{root}/etc/body_checks
"""

HEADER_CHECKS = """\
/^Subject:.*policy-reject/   REJECT
/^Subject:.*policy-defer/    REJECT 4.7.1 message content deferred
"""
BODY_CHECKS = """\
/forbidden-words-reject/     REJECT
/forbidden-words-defer/      REJECT 4.7.1 message content deferred
"""

SENDER_ACCESS = "odrzucony@example.com REJECT\n"

MASTER_CF = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def available() -> bool:
    return Path(POSTFIX).exists() and _user("postfix") is not None


def why_unavailable() -> str:
    return "Debian's postfix package is not installed (make test installs it when run as root)"


def _user(name: str) -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


@dataclass
class Postfix:
    """One running instance; ``ports[name]`` is the smtpd of scenario ``name``."""

    root: Path
    ports: dict[str, int]
    ca_file: Path
    process: subprocess.Popen[bytes] | None = None
    extra_services: list[str] = field(default_factory=list)

    @classmethod
    def start(
        cls,
        services: dict[str, dict[str, str]],
        *,
        cleanups: dict[str, dict[str, str]] | None = None,
        timeout: float = 30.0,
    ) -> Postfix:
        """Start with one smtpd per entry of ``services`` (name → ``-o`` overrides).

        ``cleanups`` adds cleanup services (name → overrides) that an smtpd can
        pick with ``cleanup_service_name``.
        """
        if not available():
            raise RuntimeError(why_unavailable())
        root = Path(tempfile.mkdtemp(prefix="mailplug-postfix-"))
        root.chmod(0o755)
        for sub in ("etc", "queue", "data"):
            (root / sub).mkdir()
        owner = _user("postfix")
        assert owner is not None
        os.chown(root / "data", owner.pw_uid, owner.pw_gid)
        ca = shared_ca()
        cert = ca.issue_cert("127.0.0.1", "localhost", f"mx.{DOMAIN}")
        cert.private_key_pem.write_to_path(str(root / "server.key"))
        (root / "server.key").chmod(0o600)
        cert.cert_chain_pems[0].write_to_path(str(root / "server.pem"))
        for extra in cert.cert_chain_pems[1:]:
            with (root / "server.pem").open("ab") as f:
                f.write(extra.bytes())
        ca.cert_pem.write_to_path(str(root / "ca.pem"))
        (root / "ca.pem").chmod(0o644)

        users = ", ".join(f"{u}=ok" for u in USERS)
        (root / "etc" / "main.cf").write_text(MAIN_CF.format(root=root, domain=DOMAIN, users=users))
        (root / "etc" / "header_checks").write_text(HEADER_CHECKS)
        (root / "etc" / "body_checks").write_text(BODY_CHECKS)
        (root / "etc" / "sender_access").write_text(SENDER_ACCESS)
        ports = dict(zip(services, free_ports(len(services)), strict=True))
        lines = [MASTER_CF]
        for name, overrides in services.items():
            lines.append(f"127.0.0.1:{ports[name]} inet n - n - - smtpd\n")
            lines.append(f"  -o syslog_name=postfix-test/{name}\n")
            lines.extend(f"  -o {k}={v}\n" for k, v in overrides.items())
        for name, overrides in (cleanups or {}).items():
            lines.append(f"{name} unix n - n - 0 cleanup\n")
            lines.extend(f"  -o {k}={v}\n" for k, v in overrides.items())
        (root / "etc" / "master.cf").write_text("".join(lines))

        server = cls(root, ports, root / "ca.pem")
        log = (root / "postfix.log").open("wb")
        try:
            server.process = subprocess.Popen(
                [POSTFIX, "-c", str(root / "etc"), "start-fg"],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        waiting = set(ports.values())
        while waiting and time.monotonic() < deadline:
            if server.process.poll() is not None:
                break
            for port in list(waiting):
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                        s.settimeout(5)
                        if s.recv(100).startswith(b"220"):
                            s.sendall(b"QUIT\r\n")
                            waiting.discard(port)
                except OSError:
                    time.sleep(0.1)
        if waiting:
            text = server.log_text()
            server.stop()
            raise RuntimeError(f"postfix did not start: {text[-2000:]}")
        return server

    def log_text(self) -> str:
        path = self.root / "postfix.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def settings(self, service: str, **overrides: object) -> dict[str, object]:
        """``settings`` of an smtp account that talks to one scenario's smtpd."""
        settings: dict[str, object] = {
            "host": "127.0.0.1",
            "port": self.ports[service],
            "security": "none",
            "connect_timeout": 10.0,
            "timeout": 20.0,
            "local_hostname": "client.example.com",
            "ca_file": str(self.ca_file),
        }
        settings.update(overrides)
        return settings

    def stop(self) -> None:
        if self.process is not None:
            try:
                subprocess.run(
                    [POSTFIX, "-c", str(self.root / "etc"), "stop"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    timeout=30,
                    check=False,
                )
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                # The session (process group) this fixture started: master and its children.
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
            self.process = None
        shutil.rmtree(self.root, ignore_errors=True)
