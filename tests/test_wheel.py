"""The built wheel works on its own: installed into a fresh venv, with no source tree around."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SMOKE = r"""
import asyncio, json, sys
import mailplug
from mailplug import AsyncMailer, Message
from mailplug.plugins import Plugins

async def main():
    acc = {"name": "t", "email": "a@firma.pl", "transport": "memory", "auth": None}
    async with AsyncMailer([acc], outbox=None) as mailer:
        result = await mailer.send(Message(to="b@example.com", subject="Zażółć", text="x"))
        try:
            mailer.account_for(Message(sender="x@firma.pl", to="b@example.com"))
        except mailplug.MailplugError as exc:
            polish = exc.message("pl")
        return result.ok, polish, sorted(mailer.translator.languages())

ok, polish, langs = asyncio.run(main())
print(json.dumps({
    "file": mailplug.__file__,
    "ok": ok,
    "polish": polish,
    "langs": langs,
    "plugins": {i.name: i.status for i in Plugins().infos},
}))
"""


@pytest.mark.timeout(600)
def test_wheel_installs_and_works_without_the_source_tree(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    wheel = next(dist.glob("mailplug-*.whl"))
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "mailplug/locales/pl/LC_MESSAGES/mailplug.po" in names  # the core's own catalog
    assert "mailplug_locales/locales/pl/LC_MESSAGES/smtp.po" in names
    assert "mailplug_imap/plugin.py" in names
    assert any(n.startswith("mailplug_smtp/") for n in names)
    assert not any(n.startswith(("tests/", "src/", "plugins/")) for n in names)

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
        check=True,
        timeout=480,
    )
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    clean_env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    out = subprocess.run(
        [str(python), "-c", SMOKE],
        cwd=workdir,
        env=clean_env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    data = json.loads(out.stdout)
    assert str(ROOT) not in data["file"] and str(env_dir) in data["file"]
    assert data["ok"] is True
    assert data["polish"].startswith("Nie skonfigurowano poprawnie konta pocztowego")
    assert {"pl", "en"} <= set(data["langs"])
    assert data["plugins"]["smtp"] == data["plugins"]["locales"] == "loaded"
    cli = subprocess.run(
        [str(env_dir / "bin" / "mailplug"), "i18n", "check"],
        cwd=workdir,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stdout + cli.stderr
