"""The Django app (``INSTALLED_APPS += ["mailplug.django"]``): its management command."""

from __future__ import annotations

from django.apps import AppConfig


class MailplugConfig(AppConfig):  # type: ignore[misc]  # Django ships no type hints
    name = "mailplug.django"
    label = "mailplug"
    verbose_name = "mailplug"
