"""``mailplug accounts password NAME``: typed without echo, stored in the secret store."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from mailplug import Mailer
from mailplug.config import Config, save_config
from mailplug.models import Account

SECRET = "hasło-Zażółć-42"


def _accounts_file(tmp_path: Path, srv: Any) -> Path:
    path = tmp_path / "config" / "accounts.toml"
    account = Account.model_validate(
        srv.account(name="biuro", email="biuro@firma.pl", auth="password",
                    auth_settings={"username": "biuro"})
    )  # fmt: skip
    save_config(Config(path=path, accounts=[account]), path)
    return path


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MAILPLUG_CONFIG": str(tmp_path / "config" / "accounts.toml"),
        "MAILPLUG_DATA_DIR": str(tmp_path / "data"),
    }


def _sends(tmp_path: Path, srv: Any) -> None:
    """The stored password logs in: the file has none, no variable is set."""
    config = tmp_path / "config" / "accounts.toml"
    assert SECRET not in config.read_text(encoding="utf-8")
    with Mailer.from_config(config, data_dir=tmp_path / "data", outbox=None) as m:
        m.send(_message())
    assert srv.messages and srv.auth_attempts[-1].success


def _message() -> Any:
    from mailplug import Message

    return Message(to="ala@example.com", subject="x", text="y")


def test_password_from_stdin_is_stored_outside_the_file(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server(tls="starttls", users={"biuro": SECRET})
    _accounts_file(tmp_path, srv)
    done = subprocess.run(
        [sys.executable, "-m", "mailplug", "accounts", "password", "biuro", "--stdin"],
        input=SECRET + "\n",
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout + done.stderr and "biuro" in done.stdout
    _sends(tmp_path, srv)


def test_password_is_read_without_echo_on_a_terminal(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server(tls="starttls", users={"biuro": SECRET})
    _accounts_file(tmp_path, srv)
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command on a real pseudo-terminal
        os.environ.update(_env(tmp_path))
        os.execv(sys.executable, [sys.executable, "-m", "mailplug", "--lang", "pl",
                                  "accounts", "password", "biuro"])  # fmt: skip
    seen = b""
    deadline = time.monotonic() + 30
    typed = False
    done = 0
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 1024)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        if not typed and "Hasło".encode() in seen:
            os.write(fd, SECRET.encode() + b"\r")
            typed = True
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
    else:
        os.kill(pid, 9)
    if not done:
        os.waitpid(pid, 0)
    os.close(fd)
    assert typed, seen
    assert SECRET.encode() not in seen  # never echoed
    assert "Zapisano hasło".encode() in seen
    _sends(tmp_path, srv)


def test_unknown_account_and_empty_password(tmp_path: Path, smtp_server: Any) -> None:
    srv = smtp_server()
    _accounts_file(tmp_path, srv)
    base = [sys.executable, "-m", "mailplug", "accounts", "password"]
    run = dict(capture_output=True, text=True, env=_env(tmp_path), timeout=60, check=False)
    unknown = subprocess.run([*base, "nikt", "--stdin"], input="x\n", **run)  # type: ignore[call-overload]
    assert unknown.returncode == 78
    empty = subprocess.run([*base, "biuro", "--stdin"], input="\n", **run)  # type: ignore[call-overload]
    assert empty.returncode == 65 and "nothing was stored" in empty.stderr
