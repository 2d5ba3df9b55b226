"""The OAuth authenticator against a loopback token endpoint speaking Google's wire format."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from tests.oauth_servers import INVALID_GRANT, FakeOAuthServer, gmail_account
from tests.ports import free_ports

from mailplug import hookimpl
from mailplug.errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectionFailedError,
    MailplugError,
    ServerReply,
)
from mailplug.keys import SERVER_UNKNOWN
from mailplug.mailer import AsyncMailer
from mailplug_oauth import (
    PROVIDERS,
    REFRESH_TOKEN_KEY,
    OAuth2Authenticator,
    token_provider_auth,
)


class Clock:
    """Wall clock the test moves forward."""

    def __init__(self) -> None:
        import time

        self.now = time.time()

    def __call__(self) -> float:
        return self.now


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


async def authenticator(mailer: AsyncMailer, name: str = "gmail") -> OAuth2Authenticator:
    auth = await mailer.authenticator(mailer.account(name))
    assert isinstance(auth, OAuth2Authenticator)
    return auth


async def store_refresh_token(mailer: AsyncMailer, server: FakeOAuthServer, name: str) -> str:
    token = server.issue_refresh_token()
    store = await mailer.secrets()
    assert store is not None
    await store.set(name, REFRESH_TOKEN_KEY, SecretStr(token), meta={"stored_at": "2026-01-01"})
    return token


# -- tokens ---------------------------------------------------------------------


async def test_first_login_refreshes_then_the_token_is_cached(
    mailer: AsyncMailer, google: FakeOAuthServer
) -> None:
    refresh = await store_refresh_token(mailer, google, "gmail")
    auth = await authenticator(mailer)
    creds = await auth.credentials()
    assert creds.mechanism == "XOAUTH2"
    assert creds.refreshable and not creds.allow_plaintext
    assert creds.username == "jan.kowalski@gmail.com"
    assert creds.secret.get_secret_value() in google.valid_access_tokens
    [request] = google.grants("refresh_token")
    assert request.path == "/token"
    assert request.form["refresh_token"] == refresh
    assert request.form["client_id"] == google.client_id
    assert "client_secret" not in request.form  # a public client (PKCE), no secret
    assert "scope" not in request.form  # Google: no scope on refresh
    assert request.headers["Content-Type"].startswith("application/x-www-form-urlencoded")

    again = await auth.credentials()
    assert again.secret.get_secret_value() == creds.secret.get_secret_value()
    assert len(google.grants("refresh_token")) == 1


async def test_expired_access_token_is_refreshed(tmp_path: Path, google: FakeOAuthServer) -> None:
    clock = Clock()
    google.expires_in = 3599
    async with AsyncMailer(
        [gmail_account(google)], data_dir=tmp_path, outbox=None, entry_points=False
    ) as mailer:
        await store_refresh_token(mailer, google, "gmail")
        account = mailer.account("gmail")
        auth = OAuth2Authenticator(
            account, services=mailer.services, provider=PROVIDERS["google"], clock=clock
        )
        first = await auth.credentials()
        clock.now += 3599 - 61  # still outside the 60 s margin
        assert (await auth.credentials()).secret.get_secret_value() == (
            first.secret.get_secret_value()
        )
        assert len(google.grants("refresh_token")) == 1
        clock.now += 2  # inside the margin: renewed before it runs out
        second = await auth.credentials()
        assert second.secret.get_secret_value() != first.secret.get_secret_value()
        assert len(google.grants("refresh_token")) == 2
        state = await auth.adescribe()
        assert state["state"] == "authorized"
        assert state["access_token"]["expires_in"] == 3599


async def test_refused_token_is_dropped_and_renewed(
    mailer: AsyncMailer, google: FakeOAuthServer
) -> None:
    await store_refresh_token(mailer, google, "gmail")
    auth = await authenticator(mailer)
    first = await auth.credentials()
    refusal = ServerReply(535, "5.7.8", "Username and Password not accepted.")
    await auth.login_failed(SERVER_UNKNOWN.error(reply=refusal))
    second = await auth.credentials()
    assert second.secret.get_secret_value() != first.secret.get_secret_value()
    third = await auth.credentials(refresh=True)
    assert third.secret.get_secret_value() != second.secret.get_secret_value()
    assert len(google.grants("refresh_token")) == 3


async def test_new_refresh_token_replaces_the_old_one(
    mailer: AsyncMailer, google: FakeOAuthServer
) -> None:
    google.rotate = True
    old = await store_refresh_token(mailer, google, "gmail")
    auth = await authenticator(mailer)
    await auth.credentials()
    store = await mailer.secrets()
    assert store is not None
    stored = await store.get("gmail", REFRESH_TOKEN_KEY)
    assert stored is not None and stored.get_secret_value() != old
    assert stored.get_secret_value() in google.valid_refresh_tokens
    meta = await store.meta("gmail", REFRESH_TOKEN_KEY)
    assert meta is not None and meta["rotated"] == 1 and meta["stored_at"] != "2026-01-01"
    # The next refresh uses the new token (the old one is dead on the server).
    await auth.credentials(refresh=True)
    assert google.grants("refresh_token")[-1].form["refresh_token"] == stored.get_secret_value()


async def test_invalid_grant_asks_to_authorize_again_and_pauses_the_account(
    mailer: AsyncMailer, google: FakeOAuthServer
) -> None:
    await store_refresh_token(mailer, google, "gmail")
    google.revoke_all()
    auth = await authenticator(mailer)
    with pytest.raises(AuthenticationError) as info:
        await auth.credentials()
    err = mailer.localize(info.value)
    assert err.key == "oauth.reauthorize_required"
    assert err.spec.pauses == "account"
    assert not err.transient
    assert "mailplug accounts authorize gmail" in err.advice("en")
    assert "mailplug accounts authorize gmail" in err.advice("pl")
    assert INVALID_GRANT["error_description"] in err.message("en")
    assert "wygasła albo została cofnięta" in err.message("pl")
    state = await auth.adescribe()
    assert state["state"] == "reauthorize" and "rejected_at" in state


async def test_no_stored_token_asks_to_authorize(mailer: AsyncMailer) -> None:
    auth = await authenticator(mailer)
    with pytest.raises(AuthenticationError) as info:
        await auth.credentials()
    assert info.value.key == "oauth.not_authorized"
    assert info.value.spec.pauses == "account"
    assert (await auth.adescribe())["state"] == "not_authorized"


def _closed_port() -> int:
    (port,) = free_ports(1)
    return port


async def test_unreachable_token_endpoint_is_transient(
    tmp_path: Path, google: FakeOAuthServer
) -> None:
    account = gmail_account(google, token_endpoint=f"http://127.0.0.1:{_closed_port()}/token")
    async with AsyncMailer([account], data_dir=tmp_path, outbox=None, entry_points=False) as m:
        await store_refresh_token(m, google, "gmail")
        with pytest.raises(ConnectionFailedError) as info:
            await (await authenticator(m)).credentials()
    assert info.value.key == "oauth.token_endpoint_unavailable"
    assert info.value.transient and info.value.spec.pauses is None


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (503, "<html>Service Unavailable</html>"),
        (500, {"error": "internal_failure"}),
        (429, "Too Many Requests"),
        (400, {"error": "temporarily_unavailable"}),
    ],
)
async def test_token_endpoint_trouble_is_transient(
    mailer: AsyncMailer, google: FakeOAuthServer, status: int, body: Any
) -> None:
    await store_refresh_token(mailer, google, "gmail")
    google.fail_next.append((status, body))
    auth = await authenticator(mailer)
    with pytest.raises(ConnectionFailedError) as info:
        await auth.credentials()
    assert info.value.key == "oauth.token_endpoint_unavailable"
    assert info.value.transient
    # The next attempt (the outbox retries later) works.
    assert (await auth.credentials()).secret.get_secret_value() in google.valid_access_tokens


@pytest.mark.parametrize(
    ("status", "body", "key"),
    [
        (401, {"error": "invalid_client", "error_description": "Unauthorized"},
         "oauth.invalid_client"),
        (400, {"error": "invalid_request", "error_description": "client_secret is missing."},
         "oauth.invalid_client"),
        (400, {"error": "unauthorized_client"}, "oauth.unauthorized_client"),
        (400, {"error": "invalid_scope", "error_description": "Bad scope"}, "oauth.invalid_scope"),
        (400, {"error": "invalid_request", "error_description": "Missing x"},
         "oauth.token_request_failed"),
        (404, "<html>Not Found</html>", "oauth.token_endpoint_bad_response"),
        (200, "<html>captive portal</html>", "oauth.token_endpoint_bad_response"),
        (200, {"token_type": "Bearer"}, "oauth.token_endpoint_bad_response"),
    ],
)  # fmt: skip
async def test_configuration_problems_get_their_own_keys(
    mailer: AsyncMailer, google: FakeOAuthServer, status: int, body: Any, key: str
) -> None:
    await store_refresh_token(mailer, google, "gmail")
    google.fail_next.append((status, body))
    with pytest.raises(ConfigurationError) as info:
        await (await authenticator(mailer)).credentials()
    err = mailer.localize(info.value)
    assert err.key == key
    assert not err.transient and err.spec.pauses == "account"
    assert err.message("pl") != err.message("en")
    assert err.advice("pl") != err.advice("en")


async def test_microsoft_error_description_with_trace_lines(
    mailer: AsyncMailer, google: FakeOAuthServer
) -> None:
    await store_refresh_token(mailer, google, "gmail")
    description = (
        "AADSTS70008: The provided authorization code or refresh token has expired due to "
        "inactivity.\r\nTrace ID: 0f1e\r\nCorrelation ID: 9a8b\r\nTimestamp: 2026-11-26"
    )
    google.fail_next.append((400, {"error": "invalid_grant", "error_description": description}))
    with pytest.raises(AuthenticationError) as info:
        await (await authenticator(mailer)).credentials()
    assert info.value.key == "oauth.reauthorize_required"
    assert "AADSTS70008" in str(info.value) and "Trace ID" not in str(info.value)


# -- client secret ----------------------------------------------------------------


async def test_client_secret_from_environment_is_sent_but_never_shown(
    tmp_path: Path, google: FakeOAuthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    google.client_secret = "GOCSPX-client-secret-value"
    monkeypatch.setenv("GMAIL_CLIENT_SECRET", google.client_secret)
    account = gmail_account(google, client_secret_env="GMAIL_CLIENT_SECRET")
    async with AsyncMailer([account], data_dir=tmp_path, outbox=None, entry_points=False) as m:
        await store_refresh_token(m, google, "gmail")
        auth = await authenticator(m)
        await auth.credentials()
        described = json.dumps(await auth.adescribe())
    assert google.grants("refresh_token")[0].form["client_secret"] == google.client_secret
    assert google.client_secret not in described
    assert "env:GMAIL_CLIENT_SECRET" in described
    assert google.client_secret not in repr(auth) + repr(auth.settings)


async def test_client_secret_env_unset_names_the_variable(
    tmp_path: Path, google: FakeOAuthServer
) -> None:
    account = gmail_account(google, client_secret_env="NOT_SET_ANYWHERE_XYZ")
    async with AsyncMailer([account], data_dir=tmp_path, outbox=None, entry_points=False) as m:
        await store_refresh_token(m, google, "gmail")
        with pytest.raises(ConfigurationError) as info:
            await (await authenticator(m)).credentials()
    assert info.value.key == "oauth.client_secret_env_missing"
    assert "NOT_SET_ANYWHERE_XYZ" in info.value.message("pl")


async def test_client_secret_from_the_secret_store(
    mailer: AsyncMailer, google: FakeOAuthServer
) -> None:
    google.client_secret = "store-kept-secret"
    await store_refresh_token(mailer, google, "gmail")
    store = await mailer.secrets()
    assert store is not None
    await store.set("gmail", "oauth.client_secret", SecretStr(google.client_secret))
    await (await authenticator(mailer)).credentials()
    assert google.grants("refresh_token")[0].form["client_secret"] == google.client_secret


# -- Microsoft: the same code, another table row ------------------------------------


async def test_microsoft_provider_uses_its_tenant_scope_and_rotation(tmp_path: Path) -> None:
    scope = "https://outlook.office.com/SMTP.Send offline_access"
    server = FakeOAuthServer(client_id="00000000-aaaa-bbbb-cccc-000000000000", scope=scope)
    server.rotate = True  # Microsoft issues a new refresh token on every refresh
    server.start()
    try:
        account = {
            "name": "m365",
            "email": "biuro@firma.onmicrosoft.com",
            "transport": "memory",
            "auth": "microsoft-oauth2",
            "auth_settings": {
                "client_id": server.client_id,
                "tenant": "firma.onmicrosoft.com",
                "authorization_endpoint": server.base + "/{tenant}/oauth2/v2.0/authorize",
                "token_endpoint": server.base + "/{tenant}/oauth2/v2.0/token",
            },
        }
        async with AsyncMailer([account], data_dir=tmp_path, outbox=None, entry_points=False) as m:
            old = await store_refresh_token(m, server, "m365")
            auth = await authenticator(m, "m365")
            creds = await auth.credentials()
            store = await m.secrets()
            assert store is not None
            new = await store.get("m365", REFRESH_TOKEN_KEY)
        assert creds.mechanism == "XOAUTH2" and creds.username == "biuro@firma.onmicrosoft.com"
        [request] = server.grants("refresh_token")
        assert request.path == "/firma.onmicrosoft.com/oauth2/v2.0/token"
        assert request.form["scope"] == scope
        assert request.form["refresh_token"] == old
        assert new is not None and new.get_secret_value() != old
        assert auth.describe()["provider"] == "microsoft"
    finally:
        server.stop()


def test_microsoft_defaults_fill_the_tenant() -> None:
    ms = PROVIDERS["microsoft"]
    auth_url, token_url = ms.endpoints({})
    assert auth_url == "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"
    assert token_url == "https://login.microsoftonline.com/common/oauth2/v2.0/token"
    assert ms.endpoints({"tenant": "contoso.com"})[1].startswith(
        "https://login.microsoftonline.com/contoso.com/"
    )
    assert ms.scope == "https://outlook.office.com/SMTP.Send offline_access"
    google = PROVIDERS["google"]
    assert google.endpoints({}) == (
        "https://accounts.google.com/o/oauth2/v2/auth",
        "https://oauth2.googleapis.com/token",
    )


# -- the host's own token provider -------------------------------------------------


async def test_host_token_provider_through_a_registered_auth(tmp_path: Path) -> None:
    calls: list[tuple[str, bool]] = []

    async def host_tokens(account: Any, *, refresh: bool) -> str:
        calls.append((account.name, refresh))
        return f"host-token-{len(calls)}"

    class HostTokens:
        @hookimpl
        def mailplug_register_auth(self, register: Any) -> None:
            register("host-oauth2", token_provider_auth(host_tokens, provider="google"))

    account = {
        "name": "app",
        "email": "app@firma.pl",
        "transport": "memory",
        "auth": "host-oauth2",
    }
    async with AsyncMailer(
        [account], data_dir=tmp_path, outbox=None, entry_points=False, plugins=[HostTokens()]
    ) as m:
        auth = await m.authenticator(m.account("app"))
        assert auth is not None
        first = await auth.credentials()
        second = await auth.credentials(refresh=True)
        described = await auth.adescribe()
    assert first.secret.get_secret_value() == "host-token-1"
    assert second.secret.get_secret_value() == "host-token-2"
    assert first.mechanism == "XOAUTH2" and first.refreshable
    assert calls == [("app", False), ("app", True)]
    assert described["tokens"] == "host" and "host-token" not in json.dumps(described)


async def test_host_token_provider_failure_hides_its_text(
    mailer: AsyncMailer,
) -> None:
    async def broken(account: Any, *, refresh: bool) -> str:
        raise RuntimeError("session cookie abc123-secret expired")

    auth = OAuth2Authenticator(
        mailer.account("gmail"), services=mailer.services, token_provider=broken
    )
    with pytest.raises(AuthenticationError) as info:
        await auth.credentials()
    assert info.value.key == "oauth.token_provider_failed"
    assert "abc123-secret" not in str(info.value) + info.value.render("en")
    assert "RuntimeError" in str(info.value)


# -- settings -------------------------------------------------------------------------


async def test_settings_are_checked_when_the_authenticator_is_built(tmp_path: Path) -> None:
    base = {"name": "g", "email": "a@gmail.com", "transport": "memory"}
    cases = [
        ({"auth": "gmail-oauth2", "auth_settings": {}}, "oauth.client_id_missing"),
        (
            {"auth": "gmail-oauth2", "auth_settings": {"client_id": "x", "clientsecret": "y"}},
            "account.invalid_settings",
        ),
        (
            {
                "auth": "gmail-oauth2",
                "auth_settings": {"client_id": "x", "token_endpoint": "http://evil.example/t"},
            },
            "account.invalid_settings",
        ),
        ({"auth": "oauth2", "auth_settings": {"client_id": "x"}}, "oauth.provider_unknown"),
        (
            {"auth": "oauth2", "auth_settings": {"client_id": "x", "provider": "yahoo"}},
            "oauth.provider_unknown",
        ),
    ]
    for extra, key in cases:
        async with AsyncMailer(
            [{**base, **extra}], data_dir=tmp_path, outbox=None, entry_points=False
        ) as m:
            with pytest.raises(ConfigurationError) as info:
                await m.authenticator(m.account("g"))
            assert info.value.key == key, extra


async def test_generic_oauth2_with_provider_setting(tmp_path: Path) -> None:
    account = {
        "name": "g",
        "email": "a@firma.pl",
        "transport": "memory",
        "auth": "oauth2",
        "auth_settings": {"client_id": "x", "provider": "microsoft", "tenant": "firma.pl"},
    }
    async with AsyncMailer([account], data_dir=tmp_path, outbox=None, entry_points=False) as m:
        auth = await authenticator(m, "g")
    assert auth.settings.token_endpoint == (
        "https://login.microsoftonline.com/firma.pl/oauth2/v2.0/token"
    )
    assert auth.describe()["name"] == "oauth2"


# -- secrets stay secret ---------------------------------------------------------


async def test_no_token_in_logs_reprs_errors_or_descriptions(
    mailer: AsyncMailer, google: FakeOAuthServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    refresh = await store_refresh_token(mailer, google, "gmail")
    auth = await authenticator(mailer)
    creds = await auth.credentials()
    access = creds.secret.get_secret_value()
    shown = [repr(auth), repr(creds), str(creds), repr(auth.settings), repr(auth._cached)]
    shown.append(json.dumps(await auth.adescribe()))
    google.revoke_all()
    with pytest.raises(MailplugError) as info:
        await auth.credentials(refresh=True)
    err = mailer.localize(info.value)
    shown += [str(err), repr(err), err.render("pl"), err.render("en"), json.dumps(err.to_dict())]
    shown.append(caplog.text)
    shown += [str(r.args) for r in caplog.records]
    for text in shown:
        assert access not in text
        assert refresh not in text


def test_core_and_plugin_import_without_authlib(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "sys.modules['authlib'] = None\n"
        "sys.modules['httpx'] = None\n"
        "import asyncio, mailplug\n"
        "from mailplug.mailer import AsyncMailer\n"
        "from mailplug.errors import ConfigurationError\n"
        "from pydantic import SecretStr\n"
        "acc = {'name': 'g', 'email': 'a@gmail.com', 'transport': 'memory',\n"
        "       'auth': 'gmail-oauth2', 'auth_settings': {'client_id': 'x'}}\n"
        "async def main():\n"
        "    async with AsyncMailer([acc], data_dir=sys.argv[1], outbox=None,\n"
        "                           entry_points=False) as m:\n"
        "        auth = await m.authenticator(m.account('g'))\n"
        "        await (await m.secrets()).set('g', 'oauth.refresh_token', SecretStr('r'))\n"
        "        try:\n"
        "            await auth.credentials()\n"
        "        except ConfigurationError as exc:\n"
        "            print(exc.key, exc.advice('en'))\n"
        "asyncio.run(main())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.startswith("oauth.library_missing")
    assert "mailplug[oauth]" in out.stdout


async def test_rotated_refresh_token_survives_a_store_that_cannot_write(
    tmp_path: Path, google: FakeOAuthServer
) -> None:
    from mailplug.storage import SecretStore
    from mailplug_secrets.keys import FILE_UNUSABLE

    class FlakyStore(SecretStore):
        name = "flaky"

        def __init__(self) -> None:
            self.items: dict[tuple[str, str], tuple[SecretStr, dict[str, Any]]] = {}
            self.broken = False

        async def get(self, account: str, key: str) -> SecretStr | None:
            item = self.items.get((account, key))
            return item[0] if item else None

        async def meta(self, account: str, key: str) -> dict[str, Any] | None:
            item = self.items.get((account, key))
            return dict(item[1]) if item else None

        async def set(
            self, account: str, key: str, value: SecretStr, *, meta: dict[str, Any] | None = None
        ) -> None:
            if self.broken:
                raise FILE_UNUSABLE.error(file="secrets.json", problem="No space left on device")
            self.items[(account, key)] = (value, dict(meta or {}))

        async def delete(self, account: str, key: str) -> None:
            self.items.pop((account, key), None)

    store = FlakyStore()

    class Flaky:
        @hookimpl
        def mailplug_register_secret_stores(self, register: Any) -> None:
            register("flaky", lambda *, services: store)

    google.rotate = True
    async with AsyncMailer(
        [gmail_account(google)],
        data_dir=tmp_path,
        outbox=None,
        secret_store="flaky",
        entry_points=False,
        plugins=[Flaky()],
    ) as m:
        await store_refresh_token(m, google, "gmail")
        auth = await authenticator(m)
        store.broken = True
        await auth.credentials()  # refreshed; the rotated token could not be saved
        await auth.credentials(refresh=True)  # ...so the one in memory is used
        store.broken = False
        await auth.credentials(refresh=True)
    requests = google.grants("refresh_token")
    assert len(requests) == 3
    saved = store.items[("gmail", REFRESH_TOKEN_KEY)][0].get_secret_value()
    assert saved in google.valid_refresh_tokens  # the newest token, usable tomorrow
