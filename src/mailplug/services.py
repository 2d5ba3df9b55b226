"""What the core hands to the objects plugins build: translator, classifier, stores, events.

Also the secret store contract (:class:`SecretStore`), since a store is built
from the services and the services hold the store.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pydantic import SecretStr

    from .errors import ErrorSpec
    from .events import StatusEvent
    from .i18n import Translator

__all__ = ["SecretStore", "SecretStoreFactory", "Services"]


class SecretStore(abc.ABC):
    """Keeps secrets (refresh tokens, passwords) out of settings files and logs."""

    name: str = ""

    @abc.abstractmethod
    async def get(self, account: str, key: str) -> SecretStr | None:
        """The stored secret, or ``None``."""

    @abc.abstractmethod
    async def set(
        self, account: str, key: str, value: SecretStr, *, meta: dict[str, Any] | None = None
    ) -> None:
        """Store ``value``; ``meta`` holds non-secret facts (when it was stored …)."""

    @abc.abstractmethod
    async def delete(self, account: str, key: str) -> None:
        """Forget the secret (no error when absent)."""

    async def meta(self, account: str, key: str) -> dict[str, Any] | None:
        """Non-secret facts stored beside the secret (e.g. ``stored_at``)."""
        return None

    async def aclose(self) -> None:  # noqa: B027
        """Release files or connections."""


class SecretStoreFactory(Protocol):
    def __call__(self, *, services: Services) -> SecretStore: ...


@dataclass
class Services:
    """Shared services of one mailer, passed to every plugin factory.

    :ivar translator: catalogs of every installed language.
    :ivar classify: ``classify(reply, *, stage, host=None, account=None)`` turns a
        server reply into an error spec, asking
        :func:`~mailplug.hookspecs.mailplug_classify_reply` implementations.
    :ivar secrets: the secret store (``None`` when no plugin provides one).
    :ivar emit: report a status change to every listener.
    :ivar data_dir: where plugins keep files (outbox database, tokens).
    """

    translator: Translator
    classify: Callable[..., ErrorSpec]
    emit: Callable[[StatusEvent], None]
    data_dir: Path
    secrets: SecretStore | None = None
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("mailplug"))
