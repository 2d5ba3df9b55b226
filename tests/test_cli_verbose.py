"""``mailplug -v``: the ``mailplug.*`` loggers on standard error, secrets masked."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from tests.test_cli_outbox import cli, send

from mailplug.cli.verbose import mask_secrets, verbose

__all__ = ["cli"]  # the fixture, shared with test_cli_outbox

ROOT = Path(__file__).resolve().parent.parent


def test_vv_logs_the_smtp_connection_and_plain_runs_stay_quiet(cli: Any) -> None:
    send(cli, "jan@example.com")
    code, _, err = cli("-vv", "outbox", "flush", "--no-progress")
    where = f"{cli.server.host}:{cli.server.port}"
    assert code == 0 and f"mailplug.smtp DEBUG: connecting to {where}" in err
    send(cli, "ala@example.com")
    code, _, err = cli("outbox", "flush", "--no-progress")
    assert code == 0 and "mailplug.smtp" not in err
    # The handler is gone after the command: the host's logging is left as it was.
    assert logging.getLogger("mailplug").handlers == []


def test_verbose_masks_secrets_a_log_line_may_carry(
    capsys: pytest.CaptureFixture[str],
) -> None:
    secrets = ["AGJpdXJvAHRham5lMTIz", "sekret-haslo", "ya29.tok3n", "1//refresh-tok"]
    lines = [
        f"server said: 535 rejected AUTH PLAIN {secrets[0]}",
        f"outbox postgresql://mail:{secrets[1]}@db.example/mail unavailable",
        f"token endpoint answered: Authorization: Bearer {secrets[2]}",
        f'{{"access_token": "{secrets[2]}", "refresh_token": "{secrets[3]}"}}',
        f"password={secrets[1]}&user=jan",
    ]
    for line in lines:
        masked = mask_secrets(line)
        assert not any(s in masked for s in secrets), masked
        assert "***" in masked
    # Through the handler -v installs: messages and tracebacks are masked.
    log = logging.getLogger("mailplug.smtp")
    with verbose(1):
        for line in lines:
            log.info(line)
        try:
            raise RuntimeError(f"login failed: AUTH LOGIN {secrets[0]}")
        except RuntimeError:
            log.exception("transport failed")
        log.debug("not shown at -v")
    err = capsys.readouterr().err
    assert "mailplug.smtp INFO: server said: 535 rejected AUTH PLAIN ***" in err
    assert "RuntimeError: login failed: AUTH LOGIN ***" in err
    assert "not shown" not in err
    assert not any(s in err for s in secrets)


def test_readme_names_every_logger() -> None:
    found: set[str] = set()
    for folder in ("src", "plugins"):
        for path in (ROOT / folder).rglob("*.py"):
            found |= set(re.findall(r'getLogger\("(mailplug[\w.]*)"\)', path.read_text("utf-8")))
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("### Logging and `--verbose`", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`(mailplug(?:\.\w+)*)`", section))
    assert found and found == listed
