"""Messages, addresses, attachments and accounts (pydantic v2 models).

Construction validates everything that can be known before sending; failures
raise mailplug errors (:class:`~mailplug.errors.MessageError`,
:class:`~mailplug.errors.ConfigurationError`) naming the field, never a bare
pydantic ``ValidationError``.
"""

from __future__ import annotations

import enum
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal, Self

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from . import keys, problems
from .errors import ErrorSpec, MailplugError, MessageError
from .problems import problem_for

__all__ = [
    "Account",
    "Address",
    "Attachment",
    "ImapSettings",
    "Message",
    "Priority",
    "redact",
]

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u0080-\U0010ffff]+"
_LOCAL_RE = re.compile(rf"^(?:{_ATOM}(?:\.{_ATOM})*|\"(?:[^\"\\\r\n]|\\.)*\")$")
_LABEL_RE = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_NAME_ADDR_RE = re.compile(r"^\s*(?P<name>.*?)\s*<(?P<addr>[^<>]*)>\s*$", re.S)
_SECRET_KEY_RE = re.compile(r"pass|secret|token|credential", re.I)
#: Settings that name where a secret is (``password_env``), not the secret itself.
_SECRET_REFERENCE_SUFFIXES = ("_env", "_file", "_path", "_keyring")


def _has_line_break(value: str) -> bool:
    return "\r" in value or "\n" in value


def ascii_domain(domain: str) -> str | None:
    """The IDNA (punycode) form of ``domain``, or ``None`` if it is not a valid host name."""
    domain = domain.rstrip(".")
    if domain.startswith("[") and domain.endswith("]"):
        return domain  # address literal
    try:
        encoded = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        return None
    labels = encoded.split(".")
    if len(labels) < 2 or not all(_LABEL_RE.match(label) for label in labels):
        return None
    return encoded.lower()


def _raise(spec: ErrorSpec, **params: Any) -> MailplugError:
    return spec.error(**params)


class _Model(BaseModel):
    """Maps validation failures to a mailplug error naming the field."""

    _invalid: ClassVar[ErrorSpec] = keys.MESSAGE_INVALID

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise self._map(exc, data) from None

    @classmethod
    def _map(cls, exc: ValidationError, data: dict[str, Any]) -> MailplugError:
        first = exc.errors()[0]
        cause = (first.get("ctx") or {}).get("error")
        if isinstance(cause, MailplugError):
            return cause
        field = ".".join(str(p) for p in first.get("loc", ())) or "?"
        # pydantic's English stays in the cause; the sentence gets a translatable text.
        problem = problem_for(str(first.get("type", "")))
        return cls._invalid.error(field=field, problem=problem, account=data.get("name"), cause=exc)

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            raise cls._map(exc, obj if isinstance(obj, dict) else {}) from None


class Address(_Model):
    """An e-mail address with an optional display name.

    Accepts ``"user@example.com"``, ``"Jan Kowalski <jan@example.pl>"``, IDN
    domains (``"ala@żółw.pl"``) and UTF-8 local parts (sent with SMTPUTF8).
    """

    model_config = ConfigDict(frozen=True)

    email: str
    name: str | None = None

    #: The header field this address came from, for error messages.
    _field: ClassVar[str] = "address"

    @classmethod
    def parse(cls, value: str | Address | dict[str, Any], *, field: str = "address") -> Address:
        if isinstance(value, Address):
            return value
        if isinstance(value, dict):
            return cls._checked(str(value.get("email", "")), value.get("name"), field)
        if not isinstance(value, str):
            raise _raise(keys.MESSAGE_INVALID_ADDRESS, address=repr(value), field=field)
        if _has_line_break(value):
            raise _raise(keys.MESSAGE_HEADER_INJECTION, field=field)
        match = _NAME_ADDR_RE.match(value)
        if match:
            name = match.group("name").strip().strip('"').strip() or None
            return cls._checked(match.group("addr").strip(), name, field)
        return cls._checked(value.strip(), None, field)

    @classmethod
    def _checked(cls, email: str, name: str | None, field: str) -> Address:
        if _has_line_break(email) or (name is not None and _has_line_break(name)):
            raise _raise(keys.MESSAGE_HEADER_INJECTION, field=field)
        local, sep, domain = email.rpartition("@")
        if not sep or not local or len(local) > 64 or not _LOCAL_RE.match(local):
            raise _raise(keys.MESSAGE_INVALID_ADDRESS, address=email, field=field)
        if ascii_domain(domain) is None:
            raise _raise(keys.MESSAGE_INVALID_ADDRESS, address=email, field=field)
        return cls.model_construct(email=email, name=name)

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        if isinstance(data, str):
            parsed = cls.parse(data)
            return {"email": parsed.email, "name": parsed.name}
        if isinstance(data, dict) and "email" in data:
            parsed = cls._checked(str(data["email"]), data.get("name"), "address")
            return {"email": parsed.email, "name": parsed.name}
        return data

    @property
    def local(self) -> str:
        return self.email.rpartition("@")[0]

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]

    @property
    def ascii_email(self) -> str:
        """The address with its domain in IDNA form (what goes on the wire)."""
        return f"{self.local}@{ascii_domain(self.domain) or self.domain}"

    @property
    def needs_smtputf8(self) -> bool:
        return not self.local.isascii()

    def key(self) -> str:
        """Comparison key: local part as written, domain case-folded and IDNA-encoded."""
        return f"{self.local}@{(ascii_domain(self.domain) or self.domain).lower()}"

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


