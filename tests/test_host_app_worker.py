"""A separate worker process loading the host's mailer: ``mailplug outbox work --app``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from tests.outbox_support import message

from mailplug import Mailer
from mailplug.errors import MailplugError
from mailplug.hostapp import load_app, load_async, load_sync

_HOST_MODULE = """
    import os
    from mailplug import Mailer

    def make_mailer():
        account = {{"name": "sklep", "email": "sklep@firma.pl", "transport": "smtp", "auth": None,
                    "settings": {{"host": "127.0.0.1", "port": {port}, "security": "none"}}}}
        return Mailer([account], data_dir=os.environ["HOST_DATA"], entry_points=False)

    not_a_mailer = 42
"""


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOST_DATA": str(tmp_path / "host")}
    return subprocess.run(
        [sys.executable, "-m", "mailplug", *args],
        cwd=tmp_path,  # the project's directory: its module is importable, as for gunicorn
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_separate_worker_sends_the_hosts_mail(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server()
    (tmp_path / "hostmail.py").write_text(textwrap.dedent(_HOST_MODULE.format(port=srv.port)))
    account = srv.account(name="sklep", email="sklep@firma.pl")
    with Mailer([account], data_dir=tmp_path / "host", entry_points=False) as host:
        host.enqueue(message(1))  # the host passed its account in code, not in a file
    # Without the host's accounts a worker leaves that mail alone (no pause, no failure).
    plain = _cli(tmp_path, "--data-dir", str(tmp_path / "host"), "outbox", "flush")
    assert plain.returncode == 0, plain.stderr
    assert srv.messages == []
    done = _cli(tmp_path, "--app", "hostmail:make_mailer", "outbox", "flush")
    assert done.returncode == 0, done.stderr
    assert len(srv.messages) == 1
    with Mailer([account], data_dir=tmp_path / "host", entry_points=False) as host:
        assert host.waiting() == 0 and host.paused_accounts() == {}


@pytest.mark.parametrize(
    ("ref", "key"),
    [
        ("hostmail", "app.not_found"),
        ("no_such_module_xyz:make", "app.not_found"),
        ("hostmail:missing", "app.not_found"),
        ("hostmail:not_a_mailer", "app.invalid"),
    ],
)
def test_bad_app_references_say_what_is_wrong(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ref: str, key: str
) -> None:
    (tmp_path / "hostmail.py").write_text(textwrap.dedent(_HOST_MODULE.format(port=1)))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(MailplugError) as caught:
        load_app(ref)
    assert caught.value.key == key
    assert caught.value.message("pl") != caught.value.message("en")
    done = _cli(tmp_path, "--app", ref, "outbox", "list")
    assert done.returncode == 78 and caught.value.message("en") in done.stderr


def test_load_sync_and_async_facades(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "hostmail2.py").write_text(textwrap.dedent(_HOST_MODULE.format(port=1)))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOST_DATA", str(tmp_path / "host"))
    monkeypatch.syspath_prepend(str(tmp_path))
    sync = load_sync("hostmail2:make_mailer")
    assert list(sync.accounts) == ["sklep"]
    aio = load_async("hostmail2:make_mailer")
    wrapped = Mailer.around(aio)
    assert wrapped.aio is aio and wrapped.waiting() == 0
    wrapped.close()
    sync.close()
