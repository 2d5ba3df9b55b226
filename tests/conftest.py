"""Shared fixtures: every test runs with its own config and data directories."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mailplug.testing.smtp import SMTPServer


#: Tests of several seconds each, left out by ``make test-fast`` (``pytest -m "not slow"``):
#: the wheel build, the benchmarks, crash runs in subprocesses, a long property test.
#: Whole files by name, single tests as ``file::function``; ``make test`` runs them all.
SLOW = frozenset(
    {
        "test_wheel.py",
        "test_outbox_bench.py",
        "test_dispatch_crash.py",
        "test_postgres_workers.py",
        "test_postgres_bench.py",
        "test_postgres_cluster.py",
        "test_classify.py::test_every_failure_gets_a_key_whose_retry_follows_the_class",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        name = item.path.name
        function = getattr(item, "originalname", item.name)
        if name in SLOW or f"{name}::{function}" in SLOW:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test reads or writes the real user config/data dirs or sees the host's plugins list."""
    monkeypatch.setenv("MAILPLUG_CONFIG", str(tmp_path / "config" / "accounts.toml"))
    monkeypatch.setenv("MAILPLUG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("MAILPLUG_DISABLE_PLUGINS", raising=False)
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    yield


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., SMTPServer]]:
    """Start real SMTP servers on 127.0.0.1: ``srv = smtp_server(tls="starttls", users=…)``.

    Takes the options of :class:`mailplug.testing.smtp.SMTPServer`; every server
    started is stopped when the test ends.
    """
    from mailplug.testing.smtp import SMTPServer

    started: list[SMTPServer] = []

    def start(**options: Any) -> SMTPServer:
        server = SMTPServer(**options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A real PostgreSQL's URL (``tests/postgres_server.py``: found or started, never skipped)."""
    from tests.postgres_server import postgres_url

    with postgres_url() as url:
        yield url


@pytest.fixture
def pg_outbox_url(postgres: str) -> Iterator[str]:
    """An outbox address in a schema of this test's own, dropped when the test ends."""
    from tests.postgres_server import drop_schema, new_schema, outbox_url

    schema = new_schema()
    try:
        yield outbox_url(postgres, schema)
    finally:
        drop_schema(postgres, schema)