def _address_list(value: Any, field: str) -> list[Address]:
    if value is None:
        return []
    if isinstance(value, (str, Address, dict)):
        value = [value]
    out: list[Address] = []
    for item in value:
        if isinstance(item, str) and "," in item and "<" not in item and '"' not in item:
            out += [Address.parse(p, field=field) for p in item.split(",") if p.strip()]
        else:
            out.append(Address.parse(item, field=field))
    return out


class Attachment(_Model):
    """A file attached to a message: from a ``path`` or from ``content`` bytes.

    The file is read when the message is composed (at send or enqueue); a
    missing, unreadable or locked file raises ``file.problem`` naming it.
    """

    model_config = ConfigDict(frozen=True)

    path: Path | None = None
    content: bytes | None = Field(default=None, repr=False)
    filename: str | None = None
    content_type: str | None = None
    inline: bool = False
    content_id: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Attachment:
        if (self.path is None) == (self.content is None):
            raise _raise(
                keys.MESSAGE_INVALID,
                field="attachments",
                problem=problems.FILE_OR_CONTENT.msgid,
            )
        for name in ("filename", "content_type", "content_id"):
            value = getattr(self, name)
            if value is not None and _has_line_break(value):
                raise _raise(keys.MESSAGE_HEADER_INJECTION, field=f"attachments.{name}")
        return self

    @property
    def name(self) -> str:
        if self.filename:
            return self.filename
        return self.path.name if self.path is not None else "attachment"

    @property
    def mime_type(self) -> str:
        if self.content_type:
            return self.content_type
        import mimetypes

        guessed, _ = mimetypes.guess_type(self.name)
        return guessed or "application/octet-stream"


class Priority(enum.IntEnum):
    """Sending priority; the outbox sends higher priority first (``X-Priority`` values)."""

    HIGH = 1
    NORMAL = 3
    LOW = 5


_HEADER_NAME_RE = re.compile(r"^[!-9;-~]+$")
_RESERVED_HEADERS = {
    "from", "to", "cc", "bcc", "subject", "reply-to", "message-id", "date",
    "mime-version", "content-type", "content-transfer-encoding",
    "disposition-notification-to", "sender",
}  # fmt: skip


def _message_id(domain: str | None) -> str:
    return f"<{uuid.uuid4().hex}@{domain or 'mailplug.invalid'}>"


