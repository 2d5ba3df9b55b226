"""A real PostgreSQL for the tests: found, or started as a throwaway cluster.

In order: ``MAILPLUG_TEST_POSTGRES`` (a ``postgresql://`` URL) when set; else
the server on 127.0.0.1:5432 (database ``test``, user ``postgres``) when it
answers; else a private cluster made with Debian's PostgreSQL binaries
(``initdb`` in a temporary folder, an ephemeral loopback port), installing
the ``postgresql`` package first when it is missing (CI runs as root).  These
tests never skip: without a database they fail, saying why.

Each test works in its own schema (a random name), dropped afterwards.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
from tests.ports import free_ports

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def _binary(name: str) -> str | None:
    for candidate in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return candidate
    return shutil.which(name)


def _install() -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update"], check=False, env=env, capture_output=True, timeout=600)
    subprocess.run(
        ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"],
        check=True,
        env=env,
        capture_output=True,
        timeout=900,
    )


class Cluster:
    """A private PostgreSQL cluster in a temporary folder, run as an unprivileged user.

    :param password: require this password of user ``postgres`` (scram-sha-256) instead
        of trusting every local connection.
    """

    def __init__(self, *, password: str | None = None) -> None:
        if _binary("initdb") is None:
            _install()
        initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
        assert initdb and pg_ctl, "PostgreSQL binaries not found after installing postgresql"
        self.pg_ctl = pg_ctl
        self.dir = Path(tempfile.mkdtemp(prefix="mailplug-pg-"))
        (self.port,) = free_ports(1)
        self.user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root
            self.user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.dir, "postgres")
        data = self.dir / "data"
        auth = ["-A", "trust"]
        if password is not None:
            pwfile = self.dir / "pw"
            pwfile.write_text(password + "\n")
            if self.user:
                shutil.chown(pwfile, "postgres")
            auth = ["-A", "scram-sha-256", f"--pwfile={pwfile}"]
        self._run([initdb, "-D", str(data), *auth, "-U", "postgres", "-E", "UTF8"])
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            [pg_ctl, "-D", str(data), "-l", str(self.dir / "log"), "-o", options, "-w", "start"]
        )
        self.data = data
        user = "postgres" if password is None else f"postgres:{password}"
        admin = f"postgresql://{user}@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("CREATE DATABASE test")
        self.url = f"postgresql://{user}@127.0.0.1:{self.port}/test"

    def _run(self, argv: list[str]) -> None:
        subprocess.run([*self.user, *argv], check=True, capture_output=True, timeout=120)

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self._run([self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"])
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def postgres_url() -> Iterator[str]:
    """A database URL for this test session (a cluster started here is stopped after)."""
    url = os.environ.get("MAILPLUG_TEST_POSTGRES")
    if url:
        yield url
        return
    if _answers(DEFAULT_URL):
        yield DEFAULT_URL
        return
    cluster = Cluster()
    try:
        deadline = time.monotonic() + 30
        while not _answers(cluster.url):
            assert time.monotonic() < deadline, "the private PostgreSQL cluster did not start"
            time.sleep(0.2)
        yield cluster.url
    finally:
        cluster.stop()


def new_schema() -> str:
    """A schema name of its own for one test."""
    return f"mp_test_{uuid.uuid4().hex[:12]}"


def drop_schema(url: str, schema: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def outbox_url(url: str, schema: str, **params: object) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"schema": schema, **params}.items())
    return f"{url}{'&' if '?' in url else '?'}{query}"
