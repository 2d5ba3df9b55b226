"""What the core hands to the objects plugins build: translator, classifier, stores, events."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .errors import ErrorSpec
    from .i18n import Translator
    from .storage import SecretStore, StatusEvent

__all__ = ["Services"]


@dataclass
class Services:
    """Shared services of one mailer, passed to every plugin factory.

    :ivar translator: catalogs of every installed language.
    :ivar classify: turns a server reply into an error spec, asking
        :func:`~mailplug.hookspecs.mailplug_classify_reply` implementations first.
    :ivar secrets: the secret store (``None`` when no plugin provides one).
    :ivar emit: report a status change to every
        :func:`~mailplug.hookspecs.mailplug_message_status` implementation.
    :ivar data_dir: where plugins keep files (outbox database, tokens).
    """

    translator: Translator
    classify: Callable[..., ErrorSpec]
    emit: Callable[[StatusEvent], None]
    data_dir: Path
    secrets: SecretStore | None = None
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("mailplug"))
