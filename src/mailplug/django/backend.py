"""``EMAIL_BACKEND = "mailplug.django.EmailBackend"``: Django's mail into mailplug's outbox."""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from django.core.mail.backends.base import BaseEmailBackend

from ..errors import MailplugError
from .conf import get_mailer, options

if TYPE_CHECKING:
    from django.core.mail import EmailMessage

    from ..mailer import Mailer

__all__ = ["EmailBackend"]


class EmailBackend(BaseEmailBackend):  # type: ignore[misc]  # Django ships no type hints
    """Stores every message Django renders in the outbox; a worker sends it.

    Django composes the MIME (headers, alternatives, attachments, inline images)
    and names the recipients (To, Cc and Bcc); the bytes go into the outbox as
    they are (:meth:`mailplug.AsyncMailer.enqueue_raw`).  ``send_messages``
    returns how many were stored — stored, not yet sent: the worker sends them
    and the outbox records the outcome.

    The sending account: ``MAILPLUG["ACCOUNT"]``, else the account whose address
    is the message's From, else the default account.  ``fail_silently`` is
    Django's contract: with it an unsendable message is skipped instead of
    raising :class:`~mailplug.errors.MailplugError`.
    """

    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.account: str | None = kwargs.get("account") or options().get("ACCOUNT")

    def _account(self, mailer: Mailer, message: EmailMessage) -> str | None:
        if self.account:
            return self.account
        address = parseaddr(str(message.from_email))[1].lower()
        for name, account in mailer.accounts.items():
            if account.email.email.lower() == address:
                return name
        return None  # the default account; the From header stays as the project wrote it

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if not email_messages:
            return 0
        mailer = get_mailer()
        stored = 0
        for message in email_messages:
            recipients = message.recipients()
            if not recipients:
                continue
            try:
                mailer.enqueue_raw(
                    message.message().as_bytes(linesep="\r\n"),
                    recipients=recipients,
                    account=self._account(mailer, message),
                )
            except MailplugError:
                if not self.fail_silently:
                    raise
                continue
            stored += 1
        return stored
