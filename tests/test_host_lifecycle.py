"""A host's process lifecycle: a real ``os.fork()``, ``multiprocessing``, ``atexit``, signals."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
import traceback
from pathlib import Path
from typing import Any

from tests.outbox_support import message

from mailplug import Mailer
from mailplug.errors import MailplugError
from mailplug.storage import Status


def sync_mailer(tmp_path: Path, account: dict[str, Any]) -> Mailer:
    return Mailer([account], data_dir=tmp_path / "data", entry_points=False)


def _wait_child(pid: int, timeout: float = 20.0) -> int:
    """The child's exit code; a child still running after ``timeout`` is killed (-9)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return -9


def _fork(child: Any) -> int:
    """Run ``child()`` in a forked process; its exit code (1 if it raised, -9 if it hung)."""
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 1
        try:
            signal.alarm(15)  # a hang ends the child even if the parent is gone
            child()
            code = 0
        except BaseException:
            traceback.print_exc()  # shown in the test's captured output
        finally:
            os._exit(code)
    return _wait_child(pid)


def test_enqueue_in_a_forked_child_of_a_started_mailer(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server()
    with sync_mailer(tmp_path, srv.account(name="biuro", email="biuro@firma.pl")) as m:
        first = m.enqueue(message(1))  # the loop thread, the outbox thread and its connection run

        def child() -> None:
            m.enqueue(message(2))
            assert m.waiting() == 2
            m.close()  # closes only what the child opened
            m.close()

        assert _fork(child) == 0
        # The parent is unaffected: same loop, same connection, sees the child's mail.
        assert m.waiting() == 2
        report = m.flush()
        assert report.sent == 2
        assert m.status(first).status is Status.SENT
    assert len(srv.messages) == 2


def test_a_worker_started_before_fork_sends_what_children_queue(
    tmp_path: Path, smtp_server: Any
) -> None:
    srv = smtp_server()
    with sync_mailer(tmp_path, srv.account(name="biuro", email="biuro@firma.pl")) as m:
        m.start_worker(poll_interval=0.2)  # gunicorn --preload: the master's worker
        m.enqueue(message(1))
        codes = [_fork(lambda i=i: m.enqueue(message(10 + i))) for i in range(3)]
        assert codes == [0, 0, 0]
        deadline = time.monotonic() + 20
        while len(srv.messages) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        report = m.stop_worker()
    assert len(srv.messages) == 4
    assert report is not None and report.sent == 4


def _mp_child(mailer: Mailer, n: int) -> None:
    mailer.enqueue(message(n))
    mailer.close()


def test_multiprocessing_fork_context(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server()
    ctx = multiprocessing.get_context("fork")
    with sync_mailer(tmp_path, srv.account(name="biuro", email="biuro@firma.pl")) as m:
        m.enqueue(message(1))
        procs = [ctx.Process(target=_mp_child, args=(m, n)) for n in (2, 3)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=20)
            if p.is_alive():
                p.kill()
                p.join(timeout=5)
        assert [p.exitcode for p in procs] == [0, 0]
        assert m.flush().sent == 3
    assert len(srv.messages) == 3


def _run_script(tmp_path: Path, body: str, *args: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "host.py"
    script.write_text(textwrap.dedent(body))
    return subprocess.run(
        [sys.executable, str(script), str(tmp_path / "data"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


_HOST = """
    import atexit, os, signal, sys
    from mailplug import Mailer, Message
    account = {"name": "a", "email": "a@example.com", "transport": "smtp",
               "settings": {"host": "127.0.0.1", "port": int(sys.argv[2]), "security": "none"}}
    mailer = Mailer([account], data_dir=sys.argv[1], entry_points=False)
"""


def test_close_registered_with_atexit(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server()
    done = _run_script(
        tmp_path,
        _HOST
        + """
    atexit.register(mailer.close)
    mailer.start_worker(poll_interval=0.2)
    mailer.enqueue(Message(to="b@example.com", subject="x", text="y"))
    print("queued")
    """,
        str(srv.port),
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Error" not in done.stderr, done.stderr
    assert done.stdout.strip() == "queued"


def test_close_twice_and_reuse(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server()
    m = sync_mailer(tmp_path, srv.account(name="biuro", email="biuro@firma.pl"))
    m.close()  # never started: nothing to close
    m.enqueue(message(1))
    m.close()
    m.close()
    assert m.flush().sent == 1  # a closed mailer starts again on use
    m.close()
    assert len(srv.messages) == 1


def test_close_from_a_signal_handler(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server()
    done = _run_script(
        tmp_path,
        _HOST
        + """
    import asyncio, concurrent.futures, threading
    mailer.enqueue(Message(to="b@example.com", subject="x", text="y"))

    def stop(signum, frame):
        mailer.close()
        mailer.close()

    signal.signal(signal.SIGTERM, stop)
    threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM)).start()
    try:
        mailer.run(lambda m: asyncio.sleep(30))  # a blocking call the signal interrupts
    except concurrent.futures.CancelledError:
        print("interrupted")
    print("waiting", mailer.waiting())
    mailer.close()
    """,
        str(srv.port),
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stdout.split() == ["interrupted", "waiting", "1"]


def test_close_from_a_status_listener_is_refused_with_a_key(tmp_path: Path) -> None:
    account = {"name": "a", "email": "a@firma.pl", "transport": "memory"}
    m = Mailer([account], data_dir=tmp_path / "d", entry_points=False)
    refused: list[str] = []

    def listener(event: Any) -> None:
        try:
            m.close()
        except MailplugError as exc:
            refused.append(exc.key)

    m.on_status(listener)
    m.enqueue(message(1))
    assert refused == ["api.sync_in_event_loop"]
    assert m.waiting() == 1  # the mailer still works
    m.close()
