"""The shipped test kit (``mailplug.testing``): light to import, server optional, old names kept."""

from __future__ import annotations

import subprocess
import sys

import tests.smtp_server

import mailplug.testing
import mailplug.testing.smtp


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_importing_the_kit_loads_no_test_framework_or_server() -> None:
    out = run(
        "import sys, mailplug.testing\n"
        "heavy = {'aiosmtpd', 'trustme', 'pytest', '_pytest', 'pytest_asyncio', 'hypothesis'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_kit_exports_what_it_always_did() -> None:
    assert mailplug.testing.__all__ == [
        "MemoryTransport",
        "SentMessage",
        "memory_account",
        "registered",
    ]
    assert mailplug.testing.memory_account().transport == "memory"


def test_smtp_server_without_aiosmtpd_says_which_extra_to_install() -> None:
    out = run(
        "import sys\n"
        "sys.modules['aiosmtpd'] = None  # as if not installed\n"
        "import mailplug.testing.smtp\n"
    )
    assert out.returncode != 0
    assert "ImportError" in out.stderr
    assert 'pip install "mailplug[testing]"' in out.stderr


def test_old_test_module_name_reexports_the_server() -> None:
    assert tests.smtp_server.__all__ == mailplug.testing.smtp.__all__
    assert tests.smtp_server.SMTPServer is mailplug.testing.smtp.SMTPServer
    assert tests.smtp_server.Script is mailplug.testing.smtp.Script
    assert tests.smtp_server.shared_ca is mailplug.testing.smtp.shared_ca
