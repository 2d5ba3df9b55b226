"""Django integration: mail sent with ``django.core.mail`` goes into mailplug's outbox.

Settings (five lines)::

    INSTALLED_APPS += ["mailplug.django"]                 # the mailplug_worker command
    EMAIL_BACKEND = "mailplug.django.EmailBackend"
    MAILPLUG = {
        "ACCOUNTS": [{"name": "biuro", "email": "biuro@firma.pl", "settings": {...}}],
    }

then run one worker beside the web processes: ``python manage.py mailplug_worker``.
``send_mail``, ``mail_admins``, password-reset mail and every ``EmailMessage`` /
``EmailMultiAlternatives`` are rendered by Django and stored as they are
(:meth:`mailplug.AsyncMailer.enqueue_raw`); see :mod:`mailplug.django.conf` for
every ``MAILPLUG`` key.  Needs the ``django`` extra (``pip install mailplug[django]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .backend import EmailBackend

__all__ = ["EmailBackend", "get_mailer"]


def __getattr__(name: str) -> Any:
    # Lazy: INSTALLED_APPS imports this package before Django's settings are ready.
    if name == "EmailBackend":
        from .backend import EmailBackend

        return EmailBackend
    if name == "get_mailer":
        from .conf import get_mailer

        return get_mailer
    raise AttributeError(name)
