"""Consent once: the loopback-redirect flow, end to end, and ``mailplug accounts authorize``.

The "browser" is urllib in a thread: it opens the authorization URL on the
loopback stand-in for Google, which checks the request and redirects (302) to
mailplug's loopback listener with ``code`` and ``state``, as Google does after
the user agreed.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import socket
import stat
import threading
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from pydantic import SecretStr
from tests.oauth_servers import FakeOAuthServer, gmail_account, s256

from mailplug.cli import main
from mailplug.config import Config, save_config
from mailplug.errors import AuthenticationError, ConfigurationError
from mailplug.mailer import AsyncMailer
from mailplug.models import Account
from mailplug_oauth import REFRESH_TOKEN_KEY, OAuth2Authenticator


@pytest.fixture
def google() -> Iterator[FakeOAuthServer]:
    server = FakeOAuthServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def mailer(tmp_path: Path, google: FakeOAuthServer) -> AsyncIterator[AsyncMailer]:
    async with AsyncMailer(
        [gmail_account(google)], data_dir=tmp_path, outbox=None, entry_points=False
    ) as m:
        yield m


class Browser:
    """A scripted browser: follows the authorization URL like a user who agrees."""

    def __init__(self) -> None:
        self.pages: list[tuple[int, str]] = []
        self.urls: list[str] = []
        self.done = threading.Event()

    def get(self, url: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                page = (response.status, response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            page = (exc.code, exc.read().decode("utf-8"))
        self.pages.append(page)
        return page

    def open(self, url: str) -> bool:
        self.urls.append(url)
        try:
            self.get(url)
        finally:
            self.done.set()
        return True


async def authenticator(mailer: AsyncMailer) -> OAuth2Authenticator:
    auth = await mailer.authenticator(mailer.account("gmail"))
    assert isinstance(auth, OAuth2Authenticator)
    return auth


# -- the flow -------------------------------------------------------------------------


async def test_authorize_end_to_end_stores_the_refresh_token(
    mailer: AsyncMailer, google: FakeOAuthServer
) -> None:
    browser = Browser()
    shown: list[tuple[str, bool]] = []
    auth = await authenticator(mailer)
    result = await auth.authorize(
        open_browser=browser.open, on_url=lambda u, o: shown.append((u, o)), wait_seconds=30
    )
    assert browser.done.wait(10)  # the browser thread has read its page

    # The authorization request: PKCE S256, a random state, a loopback redirect.
    [query] = google.authorize_requests
    assert query["code_challenge_method"] == "S256"
    assert query["scope"] == "https://mail.google.com/"
    assert query["access_type"] == "offline" and query["login_hint"] == "jan.kowalski@gmail.com"
    assert len(query["state"]) >= 40
    redirect = urlsplit(query["redirect_uri"])
    assert redirect.scheme == "http" and redirect.hostname == "127.0.0.1"
    assert redirect.port not in (None, 0, 80)
    assert shown == [(browser.urls[0], True)]

    # The code exchange carried the verifier that matches the challenge.
    [exchange] = google.grants("authorization_code")
    assert s256(exchange.form["code_verifier"]) == query["code_challenge"]
    assert exchange.form["redirect_uri"] == query["redirect_uri"]

    # The browser was told it can close the window.
    assert browser.pages == [(200, browser.pages[0][1])]
    assert "close this window" in browser.pages[0][1]

    store = await mailer.secrets()
    assert store is not None
    stored = await store.get("gmail", REFRESH_TOKEN_KEY)
    assert stored is not None and stored.get_secret_value() in google.valid_refresh_tokens
    meta = await store.meta("gmail", REFRESH_TOKEN_KEY)
    assert meta is not None
    assert meta["provider"] == "google" and meta["scope"] == "https://mail.google.com/"
    assert meta["stored_at"] == meta["authorized_at"]
    assert result["state"] == "authorized" and result["refresh_token_age_s"] >= 0

    # The access token from the exchange is used without another request.
    creds = await auth.credentials()
    assert creds.secret.get_secret_value() in google.valid_access_tokens
    assert google.grants("refresh_token") == []


async def test_wrong_state_is_rejected_and_the_flow_keeps_waiting(
    mailer: AsyncMailer, google: FakeOAuthServer
) -> None:
    browser = Browser()

    def forged_then_genuine(url: str) -> bool:
        redirect_uri = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        forged = browser.get(f"{redirect_uri}?{urlencode({'code': 'x', 'state': 'forged'})}")
        missing = browser.get(f"{redirect_uri}?code=x")
        assert forged[0] == missing[0] == 400
        return browser.open(url)

    auth = await authenticator(mailer)
    await auth.authorize(open_browser=forged_then_genuine, wait_seconds=30)
    assert browser.done.wait(10)
    assert [status for status, _ in browser.pages] == [400, 400, 200]
    assert "rejected" in browser.pages[0][1]
    assert len(google.grants("authorization_code")) == 1  # only the genuine code


async def test_only_a_wrong_state_ends_in_state_mismatch(mailer: AsyncMailer) -> None:
    browser = Browser()

    def forged_only(url: str) -> bool:
        redirect_uri = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        browser.get(f"{redirect_uri}?{urlencode({'code': 'stolen', 'state': 'other'})}")
        browser.done.set()
        return True

    auth = await authenticator(mailer)
    with pytest.raises(AuthenticationError) as info:
        await auth.authorize(open_browser=forged_only, wait_seconds=1.5, lang="pl")
    assert info.value.key == "oauth.state_mismatch"
    assert browser.done.wait(10)
    assert browser.pages[0][0] == 400
    assert "odrzucona" in browser.pages[0][1]  # the page speaks the user's language


async def test_no_browser_answer_times_out(mailer: AsyncMailer) -> None:
    auth = await authenticator(mailer)
    with pytest.raises(AuthenticationError) as info:
        await auth.authorize(open_browser=None, wait_seconds=0.5)
    assert info.value.key == "oauth.authorization_timeout"
    assert "0.5" in info.value.message("en")
    assert "mailplug accounts authorize gmail" in info.value.advice("en")


async def test_user_denies_access(mailer: AsyncMailer, google: FakeOAuthServer) -> None:
    google.deny = True
    browser = Browser()
    auth = await authenticator(mailer)
    with pytest.raises(AuthenticationError) as info:
        await auth.authorize(open_browser=browser.open, wait_seconds=30)
    assert browser.done.wait(10)
    assert info.value.key == "oauth.access_denied"
    assert "access_denied" in str(info.value)
    assert browser.pages[0][0] == 200 and "not granted" in browser.pages[0][1]
    store = await mailer.secrets()
    assert store is not None and await store.get("gmail", REFRESH_TOKEN_KEY) is None


async def test_no_refresh_token_in_the_answer_is_explained(
    mailer: AsyncMailer, google: FakeOAuthServer
) -> None:
    google.fail_next.append(
        (200, {"access_token": "ya29.only", "expires_in": 3599, "token_type": "Bearer"})
    )
    auth = await authenticator(mailer)
    with pytest.raises(ConfigurationError) as info:
        await auth.authorize(open_browser=Browser().open, wait_seconds=30)
    assert info.value.key == "oauth.no_refresh_token"


async def test_authorize_with_a_secret_store_missing(
    tmp_path: Path, google: FakeOAuthServer
) -> None:
    async with AsyncMailer(
        [gmail_account(google)],
        data_dir=tmp_path,
        outbox=None,
        secret_store=None,
        entry_points=False,
    ) as m:
        auth = await authenticator(m)
        with pytest.raises(ConfigurationError) as info:
            await auth.authorize(open_browser=None, wait_seconds=1)
    assert info.value.key == "oauth.no_secret_store"


# -- the command line --------------------------------------------------------------


class Terminal(io.StringIO):
    """stdout of the CLI; runs the browser when the authorization URL is printed."""

    def __init__(self, browser: Browser) -> None:
        super().__init__()
        self.browser = browser

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.startswith("http://127.0.0.1") and not self.browser.urls:
                self.browser.urls.append(line)
                threading.Thread(target=self.browser.open, args=(line,), daemon=True).start()
        return super().write(text)


@pytest.fixture
def config(google: FakeOAuthServer) -> Path:
    path = Path(os.environ["MAILPLUG_CONFIG"])
    save_config(Config(accounts=[Account.model_validate(gmail_account(google))]), path)
    return path


def run_cli(*argv: str, browser: Browser | None = None) -> tuple[int, str, str]:
    out = Terminal(browser) if browser is not None else io.StringIO()
    err = Terminal(browser) if browser is not None else io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_cli_authorize_without_browser_then_show(
    config: Path,
    google: FakeOAuthServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    browser = Browser()
    code, out, _ = run_cli(
        "accounts", "authorize", "gmail", "--no-browser", "--timeout", "30", "--lang", "pl",
        browser=browser,
    )  # fmt: skip
    assert code == 0, out
    assert "Otwórz ten adres w przeglądarce" in out
    assert "jan.kowalski@gmail.com" in out
    assert "Konto „gmail” jest autoryzowane" in out
    assert browser.done.wait(10)
    assert browser.pages and browser.pages[-1][0] == 200

    code, shown, _ = run_cli("accounts", "show", "gmail", "--json")
    assert code == 0
    state = json.loads(shown)["auth_state"]
    assert state["state"] == "authorized"
    assert state["provider"] == "google" and state["name"] == "gmail-oauth2"
    assert state["stored_at"] and state["refresh_token_age_s"] >= 0
    assert state["granted_scope"] == "https://mail.google.com/"

    secrets = set(google.valid_refresh_tokens) | set(google.valid_access_tokens)
    assert secrets
    for text in (out, shown, caplog.text):
        for secret in secrets:
            assert secret not in text


def test_cli_authorize_opens_the_browser_and_prints_json(
    config: Path, google: FakeOAuthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = Browser()
    monkeypatch.setattr("webbrowser.open", browser.open)
    code, out, err = run_cli("accounts", "authorize", "gmail", "--json", "--timeout", "30")
    assert code == 0, err
    data = json.loads(out)  # stdout holds only the JSON
    assert data["account"] == "gmail" and data["authorized"] is True
    # The data folder it created (holding the token) is owner-only, like its files.
    data_dir = Path(os.environ["MAILPLUG_DATA_DIR"])
    assert sorted(p.name for p in data_dir.iterdir())
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert data["auth_state"]["state"] == "authorized"
    assert "Opening the browser" in err and browser.urls[0] in err
    for secret in google.valid_refresh_tokens | google.valid_access_tokens:
        assert secret not in out + err


def test_cli_authorize_of_a_password_account_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = Path(os.environ["MAILPLUG_CONFIG"])
    account = Account.model_validate(
        {
            "name": "biuro",
            "email": "biuro@firma.pl",
            "transport": "memory",
            "auth": None,
        }
    )
    save_config(Config(accounts=[account]), path)
    code, out, _ = run_cli("accounts", "authorize", "biuro", "--json")
    assert code == 78
    assert json.loads(out)["error"]["key"] == "oauth.not_oauth_account"


def test_cli_timeout_exit_code(config: Path) -> None:
    code, _, err = run_cli("accounts", "authorize", "gmail", "--no-browser", "--timeout", "0.3")
    assert code == 77  # authentication
    assert "not finished in time" in err


async def test_store_written_by_the_cli_is_seen_by_a_running_mailer(
    config: Path, google: FakeOAuthServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data_dir = Path(os.environ["MAILPLUG_DATA_DIR"])
    async with AsyncMailer(
        [gmail_account(google)], data_dir=data_dir, outbox=None, entry_points=False
    ) as m:
        store = await m.secrets()
        assert store is not None
        await store.set("gmail", "unrelated", SecretStr("x"))
        browser = Browser()
        monkeypatch.setattr("webbrowser.open", browser.open)
        code, _, err = await asyncio.to_thread(
            run_cli, "accounts", "authorize", "gmail", "--timeout", "30"
        )
        assert code == 0, err
        creds = await (await authenticator(m)).credentials()
        assert creds.secret.get_secret_value() in google.valid_access_tokens
        assert await store.get("gmail", "unrelated") is not None


async def test_cli_authorize_resumes_the_paused_account(
    config: Path, google: FakeOAuthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from mailplug.outbox import AccountPause

    data_dir = Path(os.environ["MAILPLUG_DATA_DIR"])
    async with AsyncMailer([gmail_account(google)], data_dir=data_dir, entry_points=False) as m:
        outbox = await m.outbox()
        await outbox.pause_account(AccountPause("gmail", datetime.now(UTC)))
        assert "gmail" in await outbox.paused_accounts()

    monkeypatch.setattr("webbrowser.open", Browser().open)
    code, out, err = await asyncio.to_thread(
        run_cli, "accounts", "authorize", "gmail", "--json", "--timeout", "30"
    )
    assert code == 0, err
    assert json.loads(out)["resumed"] is True

    async with AsyncMailer([gmail_account(google)], data_dir=data_dir, entry_points=False) as m:
        assert "gmail" not in await (await m.outbox()).paused_accounts()


async def test_busy_redirect_port_is_explained(tmp_path: Path, google: FakeOAuthServer) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        account = gmail_account(google)
        account["auth_settings"]["redirect_port"] = busy.getsockname()[1]
        async with AsyncMailer([account], data_dir=tmp_path, outbox=None, entry_points=False) as m:
            with pytest.raises(ConfigurationError) as info:
                await (await authenticator(m)).authorize(open_browser=None, wait_seconds=1)
    assert info.value.key == "oauth.redirect_unavailable"
    assert "127.0.0.1" in info.value.message("pl")
