"""Example third-party plugin: the ``filedrop`` transport writes messages as ``.eml`` files."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from mailplug.plugin import (
    Account,
    Category,
    Envelope,
    ErrorSpec,
    RecipientResult,
    SendResult,
    Transport,
    hookimpl,
)

#: The mailplug plugin API range this plugin is written for.
mailplug_api = ">=1.0,<2"

DIRECTORY_MISSING = ErrorSpec(
    "filedrop.directory_missing",
    Category.CONFIGURATION,
    False,
    "The mail account settings are invalid or incomplete: settings.directory is not set.",
    "Set settings.directory to the folder where messages should be written.",
    pauses="account",
)


class FileDropTransport(Transport):
    """Writes each message to ``<directory>/<message-id>.eml`` atomically."""

    name = "filedrop"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def from_account(cls, account: Account, *, auth: Any, services: Any) -> FileDropTransport:
        directory = account.settings.get("directory")
        if not directory:
            raise DIRECTORY_MISSING.error()
        return cls(Path(directory))

    def _write(self, envelope: Envelope, data: bytes) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        stem = envelope.message_id.strip("<>").replace("/", "_")
        target = self.directory / f"{stem}.eml"
        tmp = target.with_suffix(".tmp")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        return target

    async def send(self, envelope: Envelope, data: bytes) -> SendResult:
        path = await asyncio.to_thread(self._write, envelope, data)
        return SendResult(
            message_id=envelope.message_id,
            recipients=[
                RecipientResult(r, True, 250, "2.0.0", "written") for r in envelope.recipients
            ],
            host=str(path.parent),
            transport=self.name,
            details={"path": str(path)},
        )


@hookimpl
def mailplug_register_transports(register: Callable[[str, Any], None]) -> None:
    register("filedrop", FileDropTransport.from_account)


@hookimpl
def mailplug_register_messages(register: Callable[[Any], None]) -> None:
    register(DIRECTORY_MISSING)


@hookimpl
def mailplug_register_catalogs(register: Callable[[str, Any], None]) -> None:
    # The plugin's own translations (locales/<lang>/LC_MESSAGES/*.po inside the package);
    # `mailplug i18n check --plugin filedrop` judges them, the host's check does not.
    root = resources.files(__name__) / "locales"
    for lang_dir in root.iterdir():
        for po in (lang_dir / "LC_MESSAGES").iterdir():
            if po.name.endswith(".po"):
                register(lang_dir.name, po)
