"""Every error mailplug raises, and the table of stable error keys.

The hierarchy (one root; each class also inherits the stdlib type a caller
would naturally catch)::

    MailplugError                         .key .category .transient .reply .recipient
    ├── ConfigurationError (ValueError)   category "configuration"
    │   └── AccountNotConfiguredError     no account for the From address / name
    ├── VersionError                      category "version"
    ├── MessageError (ValueError)         bad message data, found before anything is sent
    ├── FileError (OSError)               category "file": a mail file missing/unreadable/locked
    ├── StorageError (OSError)            the outbox could not be read or written
    └── DeliveryError                     anything the mail server or the network said
        ├── AuthenticationError           category "authentication"
        ├── EncryptionError               category "encryption"
        ├── ConnectionFailedError (ConnectionError)   category "connection"
        └── RecipientError                category "recipient"
            └── RecipientsRefusedError    every recipient refused, each with its own reply
                                          (defined in mailplug.transport, beside RecipientResult)

An error is built from an :class:`ErrorSpec`, the row of the key table that
gives its stable dotted key, category, what it means for a retry, the
exception class it raises and the English source texts of its message and
advice (translated through the catalogs)::

    raise INVALID_ACCOUNT_SETTINGS.error(field="transport")

``str(error)`` is English; :meth:`MailplugError.message`,
:meth:`MailplugError.advice` and :meth:`MailplugError.render` localize.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from . import texts
from .text import Text, fill, format_size, format_when

__all__ = [
    "AccountNotConfiguredError",
    "AuthenticationError",
    "Category",
    "ConfigurationError",
    "ConnectionFailedError",
    "DeliveryError",
    "EncryptionError",
    "ErrorInfo",
    "ErrorSpec",
    "FileError",
    "MailplugError",
    "MessageError",
    "RecipientError",
    "ServerReply",
    "StorageError",
    "Text",
    "Translates",
    "VersionError",
]

#: Kept for modules that still use the old private name.
_format = fill


class Translates(Protocol):
    """What renders a :class:`~mailplug.text.Text` (a :class:`mailplug.i18n.Translator`)."""

    def gettext(self, text: Text, lang: str | None = None, n: int | None = None) -> str: ...


class Category(enum.StrEnum):
    """What kind of problem an error is; hosts group and colour errors by it."""

    CONFIGURATION = "configuration"
    AUTHENTICATION = "authentication"
    ENCRYPTION = "encryption"
    CONNECTION = "connection"
    RECIPIENT = "recipient"
    MAILBOX_FULL = "mailbox-full"
    MESSAGE_TOO_BIG = "message-too-big"
    REJECTED = "rejected"
    RATE_LIMIT = "rate-limit"
    SERVER = "server"
    FILE = "file"
    VERSION = "version"


@dataclass(frozen=True, slots=True)
class ServerReply:
    """A reply as the mail server sent it."""

    code: int | None = None
    enhanced: str | None = None
    text: str = ""

    def __str__(self) -> str:
        return " ".join(p for p in (str(self.code or ""), self.enhanced or "", self.text) if p)


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    """One row of the error key table.

    :param key: stable dotted key, e.g. ``smtp.auth.invalid_credentials``.
    :param category: one of :class:`Category`.
    :param transient: ``True`` when trying again later may succeed.
    :param message: English sentence; may name ``{placeholders}``.
    :param advice: English advice: what the user should do.
    :param pauses: ``"account"`` for errors that only a change of settings or a
        person can fix (wrong password, bad settings): the account's mail waits
        instead of being retried.
    :param retry: how the outbox retries a transient error: ``None`` (backoff),
        ``"quota-reset"`` (a used-up daily quota: wait, and hold the account,
        until the quota resets) or ``"uncertain"`` (the message may have been
        delivered: the retry policy's ``uncertain`` setting decides).
    :param exception: the exception class :meth:`error` raises (default: the
        category's class, see the tree above).
    :param sizes: names of parameters that are sizes in bytes; messages show them
        human-readable, with the language's number format (``1,5 MB``).
    :param translated: names of parameters whose value is an English phrase
        registered as a :class:`Text` whose context is the parameter's name
        (``problem``: what is wrong with a field; ``field``: a message field's
        name); it is translated with the message.
    """

    key: str
    category: Category
    transient: bool
    message: str
    advice: str
    pauses: Literal["account"] | None = None
    fields: tuple[str, ...] = field(default=())
    retry: Literal["quota-reset", "uncertain"] | None = None
    exception: type[MailplugError] | None = None
    #: Parameters that are sizes in bytes: shown as "1,5 MB" in the user's language.
    sizes: tuple[str, ...] = ()
    #: Parameters whose value is an English text to translate too (msgctxt = the name).
    translated: tuple[str, ...] = ()

    @property
    def message_text(self) -> Text:
        return Text(self.message, context=self.key)

    @property
    def advice_text(self) -> Text:
        """The advice, keyed ``<key>.advice``: each key's advice is its own catalog entry."""
        return Text(self.advice, context=f"{self.key}.advice")

    def error(
        self,
        *,
        reply: ServerReply | None = None,
        recipient: str | None = None,
        host: str | None = None,
        cause: BaseException | None = None,
        **params: Any,
    ) -> MailplugError:
        """Build the exception for this key: :attr:`exception`, else the category's class."""
        cls = self.exception or _CLASS_BY_CATEGORY.get(self.category, DeliveryError)
        err = cls(self, reply=reply, recipient=recipient, host=host, **params)
        if cause is not None:
            err.__cause__ = cause
        return err


class MailplugError(Exception):
    """Root of every mailplug error.

    :ivar key: stable dotted key.
    :ivar category: :class:`Category` value.
    :ivar transient: whether a later retry may succeed.
    :ivar reply: the server's reply, when the error comes from one.
    :ivar recipient: the recipient address it concerns, if one.
    :ivar host: the server it concerns, if one.
    :ivar params: values named by the message (``address``, ``field``, ``file`` …).
    """

    def __init__(
        self,
        spec: ErrorSpec,
        *,
        reply: ServerReply | None = None,
        recipient: str | None = None,
        host: str | None = None,
        **params: Any,
    ) -> None:
        self.spec = spec
        self.reply = reply
        self.recipient = recipient
        self.host = host
        self.params: dict[str, Any] = {k: v for k, v in params.items() if v is not None}
        #: Set by the mailer that raised it, so ``message("pl")`` uses its catalogs.
        self.translator: Translates | None = None
        super().__init__(self.spec.key)

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def category(self) -> Category:
        return self.spec.category

    @property
    def transient(self) -> bool:
        return self.spec.transient

    @property
    def code(self) -> int | None:
        return self.reply.code if self.reply else None

    def _translator(self, translator: Translates | None) -> Translates:
        if translator is not None:
            return translator
        if self.translator is not None:
            return self.translator
        from .i18n import default_translator  # the core's own catalogs (imports only .text)

        return default_translator()

    def _values(self, lang: str | None = None, t: Translates | None = None) -> dict[str, Any]:
        # ``{host}`` and ``{recipient}`` in a message name the error's own attributes.
        extra = {"host": self.host, "recipient": self.recipient}
        values = {**{k: v for k, v in extra.items() if v is not None}, **self.params}
        for name in self.spec.sizes:
            if isinstance(values.get(name), int):
                values[name] = format_size(values[name], lang)
        for name, value in values.items():
            if isinstance(value, datetime):  # a moment in the reader's form (babel)
                values[name] = format_when(value, lang)
        if t is not None:
            for name in self.spec.translated:
                if isinstance(values.get(name), str):
                    values[name] = t.gettext(Text(values[name], context=name), lang)
        return values

    def message(self, lang: str | None = None, *, translator: Translates | None = None) -> str:
        """The one plain sentence, in ``lang`` (default: the user's locale)."""
        t = self._translator(translator)
        return fill(t.gettext(self.spec.message_text, lang), self._values(lang or _lang_of(t), t))

    def advice(self, lang: str | None = None, *, translator: Translates | None = None) -> str:
        """What to do about it, in ``lang``."""
        t = self._translator(translator)
        return fill(t.gettext(self.spec.advice_text, lang), self._values(lang or _lang_of(t), t))

    def details(
        self, lang: str | None = None, *, translator: Translates | None = None
    ) -> list[str]:
        """Lines for support: the server's own reply, the host, the recipient."""
        t = self._translator(translator)
        lines = []
        if self.reply is not None and (self.reply.code or self.reply.text):
            template = texts.SERVER_REPLIED if self.host else texts.SERVER_REPLIED_NO_HOST
            lines.append(
                fill(t.gettext(template, lang), {"host": self.host, "reply": str(self.reply)})
            )
        elif self.host:
            lines.append(fill(t.gettext(texts.SERVER, lang), {"host": self.host}))
        if self.recipient:
            lines.append(fill(t.gettext(texts.RECIPIENT, lang), {"recipient": self.recipient}))
        return lines

    def render(self, lang: str | None = None, *, translator: Translates | None = None) -> str:
        """Message, details and advice as a few lines of text for a dialog or a log."""
        parts = [self.message(lang, translator=translator)]
        parts += self.details(lang, translator=translator)
        parts.append(self.advice(lang, translator=translator))
        return "\n".join(parts)

    def to_dict(
        self, lang: str | None = None, *, translator: Translates | None = None
    ) -> dict[str, Any]:
        """A JSON-ready description (the shape ``--json`` prints)."""
        return {
            "key": self.key,
            "category": str(self.category),
            "transient": self.transient,
            "message": self.message(lang, translator=translator),
            "advice": self.advice(lang, translator=translator),
            "code": self.reply.code if self.reply else None,
            "enhanced": self.reply.enhanced if self.reply else None,
            "server_text": self.reply.text if self.reply else None,
            "host": self.host,
            "recipient": self.recipient,
        }

    def __str__(self) -> str:
        text = fill(self.spec.message, self._values())
        if self.reply is not None and (self.reply.code or self.reply.text):
            text += f" [{self.reply}]"
        return f"{text} ({self.key})"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key}>"

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild,
            (type(self), self.spec, self.reply, self.recipient, self.host, self.params),
        )


