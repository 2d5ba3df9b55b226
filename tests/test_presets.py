"""Provider presets: the bundled table, lookups by address, accounts built from a row, plugins."""

from __future__ import annotations

from importlib import resources
from urllib.parse import urlparse

import pytest

from mailplug import hookimpl
from mailplug.errors import ConfigurationError
from mailplug.models import Account
from mailplug.plugins import Plugins
from mailplug.presets import NOTES, Preset, PresetRegistry, Server, builtin_presets


@pytest.fixture(scope="module")
def presets() -> PresetRegistry:
    return PresetRegistry.of(builtin_presets())


def test_the_table_ships_inside_the_package() -> None:
    assert resources.files("mailplug").joinpath("presets.toml").is_file()


def test_every_required_provider_is_there(presets: PresetRegistry) -> None:
    assert set(presets.ids()) >= {
        "gmail",
        "google-workspace",
        "outlook",
        "microsoft365",
        "yahoo",
        "icloud",
        "wp",
        "o2",
        "onet",
        "interia",
        "home-pl",
        "nazwa-pl",
        "ovh",
        "zenbox",
    }


@pytest.mark.parametrize(
    ("address", "preset_id"),
    [
        ("jan.kowalski@gmail.com", "gmail"),
        ("jan@googlemail.com", "gmail"),
        ("jan@outlook.com", "outlook"),
        ("jan@hotmail.com", "outlook"),
        ("jan@live.com", "outlook"),
        ("jan@yahoo.com", "yahoo"),
        ("jan@icloud.com", "icloud"),
        ("jan@me.com", "icloud"),
        ("jan@mac.com", "icloud"),
        ("jan@wp.pl", "wp"),
        ("jan@o2.pl", "o2"),
        ("jan@tlen.pl", "o2"),
        ("jan@go2.pl", "o2"),
        ("jan@onet.pl", "onet"),
        ("jan@op.pl", "onet"),
        ("jan@vp.pl", "onet"),
        ("jan@onet.eu", "onet"),
        ("jan@poczta.onet.pl", "onet"),
        ("jan@spoko.pl", "onet"),
        ("jan@autograf.pl", "onet"),
        ("jan@buziaczek.pl", "onet"),
        ("jan@interia.pl", "interia"),
        ("jan@interia.eu", "interia"),
        ("jan@poczta.fm", "interia"),
        ("Jan@WP.PL", "wp"),
    ],
)
def test_the_preset_is_found_from_the_address(
    presets: PresetRegistry, address: str, preset_id: str
) -> None:
    found = presets.for_address(address)
    assert found is not None and found.id == preset_id


def test_an_unknown_domain_has_no_preset(presets: PresetRegistry) -> None:
    assert presets.for_address("biuro@firma-kowalski.pl") is None
    with pytest.raises(ConfigurationError) as info:
        presets.get("no-such-provider")
    assert info.value.key == "preset.unknown"
    assert "gmail" in info.value.advice("en")


def test_every_row_is_complete_and_honest(presets: PresetRegistry) -> None:
    for preset in presets:
        assert preset.name and preset.smtp, preset.id
        assert urlparse(preset.source).scheme == "https" or preset.source.startswith("http://")
        assert preset.basis, preset.id
        assert isinstance(preset.verified, bool)
        assert preset.auth in ("password", "app-password", "gmail-oauth2", "microsoft-oauth2")
        for server in preset.smtp:
            assert server.security in ("tls", "starttls")
            assert (server.port, server.security) in ((465, "tls"), (587, "starttls"))
        assert preset.imap is not None and preset.imap.port == 993
        for note in preset.notes:
            assert note in NOTES, (preset.id, note)
        if preset.per_customer:
            # Hosting: no server name presented as fact; an example and a note instead.
            assert all(not s.host for s in preset.smtp)
            assert preset.host_example and "server_per_customer" in preset.notes
            assert preset.verified is False
        else:
            assert all(s.host for s in preset.smtp)


def test_polish_webmail_providers_say_smtp_must_be_enabled(presets: PresetRegistry) -> None:
    for preset_id in ("wp", "o2", "onet", "interia"):
        assert "enable_access" in presets.get(preset_id).notes


