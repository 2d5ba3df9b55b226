"""SASL exchanges for SMTP AUTH, spoken over an aiosmtplib connection.

Each exchange is exactly one attempt with one mechanism: aiosmtplib's own
``login()`` falls through every mechanism on a wrong password, which locks
accounts on servers that count failures, so mailplug drives the exchange
itself through ``execute_command``.  XOAUTH2 keeps the server's ``334``
JSON error (Gmail's ``{"status":"400","schemes":"Bearer",…}``) that
aiosmtplib drops.

The secret never leaves these functions except base64-encoded on the wire.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiosmtplib import SMTP
    from aiosmtplib.response import SMTPResponse

    from mailplug.plugin import Credentials

__all__ = ["MECHANISMS", "SaslOutcome", "authenticate", "choose_mechanism"]

#: Mechanisms the SMTP transport speaks.
MECHANISMS = ("XOAUTH2", "CRAM-MD5", "PLAIN", "LOGIN")

_AUTH_OK = 235
_CONTINUE = 334


@dataclass(slots=True)
class SaslOutcome:
    """The server's last reply to an AUTH exchange."""

    mechanism: str
    code: int
    message: str
    #: Decoded ``334`` error challenge of XOAUTH2 (never holds the token).
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.code == _AUTH_OK


def choose_mechanism(offered: list[str], *, requested: str | None, encrypted: bool) -> str | None:
    """The mechanism to use, or ``None`` when the server offers none we speak.

    ``requested`` wins when the server offers it.  Otherwise: over TLS, PLAIN
    (universally implemented; CRAM-MD5 is often advertised by servers that
    keep hashed passwords and then fails, and only one attempt is made), then
    LOGIN, then CRAM-MD5.  Over an unencrypted connection (allowed explicitly)
    CRAM-MD5 first, since it does not reveal the password.
    """
    offered_upper = [m.upper() for m in offered]
    if requested is not None:
        return requested.upper() if requested.upper() in offered_upper else None
    order = ("PLAIN", "LOGIN", "CRAM-MD5") if encrypted else ("CRAM-MD5", "PLAIN", "LOGIN")
    for mechanism in order:
        if mechanism in offered_upper:
            return mechanism
    return None


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def _decode_json_challenge(message: str) -> dict[str, Any]:
    try:
        raw = base64.b64decode(message.strip(), validate=True)
        data = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError):
        return {"challenge": message.strip()[:200]}
    return data if isinstance(data, dict) else {"challenge": str(data)[:200]}


async def authenticate(
    smtp: SMTP, credentials: Credentials, mechanism: str, *, command_timeout: float | None
) -> SaslOutcome:
    """Run one AUTH exchange with ``mechanism``; return the server's final reply.

    A failure reply is returned, not raised; network errors propagate as
    aiosmtplib exceptions for the caller to map.
    """
    user = credentials.username.encode("utf-8")
    secret = credentials.secret.get_secret_value().encode("utf-8")
    mechanism = mechanism.upper()
    details: dict[str, Any] = {}

    async def command(*args: bytes) -> SMTPResponse:
        return await smtp.execute_command(*args, timeout=command_timeout)

    if mechanism == "PLAIN":
        reply = await command(b"AUTH", b"PLAIN", _b64(b"\0" + user + b"\0" + secret))
    elif mechanism == "LOGIN":
        reply = await command(b"AUTH", b"LOGIN")
        if reply.code == _CONTINUE:
            reply = await command(_b64(user))
        if reply.code == _CONTINUE:
            reply = await command(_b64(secret))
    elif mechanism == "CRAM-MD5":
        reply = await command(b"AUTH", b"CRAM-MD5")
        if reply.code == _CONTINUE:
            try:
                challenge = base64.b64decode(reply.message.strip(), validate=True)
            except binascii.Error:
                reply = await command(b"*")  # cancel: the challenge is garbage
            else:
                digest = hmac.new(secret, challenge, "md5").hexdigest().encode("ascii")
                reply = await command(_b64(user + b" " + digest))
    elif mechanism == "XOAUTH2":
        blob = b"user=" + user + b"\x01auth=Bearer " + secret + b"\x01\x01"
        reply = await command(b"AUTH", b"XOAUTH2", _b64(blob))
        if reply.code == _CONTINUE:
            # The error comes as a base64 JSON challenge; an empty reply gets the final code.
            details = _decode_json_challenge(reply.message)
            reply = await command(b"")
    else:  # pragma: no cover - choose_mechanism never returns others
        raise ValueError(f"unsupported SASL mechanism {mechanism}")
    if reply.code == _CONTINUE:
        # A server still challenging after the last step: cancel (RFC 4954 "*").
        reply = await command(b"*")
    return SaslOutcome(mechanism, reply.code, reply.message, details)
