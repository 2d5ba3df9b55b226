"""What a login method is: an async object that hands credentials to a transport.

The transport speaks the mechanism (PLAIN, LOGIN, CRAM-MD5, XOAUTH2); the
authenticator only knows the secret and how to renew it.  Secrets travel as
:class:`pydantic.SecretStr` so they never show in a repr or a log line.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pydantic import SecretStr

    from .errors import MailplugError
    from .models import Account
    from .services import Services

__all__ = ["AuthFactory", "Authenticator", "Credentials"]


@dataclass(frozen=True, slots=True)
class Credentials:
    """What the transport needs to log in."""

    username: str
    secret: SecretStr
    #: ``"PLAIN"``, ``"LOGIN"``, ``"CRAM-MD5"``, ``"XOAUTH2"`` or ``None`` to pick
    #: the strongest the server offers.
    mechanism: str | None = None
    #: Allow AUTH over a connection without TLS (the account said so explicitly).
    allow_plaintext: bool = False
    #: A failed login may succeed with fresh credentials (OAuth tokens).
    refreshable: bool = False

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, mechanism={self.mechanism!r})"


class Authenticator(abc.ABC):
    """Provides credentials for one account."""

    name: str = ""

    @abc.abstractmethod
    async def credentials(self, *, refresh: bool = False) -> Credentials:
        """Current credentials; ``refresh=True`` after a rejected login asks for new ones.

        :raises mailplug.errors.MailplugError: when no usable credentials exist.
        """

    async def login_failed(self, error: MailplugError) -> None:  # noqa: B027
        """Told when the server refused the credentials (e.g. to drop a cached token)."""

    def describe(self) -> dict[str, Any]:
        """Non-secret facts for ``accounts show`` (token age, mechanism …)."""
        return {"name": self.name}

    async def adescribe(self) -> dict[str, Any]:
        """Like :meth:`describe`, but may read the secret store (``accounts show`` calls it)."""
        return self.describe()


class AuthFactory(Protocol):
    """Builds the authenticator of ``account``.

    A factory of a password login may also have ``password_env(account_name) -> str``:
    the environment variable it reads the password from, which ``mailplug accounts
    add`` names in its next-step hint (the core knows no login method by name).
    """

    def __call__(self, account: Account, *, services: Services) -> Authenticator: ...
