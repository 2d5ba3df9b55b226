"""The PostgreSQL outbox against the outbox contract suite, on a real server.

Every test gets a schema of its own (``pg_outbox_url``); the second handle is
a second pool on the same schema (what another app server would open).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mailplug.outbox import Outbox
from mailplug.services import Services
from mailplug.testing.outbox_contract import OutboxContract
from mailplug_postgres.outbox import open_outbox


class TestPostgresOutbox(OutboxContract):
    @pytest.fixture(autouse=True)
    def _url(self, pg_outbox_url: str) -> None:
        self.url = pg_outbox_url

    async def open_outbox(self, tmp_path: Path, services: Services) -> Outbox:
        return await open_outbox(self.url, services=services)

    async def open_second_handle(self, tmp_path: Path, services: Services) -> Outbox:
        return await open_outbox(self.url, services=services)
