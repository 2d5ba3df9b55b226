"""The outbox through the synchronous ``Mailer`` (a host's plain thread)."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from tests.outbox_support import EventLog, message
from tests.smtp_server import Script

from mailplug import Mailer
from mailplug.storage import Status


def sync_mailer(tmp_path: Path, account: dict[str, Any], **options: Any) -> Mailer:
    return Mailer([account], data_dir=tmp_path / "data", entry_points=False, **options)


def test_sync_mailer_queues_sends_and_answers_queries(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server(script=Script(rcpt={"nikt@example.com": "550 5.1.1 No such user"}))
    events = EventLog()
    account = srv.account(name="biuro", email="biuro@firma.pl")
    with sync_mailer(tmp_path, account, plugins=[events]) as m:
        ok = m.enqueue(message(1, subject="Umowa"))
        bad, spare = m.enqueue_many([message(2, to="nikt@example.com"), message(3)])
        assert m.waiting() == 3
        assert m.cancel(spare) == 1
        report = m.flush()
        assert report.counts == {"sent": 1, "failed": 1}
        assert m.status(ok).status is Status.SENT
        assert [e.id for e in m.find_sent("umowa")] == [ok]
        assert [e.id for e in m.query(statuses=["failed"])] == [bad]
        assert m.counts()["cancelled"] == 1
        assert m.retry(bad) == 1
        assert m.paused_accounts() == {}
        assert m.purge(older_than_days=0, statuses=["cancelled"]) == 1
        assert m.resume_account("biuro") is False
    assert len(srv.messages) == 1
    assert {e.status for e in events.events} >= {Status.QUEUED, Status.SENT, Status.FAILED}


def test_sync_background_worker(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server()
    account = srv.account(name="biuro", email="biuro@firma.pl")
    with sync_mailer(tmp_path, account) as m:
        m.start_worker(poll_interval=30)
        entry_id = m.enqueue(message(1))
        deadline = time.monotonic() + 20
        while not srv.messages and time.monotonic() < deadline:
            time.sleep(0.02)
        report = m.stop_worker()
        assert report is not None and report.sent == 1
        assert m.status(entry_id).status is Status.SENT


def test_sync_flush_stops_from_another_thread(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server(script=Script(delays={"data": 0.2}))
    account = srv.account(name="biuro", email="biuro@firma.pl", max_connections=1)
    stop = threading.Event()
    with sync_mailer(tmp_path, account) as m:
        m.enqueue_many([message(i) for i in range(6)])
        threading.Timer(0.3, stop.set).start()
        report = m.flush(stop=stop)
        assert report.stopped
        assert 1 <= report.sent < 6
        assert m.waiting() == 6 - report.sent
    assert len(srv.messages) == report.sent


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs pthread_kill")
def test_ctrl_c_in_a_sync_flush_stops_cleanly(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server(script=Script(delays={"data": 0.2}))
    account = srv.account(name="biuro", email="biuro@firma.pl", max_connections=1)
    main = threading.main_thread().ident
    assert main is not None and threading.get_ident() == main
    with sync_mailer(tmp_path, account) as m:
        m.enqueue_many([message(i) for i in range(6)])
        threading.Timer(0.3, signal.pthread_kill, (main, signal.SIGINT)).start()
        with pytest.raises(KeyboardInterrupt):
            m.flush()
        statuses = [e.status for e in m.query(limit=10)]
        assert set(statuses) <= {Status.SENT, Status.QUEUED}
        sent = statuses.count(Status.SENT)
        assert 1 <= sent < 6
    assert len(srv.messages) == sent
