"""Shared fixtures: every test runs with its own config and data directories."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test reads or writes the real user config/data dirs or sees the host's plugins list."""
    monkeypatch.setenv("MAILPLUG_CONFIG", str(tmp_path / "config" / "accounts.toml"))
    monkeypatch.setenv("MAILPLUG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("MAILPLUG_DISABLE_PLUGINS", raising=False)
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    yield