def _lang_of(translator: object) -> str | None:
    """The translator's default language, when it has one (sizes and numbers follow it)."""
    lang = getattr(translator, "lang", None)
    return lang if isinstance(lang, str) else None


def _rebuild(
    cls: type[MailplugError],
    spec: ErrorSpec,
    reply: ServerReply | None,
    recipient: str | None,
    host: str | None,
    params: dict[str, Any],
) -> MailplugError:
    return cls(spec, reply=reply, recipient=recipient, host=host, **params)


class ConfigurationError(MailplugError, ValueError):
    """The account or the program's settings are missing, incomplete or wrong."""


class AccountNotConfiguredError(ConfigurationError):
    """No account exists for the given name or From address."""


class VersionError(MailplugError):
    """The mail component (or a plugin) is older or newer than required."""


class MessageError(MailplugError, ValueError):
    """The message itself is malformed; nothing was sent or stored."""


class FileError(MailplugError, OSError):
    """A mail file (attachment, message, import source) cannot be used."""


class StorageError(MailplugError, OSError):
    """The outbox or token store could not be read or written.

    :ivar report: set when a flush ended on this error: its
        :class:`~mailplug.dispatch.FlushReport`, with the entries whose outcome
        could not be saved (``report.unrecorded``).
    """

    report: Any = None


