"""Plugin manager: built-ins, entry points, blocking, refusal of broken or incompatible plugins."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pluggy
import pytest
from tests.plugin_dists import activate, make_dist, pip_install_example

from mailplug import AsyncMailer, Message, hookimpl
from mailplug.cli import main
from mailplug.plugins import BUILTIN_PLUGINS, Plugins, get_plugin_manager
from mailplug.testing import registered


def test_factory_returns_a_fresh_manager_each_time() -> None:
    pm1, _ = get_plugin_manager(entry_points=False)
    pm2, _ = get_plugin_manager(entry_points=False)
    assert pm1 is not pm2
    assert {n for n, _ in BUILTIN_PLUGINS} <= {n for n, _ in pm1.list_name_plugin()}


def test_import_mailplug_loads_no_plugin_code() -> None:
    code = "import sys, mailplug; print(sorted(m for m in sys.modules if m.startswith('mailplug')))"
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.replace("'", '"')) == ["mailplug", "mailplug._version"]


def test_disable_by_argument_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    plugins = Plugins(disable=["smtp"], entry_points=False)
    assert next(i for i in plugins.infos if i.name == "smtp").status == "disabled"
    monkeypatch.setenv("MAILPLUG_DISABLE_PLUGINS", "sqlite, legacy")
    plugins = Plugins(entry_points=False)
    status = {i.name: i.status for i in plugins.infos}
    assert status["sqlite"] == status["legacy"] == "disabled"
    assert status["smtp"] == "loaded"
    # The argument wins over the environment.
    plugins = Plugins(disable=[], entry_points=False)
    assert {i.status for i in plugins.infos} == {"loaded"}


def test_misspelled_hook_fails_loudly() -> None:
    class Typo:
        @hookimpl
        def mailplug_register_transport(self, register: object) -> None:  # missing "s"
            pass

    with pytest.raises(pluggy.PluginValidationError):
        get_plugin_manager(plugins=[Typo()], entry_points=False)


def test_registered_helper_unregisters() -> None:
    pm, _ = get_plugin_manager(entry_points=False)

    class Listener:
        @hookimpl
        def mailplug_message_status(self, event: object) -> None:
            pass

    with registered(pm, Listener(), name="listener"):
        assert pm.has_plugin("listener")
    assert not pm.has_plugin("listener")


def test_installed_example_plugin_is_found_and_sends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    pip_install_example(site)
    assert (site / "mailplug_filedrop" / "__init__.py").exists()
    activate(monkeypatch, site)
    drop = tmp_path / "drop"
    account = {
        "name": "staging",
        "email": "noreply@example.com",
        "transport": "filedrop",
        "auth": None,
        "settings": {"directory": str(drop)},
    }

    async def run() -> str:
        async with AsyncMailer([account], outbox=None) as mailer:
            info = next(i for i in mailer.plugins.infos if i.name == "filedrop")
            assert info.source == "entrypoint" and info.distribution == "mailplug-filedrop"
            assert info.provides == {"transport": ["filedrop"], "catalog": ["pl"]}
            result = await mailer.send(Message(to="jan@example.pl", subject="Zażółć", text="x"))
            return result.message_id

    import asyncio

    message_id = asyncio.run(run())
    files = list(drop.glob("*.eml"))
    assert len(files) == 1
    assert message_id.encode() in files[0].read_bytes()

    assert main(["plugins", "--json"]) == 0
    listed = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
    assert listed["filedrop"]["status"] == "loaded"
    assert listed["filedrop"]["provides"] == {"transport": ["filedrop"], "catalog": ["pl"]}
    assert main(["plugins"]) == 0
    assert "mailplug-filedrop 1.0.0" in capsys.readouterr().out


def test_incompatible_api_range_is_refused_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_dist(
        tmp_path,
        "mailplug-ancient",
        "mailplug_ancient",
        """
        from mailplug import hookimpl
        mailplug_api = ">=7,<8"

        @hookimpl
        def mailplug_register_transports(register):
            register("ancient", object)
        """,
        entry="ancient",
    )
    activate(monkeypatch, tmp_path)
    plugins = Plugins()
    info = next(i for i in plugins.infos if i.name == "ancient")
    assert info.status == "refused"
    assert info.error is not None and info.error.key == "version.plugin_incompatible"
    assert "ancient" in info.error.message("en") and ">=7,<8" in info.error.message("en")
    assert "ancient" not in plugins.transports  # the host keeps working without it
    assert "smtp" in {i.name for i in plugins.infos if i.status == "loaded"}

    assert main(["plugins", "--lang", "pl"]) == 0
    out = capsys.readouterr().out
    assert "refused" in out and "Wtyczka „ancient” wymaga API" in out


def test_plugin_that_fails_to_import_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_dist(tmp_path, "mailplug-broken", "mailplug_broken", "import does_not_exist_anywhere\n")
    activate(monkeypatch, tmp_path)
    plugins = Plugins()
    info = next(i for i in plugins.infos if i.name == "mailplug_broken")
    assert info.status == "refused"
    assert info.error is not None and info.error.key == "plugin.load_failed"
    assert "does_not_exist_anywhere" in info.error.message("en")


def test_plugin_failing_during_registration_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_dist(
        tmp_path,
        "mailplug-raises",
        "mailplug_raises",
        """
        from mailplug import hookimpl

        @hookimpl
        def mailplug_register_transports(register):
            raise RuntimeError("boom")
        """,
    )
    activate(monkeypatch, tmp_path)
    plugins = Plugins()
    info = next(i for i in plugins.infos if i.name == "mailplug_raises")
    assert info.status == "refused" and "boom" in str(info.error)
    assert "memory" in plugins.transports


def test_blocked_entry_point_is_not_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_dist(tmp_path, "mailplug-explodes", "mailplug_explodes", "raise SystemExit('imported')\n")
    activate(monkeypatch, tmp_path)
    monkeypatch.setenv("MAILPLUG_DISABLE_PLUGINS", "mailplug_explodes")
    plugins = Plugins()
    assert next(i for i in plugins.infos if i.name == "mailplug_explodes").status == "disabled"


def test_third_party_transport_overrides_builtin_name() -> None:
    class Override:
        @hookimpl
        def mailplug_register_transports(self, register: object) -> None:
            register("memory", "override")  # type: ignore[operator]

    plugins = Plugins(plugins=[Override()], entry_points=False)
    assert plugins.transports["memory"] == "override"


def test_plugins_command_lists_what_each_builtin_provides(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["plugins", "--json"]) == 0
    listed = {p["name"]: p["provides"] for p in json.loads(capsys.readouterr().out)}
    assert listed["smtp"] == {"transport": ["smtp"], "auth": ["password"]}
    assert set(listed["legacy"]["importer"]) == {"thunderbird", "maildir", "mbox", "eml"}
    assert listed["sqlite"] == {"storage": ["sqlite"]}
    assert set(listed["locales"]["catalog"]) >= {"pl", "en"}
