"""The ``password`` login method: a user name and a password for SMTP AUTH.

::

    auth = "password"
    auth_settings = { username = "biuro@firma.pl", password_env = "BIURO_PASSWORD" }

Where the password comes from, first found wins: ``password`` (literal; the
accounts file must then be readable by its owner only), the environment
variable named by ``password_env``, the system keyring (``keyring = true``:
service ``mailplug``, user name = the account name), the mailer's secret store
(key ``password``), and finally the variable ``MAILPLUG_PASSWORD_<ACCOUNT>``.

``mechanism`` pins ``PLAIN``, ``LOGIN`` or ``CRAM-MD5``; by default the
transport picks one the server offers.  A password is never retried: a wrong
one fails the send once, and the transport does not try it again.
"""

from __future__ import annotations

import asyncio
import os
import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError, field_validator

from mailplug.plugin import Authenticator, Credentials, keys

if TYPE_CHECKING:
    from mailplug.plugin import Account, Services

__all__ = ["PasswordAuthenticator", "PasswordSettings", "default_password_env"]

KEYRING_SERVICE = "mailplug"


def default_password_env(account_name: str) -> str:
    """The environment variable checked last: ``MAILPLUG_PASSWORD_<ACCOUNT>``."""
    return "MAILPLUG_PASSWORD_" + re.sub(r"[^A-Za-z0-9]", "_", account_name).upper()


class PasswordSettings(BaseModel):
    """``auth_settings`` of the ``password`` login method.

    :ivar username: the login name (default: the account's address).
    :ivar password: the password itself; the file must then be owner-only (better:
        ``password_env``, ``keyring`` or ``mailplug accounts password NAME``).
    :ivar password_env: the environment variable holding the password.
    :ivar keyring: read the password from the OS keyring (extra ``keyring``).
    :ivar mechanism: ``PLAIN``, ``LOGIN`` or ``CRAM-MD5`` (default: the best the
        server offers).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    username: str | None = None
    password: SecretStr | None = None
    password_env: str | None = None
    keyring: bool = False
    mechanism: Literal["PLAIN", "LOGIN", "CRAM-MD5"] | None = None

    @field_validator("mechanism", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().upper()
            return value if value not in ("", "AUTO") else None
        return value

    @field_validator("username", "password_env")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and ("\r" in value or "\n" in value or "\0" in value):
            raise ValueError("must be a single line")
        return value or None


class PasswordAuthenticator(Authenticator):
    """Supplies the account's user name and password."""

    name = "password"

    def __init__(self, account: Account, *, services: Services) -> None:
        self.account = account
        self.services = services
        try:
            self.settings = PasswordSettings.model_validate(account.auth_settings)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first.get("loc", ()))
            raise keys.ACCOUNT_INVALID_SETTINGS.error(
                field=f"auth_settings.{loc}" if loc else "auth_settings",
                problem=first.get("msg", "invalid value"),
                account=account.name,
            ) from None
        self.username = self.settings.username or account.email.email
        self.source: str | None = None

    def __repr__(self) -> str:
        return f"<PasswordAuthenticator account={self.account.name!r} user={self.username!r}>"

    async def _from_keyring(self) -> str | None:
        try:
            import keyring
        except ImportError:
            raise keys.ACCOUNT_INVALID_SETTINGS.error(
                field="auth_settings.keyring",
                problem="the keyring package is not installed (pip install keyring)",
                account=self.account.name,
            ) from None
        value = await asyncio.to_thread(keyring.get_password, KEYRING_SERVICE, self.account.name)
        return str(value) if value else None

    async def _password(self) -> tuple[str, str] | None:
        s = self.settings
        if s.password is not None and s.password.get_secret_value():
            return s.password.get_secret_value(), "settings"
        if s.password_env and os.environ.get(s.password_env):
            return os.environ[s.password_env], f"env:{s.password_env}"
        if s.keyring:
            value = await self._from_keyring()
            if value:
                return value, "keyring"
        if self.services.secrets is not None:
            stored = await self.services.secrets.get(self.account.name, "password")
            if stored is not None and stored.get_secret_value():
                return stored.get_secret_value(), "store"
        env = default_password_env(self.account.name)
        if os.environ.get(env):
            return os.environ[env], f"env:{env}"
        return None

    async def credentials(self, *, refresh: bool = False) -> Credentials:
        """The user name and password (read again on every call, so a change applies).

        :raises mailplug.errors.ConfigurationError: ``account.secret_missing``.
        """
        found = await self._password()
        if found is None:
            raise keys.SECRET_MISSING.error(
                account=self.account.name,
                env=self.settings.password_env or default_password_env(self.account.name),
            )
        password, self.source = found
        return Credentials(
            username=self.username,
            secret=SecretStr(password),
            mechanism=self.settings.mechanism,
            refreshable=False,
        )

    async def adescribe(self) -> dict[str, Any]:
        """Like :meth:`describe`, plus where the password is found now (never the password)."""
        facts = self.describe()
        found = await self._password()
        facts["source"] = found[1] if found is not None else None
        return facts

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "username": self.username,
            "mechanism": self.settings.mechanism or "auto",
            "source": self.source,
            "password_env": self.settings.password_env,
            "keyring": self.settings.keyring,
        }