def test_login_methods_of_the_big_providers(presets: PresetRegistry) -> None:
    assert presets.get("gmail").auth == "gmail-oauth2"
    assert presets.get("google-workspace").auth == "gmail-oauth2"
    assert presets.get("outlook").auth == "microsoft-oauth2"
    assert presets.get("microsoft365").auth == "microsoft-oauth2"
    assert presets.get("yahoo").auth == "app-password"
    assert presets.get("icloud").auth == "app-password"
    assert presets.get("wp").auth == "password"


def test_an_account_built_from_a_preset_is_valid(presets: PresetRegistry) -> None:
    data = presets.get("o2").account_data("jan.nowak@o2.pl", name="o2")
    account = Account.model_validate(data)
    assert account.settings == {"host": "poczta.o2.pl", "port": 465, "security": "tls"}
    assert account.auth == "password"
    assert account.auth_settings == {"username": "jan.nowak"}  # o2 wants the local part
    assert account.imap is not None and account.imap.host == "poczta.o2.pl"

    icloud = Account.model_validate(presets.get("icloud").account_data("ala@icloud.com"))
    assert icloud.name == "ala@icloud.com"
    assert icloud.settings["port"] == 587 and icloud.settings["security"] == "starttls"
    assert icloud.auth_settings == {}  # SMTP: the whole address (the default)
    assert icloud.imap is not None and icloud.imap.username == "ala"

    gmail = Account.model_validate(presets.get("gmail").account_data("jan@gmail.com"))
    assert gmail.auth == "gmail-oauth2"
    assert gmail.settings == {"host": "smtp.gmail.com", "port": 465, "security": "tls"}
    starttls = presets.get("gmail").account_data("jan@gmail.com", index=1)
    assert starttls["settings"]["port"] == 587


def test_a_hosting_preset_needs_the_customers_server(presets: PresetRegistry) -> None:
    home = presets.get("home-pl")
    with pytest.raises(ConfigurationError) as info:
        home.account_data("biuro@firma.pl")
    assert info.value.key == "preset.host_needed"
    assert "serwer1234567.home.pl" in info.value.message("pl")
    data = home.account_data("biuro@firma.pl", host="serwer42.home.pl")
    account = Account.model_validate(data)
    assert account.settings["host"] == "serwer42.home.pl"
    assert account.imap is not None and account.imap.host == "serwer42.home.pl"


def test_a_preset_is_found_by_its_smtp_host(presets: PresetRegistry) -> None:
    found = presets.for_host("SMTP.WP.PL")
    assert found is not None and found.id == "wp"
    assert presets.for_host("mail.example.com") is None


def test_plugins_add_and_override_presets() -> None:
    company = Preset(
        id="firma",
        name="Firma Sp. z o.o.",
        domains=("firma.pl",),
        smtp=(Server("mail.firma.pl", 587, "starttls"),),
        auth="password",
        source="https://intranet.firma.pl/poczta",
        verified=True,
    )
    gmail_override = Preset(
        id="gmail",
        name="Gmail (company policy)",
        domains=("gmail.com",),
        smtp=(Server("smtp.gmail.com", 587, "starttls"),),
        auth="app-password",
    )

    class CompanyPlugin:
        __name__ = "company_presets"

        @hookimpl
        def mailplug_register_presets(self, register: object) -> None:
            register(company)  # type: ignore[operator]
            register(gmail_override)  # type: ignore[operator]

    registry = Plugins(plugins=[CompanyPlugin()], entry_points=False).presets
    assert registry.for_address("jan@firma.pl") is company
    assert registry.get("gmail") is gmail_override  # third-party plugins run first
    assert registry.get("wp").origin == "core"


def test_a_broken_row_is_refused() -> None:
    with pytest.raises(ValueError, match="auth"):
        Preset(id="x", name="X", smtp=(Server("a.b", 587, "starttls"),), auth="magic")
    with pytest.raises(ValueError, match="host_example"):
        Preset(id="x", name="X", smtp=(Server("", 587, "starttls"),), auth="password")