class DeliveryError(MailplugError):
    """The mail server or the network refused or failed the delivery."""


class AuthenticationError(DeliveryError):
    """Login to the mail server failed."""


class EncryptionError(DeliveryError):
    """TLS could not be set up as the account requires."""


class ConnectionFailedError(DeliveryError, ConnectionError):
    """The mail server could not be reached or dropped the connection."""


class RecipientError(DeliveryError):
    """The server refused a recipient address."""


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """An error as stored: enough to render it again, localized, later.

    :ivar key: stable error key (``smtp.recipient.unknown``).
    :ivar params: the values its message names (``host``, ``port`` …) — never secrets.
    """

    key: str
    code: int | None = None
    enhanced: str | None = None
    text: str = ""
    host: str | None = None
    recipient: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_error(cls, error: MailplugError) -> ErrorInfo:
        reply = error.reply
        return cls(
            key=error.key,
            code=reply.code if reply else None,
            enhanced=reply.enhanced if reply else None,
            text=reply.text if reply else "",
            host=error.host,
            recipient=error.recipient,
            params={k: v for k, v in error.params.items() if _scalar(v)},
        )

    @property
    def reply(self) -> ServerReply | None:
        if self.code or self.enhanced or self.text:
            return ServerReply(self.code, self.enhanced, self.text)
        return None

    def error(self, errors: Mapping[str, ErrorSpec]) -> MailplugError:
        """The error again, from a key table (``mailer.plugins.errors``).

        An unknown key (its plugin was uninstalled) renders as ``server.unknown``.
        """
        spec = errors.get(self.key) or SERVER_UNKNOWN
        params = {k: v for k, v in self.params.items() if k not in {"reply", "recipient", "host"}}
        return spec.error(reply=self.reply, recipient=self.recipient, host=self.host, **params)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ErrorInfo | None:
        if not data:
            return None
        return cls(
            key=str(data["key"]),
            code=data.get("code"),
            enhanced=data.get("enhanced"),
            text=data.get("text") or "",
            host=data.get("host"),
            recipient=data.get("recipient"),
            params=dict(data.get("params") or {}),
        )


def _scalar(value: Any) -> bool:
    # Only plain values fill message placeholders; objects might carry more than a
    # message should show.
    return value is None or isinstance(value, (str, int, float, bool))


_CLASS_BY_CATEGORY: dict[Category, type[MailplugError]] = {
    Category.CONFIGURATION: ConfigurationError,
    Category.VERSION: VersionError,
    Category.FILE: FileError,
    Category.AUTHENTICATION: AuthenticationError,
    Category.ENCRYPTION: EncryptionError,
    Category.CONNECTION: ConnectionFailedError,
    Category.RECIPIENT: RecipientError,
}

#: The reply no table knows (and the fallback for a stored key whose plugin is gone).
SERVER_UNKNOWN = ErrorSpec(
    "server.unknown",
    Category.SERVER,
    False,
    "The mail server refused the operation.",
    "Contact the administrator of the mail server. Also try using another mail account.",
)
