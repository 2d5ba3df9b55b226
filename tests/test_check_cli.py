"""``mailplug accounts test`` and ``accounts add`` end to end (real servers, real files)."""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.smtp_server import SMTPServer

from mailplug.cli import main
from mailplug.config import Config, load_config, save_config
from mailplug.models import Account
from mailplug.plugin import hookimpl

USER, PASSWORD = "jan@example.pl", "s3cret-Pa55w0rd"

pytestmark = pytest.mark.timeout(60)

Start = Callable[..., SMTPServer]


@pytest.fixture
def config_path() -> Path:
    return Path(os.environ["MAILPLUG_CONFIG"])


def write_accounts(path: Path, *accounts: dict[str, Any]) -> None:
    save_config(Config(path=path, accounts=[Account.model_validate(a) for a in accounts]))


@pytest.fixture
def password_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("TEST_CHECK_PASSWORD", PASSWORD)
    return "TEST_CHECK_PASSWORD"


def smtp_account(srv: SMTPServer, env: str, **settings: Any) -> dict[str, Any]:
    return srv.account(
        name="biuro",
        auth="password",
        auth_settings={"username": USER, "password_env": env},
        **settings,
    )


# --------------------------------------------------------------------------
# accounts test
# --------------------------------------------------------------------------


def test_accounts_test_json_for_a_working_account(
    smtp_server: Start, config_path: Path, password_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    srv = smtp_server(tls="starttls", users={USER: PASSWORD})
    write_accounts(config_path, smtp_account(srv, password_env))

    code = main(
        ["accounts", "test", "biuro", "--rcpt", "anna@example.com", "--json", "--timeout", "2"]
    )
    data = json.loads(capsys.readouterr().out)

    assert code == 0
    assert data["ok"] is True and data["account"] == "biuro"
    steps = {s["name"]: s for s in data["steps"]}
    assert steps["login"]["status"] == "passed"
    assert steps["rcpt_to"]["status"] == "passed"
    assert steps["imap_connect"]["status"] == "skipped"
    assert all(s["error"] is None for s in data["steps"])
    assert srv.messages == []
    assert PASSWORD not in json.dumps(data)


def test_accounts_test_json_names_the_setting_and_the_value(
    smtp_server: Start, config_path: Path, password_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    srv = smtp_server(tls="starttls", users={USER: PASSWORD})
    write_accounts(config_path, smtp_account(srv, password_env, security="tls"))

    code = main(["accounts", "test", "biuro", "--json", "--lang", "pl", "--timeout", "2"])
    data = json.loads(capsys.readouterr().out)

    assert code == 69  # sysexits EX_UNAVAILABLE: the account cannot send as it is
    assert data["ok"] is False and data["failed_step"] == "tls"
    failed = next(s for s in data["steps"] if s["status"] == "failed")
    error = failed["error"]
    assert error["key"] == "check.expects_starttls"
    assert error["setting"] == "settings.security"
    assert error["setting_label"] == "zabezpieczenie połączenia"
    assert error["suggested_value"] == "starttls"
    assert error["changes"] == {"settings.security": "starttls"}
    assert error["message"].startswith(f"Serwer 127.0.0.1 na porcie {srv.port}")
    assert error["advice"] and error["fix"]
    assert data["summary"] == "Konto „biuro” nie działa: nie powiódł się krok „szyfrowanie (TLS)”."


def test_accounts_test_text_in_polish(
    smtp_server: Start, config_path: Path, password_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    srv = smtp_server(tls="starttls", users={USER: PASSWORD})
    write_accounts(config_path, smtp_account(srv, password_env, security="tls"))

    assert main(["accounts", "test", "biuro", "--lang", "pl", "--timeout", "2"]) == 69
    out = capsys.readouterr().out
    assert "Sprawdzanie konta „biuro”" in out
    assert "[OK] połączenie z serwerem" in out
    assert "[błąd] szyfrowanie (TLS)" in out
    assert "Zmień ustawienie „zabezpieczenie połączenia” (settings.security) na „starttls”." in out
    assert "[pominięto] logowanie" in out


def test_accounts_test_unknown_account(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_accounts(config_path)
    assert main(["accounts", "test", "nope", "--json"]) == 78
    assert json.loads(capsys.readouterr().out)["error"]["key"] == "account.not_configured"


# --------------------------------------------------------------------------
# accounts add
# --------------------------------------------------------------------------


def test_accounts_add_yes_json_writes_a_valid_owner_only_file(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["accounts", "add", "--email", "jan.nowak@wp.pl", "--yes", "--json"])
    data = json.loads(capsys.readouterr().out)

    assert code == 0 and data["saved"] is True
    assert Path(data["path"]) == config_path
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o600
    assert data["preset"]["id"] == "wp" and data["preset"]["source"].startswith("http")
    assert isinstance(data["preset"]["verified"], bool)
    assert data["notes"] and "MAILPLUG_PASSWORD_" in data["next"]
    (account,) = load_config(config_path).accounts
    assert account.name == "jan.nowak@wp.pl" and account.default
    assert account.settings == {"host": "smtp.wp.pl", "port": 465, "security": "tls"}
    assert account.auth == "password" and account.auth_settings == {"username": "jan.nowak"}
    assert account.imap is not None and account.imap.host == "imap.wp.pl"


def test_accounts_add_google_workspace_is_picked_by_the_user(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["accounts", "add", "--email", "ceo@firma.pl", "--provider", "google-workspace",
         "--name", "ceo", "--yes"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    (account,) = load_config(config_path).accounts
    assert account.name == "ceo" and account.auth == "gmail-oauth2"
    assert account.settings["host"] == "smtp.gmail.com"
    assert "mailplug accounts authorize ceo" in out


def test_accounts_add_hosting_provider_needs_the_server_name(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["accounts", "add", "--email", "biuro@firma.pl", "--provider", "nazwa-pl", "--json"]
    )
    error = json.loads(capsys.readouterr().out)["error"]
    assert code == 78 and error["key"] == "preset.host_needed"
    assert not config_path.exists()

    code = main(
        ["accounts", "add", "--email", "biuro@firma.pl", "--provider", "nazwa-pl",
         "--host", "server123.nazwa.pl", "--yes", "--lang", "pl"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "nie potwierdzono na stronie dostawcy" in out  # not verified: the user is told
    (account,) = load_config(config_path).accounts
    assert account.settings["host"] == "server123.nazwa.pl"


def test_accounts_add_unknown_domain(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["accounts", "add", "--email", "a@firma-xyz.pl", "--json"]) == 78
    assert json.loads(capsys.readouterr().out)["error"]["key"] == "preset.no_match"
    assert main(["accounts", "add", "--email", "a@firma-xyz.pl", "--host", "mail.firma-xyz.pl",
                 "--yes", "--json"]) == 0  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    assert data["preset"] is None
    assert data["account"]["settings"] == {
        "host": "mail.firma-xyz.pl",
        "port": 587,
        "security": "starttls",
    }


def test_accounts_add_refuses_a_duplicate_name(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["accounts", "add", "--email", "jan@o2.pl", "--yes"]) == 0
    capsys.readouterr()
    assert main(["accounts", "add", "--email", "jan@o2.pl", "--yes", "--json"]) == 78
    assert json.loads(capsys.readouterr().out)["error"]["key"] == "preset.account_exists"
    assert len(load_config(config_path).accounts) == 1


class _Tty:
    def isatty(self) -> bool:
        return True


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Scripted answers to ``input()`` on a pretend terminal; records the prompts."""
    replies: list[str] = []
    prompts: list[str] = []

    def fake_input(prompt: str = "") -> str:
        prompts.append(prompt)
        return replies.pop(0)

    monkeypatch.setattr(sys, "stdin", _Tty())
    monkeypatch.setattr("builtins.input", fake_input)
    yield replies
    assert not replies, "not every scripted answer was used"


def test_accounts_add_interactive_edit_then_save(
    config_path: Path, answers: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # e(dit): host kept, port 587, security starttls, the rest kept; then t(ak).
    answers += ["e", "", "587", "starttls", "", "", "", "", "", "t"]
    assert main(["accounts", "add", "--email", "ala@interia.pl", "--lang", "pl"]) == 0
    out = capsys.readouterr().out
    assert "Dostawca: Interia Poczta" in out and "Zapisano konto" in out
    (account,) = load_config(config_path).accounts
    assert account.settings == {"host": "poczta.interia.pl", "port": 587, "security": "starttls"}


def test_accounts_add_interactive_rejects_a_bad_value_and_can_cancel(
    config_path: Path, answers: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    answers += ["e", "", "port-465", "", "", "", "", "", "", "", "n"]
    assert main(["accounts", "add", "--email", "ala@onet.pl"]) == 64
    captured = capsys.readouterr()
    assert "cannot be used here" in captured.err
    assert "Nothing was saved." in captured.out
    assert not config_path.exists()


def test_accounts_add_interactive_asks_for_the_hosting_server(
    config_path: Path, answers: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    answers += ["serwer77.home.pl", "y"]
    assert main(["accounts", "add", "--email", "biuro@firma.pl", "--provider", "home-pl"]) == 0
    (account,) = load_config(config_path).accounts
    assert account.settings["host"] == "serwer77.home.pl"
    assert account.imap is not None and account.imap.host == "serwer77.home.pl"


def test_accounts_add_names_the_password_variable_the_login_method_reads(
    config_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The built-in password login says which variable it reads (the core names no method).
    assert main(["accounts", "add", "--email", "jan.nowak@wp.pl", "--yes", "--json"]) == 0
    assert "MAILPLUG_PASSWORD_JAN_NOWAK_WP_PL" in json.loads(capsys.readouterr().out)["next"]

    class CorporateLogin:
        def __call__(self, account: Any, *, services: Any) -> Any:
            raise AssertionError("not built by accounts add")

        @staticmethod
        def password_env(name: str) -> str:
            return "CORP_SECRET_" + name.split("@", maxsplit=1)[0].upper()

    class Corporate:
        __name__ = "corporate"

        @hookimpl
        def mailplug_register_auth(self, register: Any) -> None:
            register("password", CorporateLogin())

    from mailplug import plugins

    real = plugins.Plugins
    monkeypatch.setattr(plugins, "Plugins", lambda **kw: real(plugins=[Corporate()], **kw))
    args = ["accounts", "add", "--email", "ola@wp.pl", "--name", "ola", "--yes", "--json"]
    assert main(args) == 0
    assert "CORP_SECRET_OLA" in json.loads(capsys.readouterr().out)["next"]


def test_accounts_add_interactive_asks_for_the_server_of_an_unknown_domain(
    config_path: Path, answers: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    answers += ["poczta.nieznana-firma.example", "y"]
    assert main(["accounts", "add", "--email", "biuro@nieznana-firma.example"]) == 0
    (account,) = load_config(config_path).accounts
    assert account.settings["host"] == "poczta.nieznana-firma.example"
    assert account.settings["security"] == "starttls" and account.settings["port"] == 587
