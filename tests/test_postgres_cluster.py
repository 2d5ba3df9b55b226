"""A private throwaway cluster (what the tests start when no server answers), asking for
a password: the wrong one has its key, the right one opens the outbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.outbox_support import mailer
from tests.postgres_server import Cluster

from mailplug.errors import MailplugError
from mailplug.testing.outbox_contract import make_entry
from mailplug_postgres.outbox import open_outbox


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    started = Cluster(password="pr4wdziwe-haslo")
    try:
        yield started
    finally:
        started.stop()


async def test_a_wrong_password_has_its_key_and_is_never_shown(
    tmp_path: Path, cluster: Cluster
) -> None:
    services = mailer(tmp_path, [], outbox=None).services
    url = f"postgresql://postgres:zle-haslo@127.0.0.1:{cluster.port}/test"
    with pytest.raises(MailplugError) as info:
        await open_outbox(url, services=services)
    assert info.value.key == "storage.postgres.auth_failed"
    assert "zle-haslo" not in str(info.value) and "zle-haslo" not in repr(info.value)
    box = await open_outbox(cluster.url + "?schema=mailplug", services=services)
    try:
        assert (await box.insert([make_entry(1)]))[0].created
        assert (await box.counts())["queued"] == 1
        assert "pr4wdziwe-haslo" not in repr(box)
    finally:
        await box.aclose()
