"""The ``settings`` of an account whose transport is ``smtp``.

::

    settings = { host = "smtp.firma.pl", port = 587, security = "starttls", min_tls = "1.2" }

A missing or wrong field raises the core ``account.invalid_settings`` naming
it (``settings.port`` …), never a bare pydantic error.
"""

from __future__ import annotations

import contextlib
import ipaddress
import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mailplug.plugin import keys

if TYPE_CHECKING:
    from mailplug.plugin import Account, MailplugError

__all__ = ["DEFAULT_PORTS", "SmtpSettings", "parse_settings"]

Security = Literal["starttls", "tls", "none"]

#: The port each security mode uses when the account names none.
DEFAULT_PORTS: dict[str, int] = {"starttls": 587, "tls": 465, "none": 25}

#: Other names people use for a security mode → the setting's value.
_SECURITY_LABELS = {"ssl": "tls", "ssl/tls": "tls", "implicittls": "tls", "plain": "none"}
_TLS_VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


class SmtpSettings(BaseModel):
    """Validated SMTP settings of one account.

    :ivar host: the SMTP server (a name or an IP address).
    :ivar port: its port; without one, the port of the security mode.
    :ivar security: ``starttls`` (required, never silently downgraded), ``tls``
        (implicit TLS, port 465; also accepted as ``ssl`` or ``SSL/TLS``, the label
        mail programs show) or ``none`` (plain; only for trusted local relays).
    :ivar min_tls: the oldest TLS version accepted (``"1.2"`` or ``"1.3"``).
    :ivar verify: check the server's certificate and name (keep it on).
    :ivar ca_file: CA certificate(s) to trust for an in-house server.
    :ivar connect_timeout: seconds to connect and get the greeting.
    :ivar timeout: seconds to wait for each reply.
    :ivar local_hostname: the name given in EHLO (default: this machine's name).
    :ivar max_connections: parallel connections per account.
    :ivar rate_limit_per_minute: at most this many messages a minute (``None``: no limit).
    :ivar rate_limit_burst: how many of them may go back to back before spacing begins.
    :ivar daily_limit: at most this many messages a day through the outbox (``None``:
        no limit); the rest waits, the account held, until the next midnight.
    :ivar allow_plaintext_auth: allow sending the password over an unencrypted connection.
    :ivar idle_check: seconds a pooled connection may sit idle before it is
        checked with NOOP before reuse.
    :ivar pipelining: send MAIL, RCPT and DATA in one go when the server offers
        PIPELINING (RFC 2920); ``false`` for a server or middlebox that mishandles it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(min_length=1, max_length=253)
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Security = "starttls"
    min_tls: Literal["1.2", "1.3"] = "1.2"
    verify: bool = True
    ca_file: Path | None = None
    connect_timeout: float = Field(default=30.0, gt=0, le=600)
    timeout: float = Field(default=60.0, gt=0, le=3600)
    local_hostname: str | None = None
    max_connections: int = Field(default=3, ge=1, le=100)
    rate_limit_per_minute: float | None = Field(default=None, gt=0)
    rate_limit_burst: int = Field(default=1, ge=1, le=10_000)
    daily_limit: int | None = Field(default=None, ge=1)
    allow_plaintext_auth: bool = False
    idle_check: float = Field(default=10.0, ge=0)
    pipelining: bool = True

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        value = value.strip().rstrip(".")
        if value.startswith("[") and value.endswith("]"):
            value = value[1:-1]
        with contextlib.suppress(ValueError):
            return str(ipaddress.ip_address(value))
        if not value or any(c.isspace() or c in "/@:[]" for c in value):
            raise ValueError("not a host name")
        try:
            value.encode("idna")
        except UnicodeError:
            raise ValueError("not a valid host name (a part is empty or too long)") from None
        return value

    @field_validator("security", mode="before")
    @classmethod
    def _security(cls, value: Any) -> Any:
        # The labels mail programs show (Thunderbird: "SSL/TLS", "STARTTLS", "None").
        if isinstance(value, str):
            label = value.strip().lower().replace(" ", "")
            return _SECURITY_LABELS.get(label, label)
        return value

    @field_validator("min_tls", mode="before")
    @classmethod
    def _min_tls(cls, value: Any) -> Any:
        # TOML users write ``min_tls = 1.2`` as often as ``"1.2"``.
        if isinstance(value, float | int) and not isinstance(value, bool):
            return f"{float(value):.1f}"
        if isinstance(value, str) and value.upper().startswith("TLS"):
            return value[3:].lstrip("v ")
        return value

    @field_validator("local_hostname")
    @classmethod
    def _local(cls, value: str | None) -> str | None:
        if value is not None and (not value.isascii() or any(c.isspace() for c in value)):
            raise ValueError("must be an ASCII host name without spaces")
        return value or None

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else DEFAULT_PORTS[self.security]

    @property
    def ascii_host(self) -> str:
        """The host name as it goes into DNS and SNI (IDNA for non-ASCII names)."""
        if self.host.isascii():
            return self.host
        try:
            return self.host.encode("idna").decode("ascii")
        except UnicodeError:
            return self.host

    @property
    def tls_version(self) -> ssl.TLSVersion:
        return _TLS_VERSIONS[self.min_tls]


def _map(exc: ValidationError, account: str | None) -> MailplugError:
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first.get("loc", ()))
    return keys.ACCOUNT_INVALID_SETTINGS.error(
        field=f"settings.{loc}" if loc else "settings",
        problem=first.get("msg", "invalid value"),
        account=account,
    )


def parse_settings(account: Account | dict[str, Any], *, name: str | None = None) -> SmtpSettings:
    """Validate an account's SMTP settings.

    :param account: the account, or its ``settings`` mapping.
    :raises mailplug.errors.ConfigurationError: ``account.invalid_settings`` naming the field.
    """
    if isinstance(account, dict):
        data = account
    else:
        data, name = account.settings, account.name
    try:
        return SmtpSettings.model_validate(data)
    except ValidationError as exc:
        raise _map(exc, name) from None
