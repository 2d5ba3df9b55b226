"""The built-in SQLite outbox against the outbox contract suite (as a file path and as a URL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailplug.outbox import Outbox
from mailplug.services import Services
from mailplug.testing.outbox_contract import OutboxContract
from mailplug_sqlite.outbox import open_outbox


@pytest.mark.parametrize("location", ["path", "url"])
class TestSqliteOutbox(OutboxContract):
    @pytest.fixture(autouse=True)
    def _location(self, location: str) -> None:
        self.location = location

    def where(self, tmp_path: Path) -> Path | str:
        path = tmp_path / "outbox.sqlite3"
        return path if self.location == "path" else f"sqlite://{path}?synchronous=full"

    async def open_outbox(self, tmp_path: Path, services: Services) -> Outbox:
        return await open_outbox(self.where(tmp_path), services=services)

    async def open_second_handle(self, tmp_path: Path, services: Services) -> Outbox:
        return await open_outbox(self.where(tmp_path), services=services)