class Message(_Model):
    """One e-mail to send.

    ``sender`` may be left out: the account's address is used.  The
    ``message_id`` is fixed at creation and kept across retries, so a
    receiving server or a person can tell a retry from a new message.
    """

    model_config = ConfigDict(populate_by_name=True, validate_assignment=False)

    sender: Address | None = Field(
        default=None, validation_alias=AliasChoices("sender", "from", "from_")
    )
    to: list[Address] = Field(default_factory=list)
    cc: list[Address] = Field(default_factory=list)
    bcc: list[Address] = Field(default_factory=list, repr=False)
    reply_to: list[Address] = Field(default_factory=list)
    subject: str = ""
    text: str | None = None
    html: str | None = None
    attachments: list[Attachment] = Field(default_factory=list)
    headers: dict[str, str] = Field(default_factory=dict)
    read_receipt: bool = False
    message_id: str = ""
    send_at: datetime | None = None
    priority: Priority = Priority.NORMAL
    #: Name of the account to send from; else chosen by ``sender``.
    account: str | None = None
    #: Free-form labels for the host (stored with the message, never sent).
    metadata: dict[str, str] = Field(default_factory=dict)

    @field_validator("sender", mode="before")
    @classmethod
    def _sender(cls, value: Any) -> Any:
        return None if value in (None, "") else Address.parse(value, field="from")

    @field_validator("to", "cc", "bcc", "reply_to", mode="before")
    @classmethod
    def _addresses(cls, value: Any, info: Any) -> list[Address]:
        return _address_list(value, info.field_name.replace("_", "-"))

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str) -> str:
        if _has_line_break(value):
            raise _raise(keys.MESSAGE_HEADER_INJECTION, field="subject")
        return value

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, header_value in value.items():
            if not _HEADER_NAME_RE.match(name):
                raise _raise(
                    keys.MESSAGE_INVALID,
                    field=f"headers.{name!r}",
                    problem=problems.NOT_A_HEADER.msgid,
                )
            if name.lower() in _RESERVED_HEADERS:
                raise _raise(
                    keys.MESSAGE_INVALID,
                    field=f"headers.{name}",
                    problem=problems.OWN_FIELD.msgid,
                )
            if _has_line_break(header_value):
                raise _raise(keys.MESSAGE_HEADER_INJECTION, field=name)
        return value

    @field_validator("message_id")
    @classmethod
    def _mid(cls, value: str) -> str:
        if _has_line_break(value):
            raise _raise(keys.MESSAGE_HEADER_INJECTION, field="message-id")
        if value and not (value.startswith("<") and value.endswith(">") and "@" in value):
            value = f"<{value.strip('<>')}>"
        return value

    @field_validator("send_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.astimezone()  # naive means the host's local time
        return value.astimezone(UTC) if value is not None else None

    @model_validator(mode="after")
    def _complete(self) -> Message:
        if not self.message_id:
            domain = ascii_domain(self.sender.domain) if self.sender else None
            object.__setattr__(self, "message_id", _message_id(domain))
        return self

    @property
    def recipients(self) -> list[Address]:
        """Every envelope recipient (To, Cc, Bcc), without duplicates."""
        seen: set[str] = set()
        out = []
        for addr in (*self.to, *self.cc, *self.bcc):
            k = addr.key().lower()
            if k not in seen:
                seen.add(k)
                out.append(addr)
        return out

    def check_sendable(self) -> None:
        """Raise if the message cannot go out as it is (no recipients, no sender)."""
        if not self.recipients:
            raise keys.MESSAGE_NO_RECIPIENTS.error()


class ImapSettings(BaseModel):
    """Incoming-mail settings, kept for the account check and later use.

    :ivar host: the IMAP server.
    :ivar port: its port (993 for ``tls``, usually 143 for ``starttls``).
    :ivar security: ``tls`` (implicit TLS), ``starttls`` or ``none``.
    :ivar username: the login name, when not the account's address.
    :ivar save_sent: put a copy of each sent message in the Sent folder, as a mail
        program does: ``on``, ``off`` or ``auto`` (on, except for providers whose
        server keeps a copy itself: Gmail, Microsoft 365).
    :ivar sent_folder: the folder for those copies (default: the folder the server
        marks as Sent, RFC 6154).
    """

    model_config = ConfigDict(extra="forbid")

    host: str
    port: int = Field(993, ge=1, le=65535)
    security: Literal["tls", "starttls", "none"] = "tls"
    username: str | None = None
    save_sent: Literal["auto", "on", "off"] = "auto"
    sent_folder: str | None = None

    @field_validator("save_sent", mode="before")
    @classmethod
    def _save_sent(cls, value: Any) -> Any:
        # TOML booleans read naturally: save_sent = false.
        if isinstance(value, bool):
            return "on" if value else "off"
        return value

    @field_validator("sent_folder")
    @classmethod
    def _sent_folder(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


def _is_secret_key(key: str) -> bool:
    return bool(_SECRET_KEY_RE.search(key)) and not key.lower().endswith(_SECRET_REFERENCE_SUFFIXES)


def redact(data: Any) -> Any:
    """A copy of ``data`` with every secret-looking value replaced by ``'***'``."""
    if isinstance(data, dict):
        return {
            k: ("***" if (_is_secret_key(str(k)) and v not in (None, "", False)) else redact(v))
            for k, v in data.items()
        }
    if isinstance(data, (list, tuple)):
        return [redact(v) for v in data]
    if isinstance(data, SecretStr):
        return "***"
    return data


class Account(_Model):
    """A mail account: who sends, and through which transport and login.

    ``settings`` belong to the transport (for ``smtp``: host, port,
    security …) and ``auth_settings`` to the login method; each plugin
    validates its own and reports a missing or wrong field by name.

    :ivar email: the address mail is sent from (``From``).
    :ivar display_name: the name shown beside the address (``Biuro Firma``).
    :ivar reply_to: addresses replies go to (``Reply-To``), when not the sender.
    :ivar envelope_sender: the envelope sender (``MAIL FROM``, where bounces go), when
        not ``email``.
    :ivar transport: the plugin that delivers the mail (``smtp``; ``mailplug plugins``
        lists the installed ones).
    :ivar settings: the transport's settings (for ``smtp``: the SMTP table below).
    :ivar auth: the login method (``password``, ``gmail-oauth2``, ``microsoft-oauth2``,
        ``oauth2``), or ``"none"`` to send without logging in.
    :ivar auth_settings: the login method's settings (tables below).
    :ivar imap: the incoming-mail server, for the account check and bounce fetching.
    :ivar default: the account used when a message names none.
    """

    model_config = ConfigDict(extra="forbid")
    _invalid: ClassVar[ErrorSpec] = keys.ACCOUNT_INVALID_SETTINGS

    @classmethod
    def _map(cls, exc: ValidationError, data: dict[str, Any]) -> MailplugError:
        err = super()._map(exc, data)
        if isinstance(err, MessageError):
            # A bad address in an account is a settings problem, named by its field.
            return keys.ACCOUNT_INVALID_SETTINGS.error(
                field=err.params.get("field", "?"), problem=err.message("en"), cause=err
            )
        return err

    name: str = Field(min_length=1)
    email: Address
    display_name: str | None = None
    reply_to: list[Address] = Field(default_factory=list)
    envelope_sender: str | None = None
    #: Envelope sender with the outbox id (VERP), e.g. ``bounces+{id}@firma.pl``: a bounce
    #: that quotes nothing of the message is still matched by the address it comes back to.
    bounce_address: str | None = None
    transport: str = "smtp"
    settings: dict[str, Any] = Field(default_factory=dict)
    auth: str | None = "password"
    auth_settings: dict[str, Any] = Field(default_factory=dict, repr=False)
    imap: ImapSettings | None = None
    default: bool = False

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: Any) -> Address:
        return Address.parse(value, field="email")

    @field_validator("reply_to", mode="before")
    @classmethod
    def _reply_to(cls, value: Any) -> list[Address]:
        return _address_list(value, "reply_to")

    @field_validator("auth", mode="before")
    @classmethod
    def _no_auth(cls, value: Any) -> Any:
        # TOML has no null: ``auth = "none"`` means the server needs no login.
        return None if value in ("none", "") else value

    @field_validator("envelope_sender")
    @classmethod
    def _envelope(cls, value: str | None) -> str | None:
        if value:
            Address.parse(value, field="envelope_sender")
        return value or None

    @field_validator("bounce_address")
    @classmethod
    def _bounce(cls, value: str | None) -> str | None:
        if not value:
            return None
        local = value.rpartition("@")[0]
        if local.count("{id}") != 1 or "+{id}" not in local:
            raise _raise(
                keys.ACCOUNT_INVALID_SETTINGS,
                field="bounce_address",
                problem="it must hold “+{id}” before the @, e.g. bounces+{id}@firma.pl",
            )
        Address.parse(value.replace("{id}", "0" * 16), field="bounce_address")
        return value

    @field_validator("display_name")
    @classmethod
    def _display(cls, value: str | None) -> str | None:
        if value is not None and _has_line_break(value):
            raise _raise(keys.MESSAGE_HEADER_INJECTION, field="display_name")
        return value

    @property
    def from_address(self) -> Address:
        """The From address with the account's display name."""
        if self.display_name and not self.email.name:
            return Address.model_construct(email=self.email.email, name=self.display_name)
        return self.email

    def public_dict(self) -> dict[str, Any]:
        """The account as JSON-ready data with secrets masked."""
        data = self.model_dump(mode="json")
        return dict(redact(data))

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield name, redact(value) if name == "settings" else value
